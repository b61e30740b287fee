"""Per-notebook run times in the test summary, so every CI run measures the README's table.

nbval runs each notebook cell as one test item; this sums the items' durations per notebook
(kernel start excluded) and prints them with the active compute profile.
"""
from __future__ import annotations

import os
from collections import defaultdict

_NOTEBOOK_SECONDS: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report) -> None:
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        # folder/name: a lesson and its dashboard share a name
        folder = os.path.basename(os.path.dirname(path))
        _NOTEBOOK_SECONDS[os.path.join(folder, os.path.basename(path))] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if not _NOTEBOOK_SECONDS:
        return
    profile = os.environ.get("COURSE_PROFILE", "default")
    device = os.environ.get("COURSE_DEVICE", "auto")
    terminalreporter.write_sep("-", f"notebook run times, profile {profile}, device {device}")
    for name, seconds in sorted(_NOTEBOOK_SECONDS.items()):
        terminalreporter.write_line(f"{name:55s} {seconds:7.1f} s")
    for folder in sorted({name.split(os.sep)[0] for name in _NOTEBOOK_SECONDS}):
        total = sum(seconds for name, seconds in _NOTEBOOK_SECONDS.items() if name.split(os.sep)[0] == folder)
        terminalreporter.write_line(f"{'all of ' + folder + '/':55s} {total:7.1f} s")
