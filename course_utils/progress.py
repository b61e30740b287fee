"""Progress bars of `fit` and the range test: shown or not, and closed to say how a run ended."""
from __future__ import annotations

import os

from tqdm.auto import tqdm

from .config import get_profile


def show_progress_default() -> bool:
    """Whether `fit` and the range test show a progress bar when not told: yes, except in the smoke profile.

    ``COURSE_PROGRESS=1`` (or ``0``) overrides the profile (the browser test turns bars on in smoke).
    """
    forced = os.environ.get("COURSE_PROGRESS", "").strip()
    if forced:
        return forced.lower() not in ("0", "false", "no", "off")
    return get_profile().name != "smoke"


def finish_bar(bar: tqdm, done: int, failure: str = "") -> None:
    """Close a progress bar after ``done`` steps.

    A run that ended by design (all steps, an early stop, a target reached) ends full: the
    total becomes ``done``, so tqdm draws it finished (in a notebook it disappears with
    ``leave=False``). A ``failure`` ("diverged at step 57", "interrupted at step 12") is
    written on the bar, which is left short: in a notebook tqdm draws it red.
    """
    if bar.disable:
        bar.close()
        return
    if failure:
        bar.n = min(done, max(int(bar.total or 0) - 1, 0))  # short of the total: drawn as an error
        bar.set_description(failure, refresh=False)
    else:
        bar.reset(total=max(done, 1))  # reset also resizes a notebook bar
        bar.update(max(done, 1))
    bar.close()
