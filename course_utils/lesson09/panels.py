"""Lesson 09's "try it" slider: decay strength and optimizer, redrawn from precomputed runs.

Training even a small network takes seconds, so the notebook trains every (optimizer, decay)
pair once with `experiments.optimizer_runs` and the slider only chooses among them: each
redraw is a histogram and a few lines (well under a second).
"""
from __future__ import annotations

from collections.abc import Mapping

import ipywidgets
import seaborn as sns
from matplotlib.figure import Figure

from ..plots import new_figure
from ..widgets import choice, fixed, slider_panel
from .experiments import DecayRun
from .figures import PERCENT, decay_label, weight_histogram

Runs = Mapping[tuple[str, float], DecayRun]


def _options(runs: Runs) -> tuple[list[str], list[float]]:
    optimizers = list(dict.fromkeys(label for label, _ in runs))
    decays = sorted({decay for _, decay in runs})
    return optimizers, decays


def explore_decay(runs: Runs, optimizer: str = "AdamW", weight_decay: float = 0.1) -> Figure:
    """Weight histogram and learning curves of one precomputed run, next to the same optimizer without decay.

    ``runs`` is what `optimizer_runs` returned; ``optimizer`` and ``weight_decay`` must be
    among its keys (a clear ValueError says which ones are available otherwise).
    """
    optimizers, decays = _options(runs)
    if optimizer not in optimizers:
        raise ValueError(f"optimizer must be one of {optimizers} (got {optimizer!r})")
    if weight_decay not in decays:
        raise ValueError(f"weight_decay must be one of the precomputed decays {decays} (got {weight_decay!r})")
    chosen = runs[(optimizer, weight_decay)]
    shown = {decay_label(weight_decay): chosen}
    if weight_decay != 0 and (optimizer, 0.0) in runs:
        shown = {decay_label(0.0): runs[(optimizer, 0.0)], **shown}
    fig, (ax_hist, ax_curves) = new_figure(ncols=2, width=5.4, height=4.0)
    weight_histogram(ax_hist, shown)
    ax_hist.set_title("First-layer weights after training")
    ax_hist.legend(fontsize="small", loc="lower center")
    colours = dict(zip(shown, sns.color_palette(n_colors=len(shown)), strict=True))  # the histogram's colours
    for label, run in shown.items():
        frame = run.history.epochs
        colour = colours[label]
        ax_curves.plot(frame["epoch"], PERCENT * frame["train_acc"], "--", color=colour, label=f"{label}: training")
        ax_curves.plot(frame["epoch"], PERCENT * frame["val_acc"], "-", color=colour, label=f"{label}: validation")
    ax_curves.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 102), title="Learning curves")
    ax_curves.legend(fontsize="small", loc="lower right")
    fig.suptitle(f"{optimizer}, weight decay {weight_decay:g} (lr {chosen.lr:g}): validation "
                 f"{PERCENT * chosen.val_acc:.1f}%, test {PERCENT * chosen.test_acc:.1f}%, "
                 f"training {PERCENT * chosen.train_acc:.1f}%")
    return fig


def explore_decay_panel(runs: Runs) -> ipywidgets.interactive:
    """The slider: a drop-down for the optimizer and a slider over the precomputed decays."""
    optimizers, decays = _options(runs)
    decay_slider = ipywidgets.SelectionSlider(
        options=[("0" if d == 0 else f"{d:g}", d) for d in decays],
        value=0.1 if 0.1 in decays else decays[len(decays) // 2],  # 0.1: a decay every optimizer here feels
        description="weight decay", continuous_update=False, style={"description_width": "initial"},
        layout=ipywidgets.Layout(width="420px"))
    return slider_panel(explore_decay, runs=fixed(runs),
                        optimizer=choice("optimizer", [(label, label) for label in optimizers],
                                         value=optimizers[0]),
                        weight_decay=decay_slider)
