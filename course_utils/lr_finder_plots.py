"""Drawing a range test's result: the loss curves, the suggestions and the stop.

`RangeTestResult.plot()`, ``.draw_losses(ax)`` and ``.draw_val_accuracy(ax)`` (in
`course_utils.lr_finder`) call these; lesson 06's figures reuse them and the colours.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from .plots import new_figure

if TYPE_CHECKING:
    from .lr_finder import RangeTestResult

SUGGESTION_LABELS = {
    "steepest": "steepest descent",
    "valley": "valley",
    "min/10": "minimum / 10",
}
# One colour per suggestion, in every figure of the lesson: no other curve uses these three.
SUGGESTION_COLOURS = {"steepest": "C2", "valley": "C3", "min/10": "C4"}
_MARKERS = {"steepest": "v", "valley": "o", "min/10": "s"}


def plot_range_test(result: RangeTestResult, *, title: str = "") -> Figure:
    """Loss against learning rate (log scale) with the suggestions marked.

    Training mode: raw mini-batch loss (faint) and smoothed loss. Validation mode: a
    second panel shows the validation accuracy, as the article describes.
    """
    val_mode = result.monitor == "smoothed_val_loss"
    fig, axes = new_figure(ncols=2 if val_mode else 1, width=6.0 if val_mode else 7.0, height=4.0)
    draw_losses(axes[0] if val_mode else axes, result)
    if val_mode:
        draw_val_accuracy(axes[1], result)
    if title:
        fig.suptitle(title)
    return fig


def draw_losses(ax, result: RangeTestResult) -> None:
    """The loss curves, the suggestions and the stop of ``result``, on the matplotlib axes ``ax``."""
    curve, val_mode = result.curve, result.monitor == "smoothed_val_loss"
    if val_mode:  # the watched curve in full, the training loss only as a faint reference
        ax.plot(curve["lr"], curve["smoothed_loss"], color="C0", alpha=0.5, linestyle="--",
                label="training loss (smoothed)")
        ax.plot(curve["lr"], curve["val_loss"], color="C1", alpha=0.35, linewidth=0.8, label="validation loss")
        ax.plot(curve["lr"], curve["smoothed_val_loss"], color="C1", label="validation loss (smoothed)")
    else:
        ax.plot(curve["lr"], curve["loss"], color="C0", alpha=0.3, linewidth=0.8,
                label="training loss (mini-batch)")
        ax.plot(curve["lr"], curve["smoothed_loss"], color="C0", label="training loss (smoothed)")
    for name, lr in result.suggestions.items():
        if math.isfinite(lr):
            colour = SUGGESTION_COLOURS[name]
            ax.axvline(lr, color=colour, linestyle="--", linewidth=1)
            ax.plot([lr], [np.interp(np.log(lr), np.log(curve["lr"]), curve[result.monitor])], _MARKERS[name],
                    color=colour, markersize=8, label=f"{SUGGESTION_LABELS[name]}: {lr:.2g}")
    if result.stop_reason in ("diverged", "non-finite"):
        ax.axvline(result.stop_lr, color="black", linestyle=":", linewidth=1.2,
                   label=f"stopped ({result.stop_reason}) at {result.stop_lr:.2g}")
    ax.set_xscale("log")
    ax.set_ylim(*loss_limits(result))
    monitored = "validation" if val_mode else "training"
    ax.set(xlabel="learning rate (log scale)", ylabel=f"loss ({result.settings.get('loss', 'as given')})",
           title=f"Range test on the {monitored} loss")
    ax.legend(fontsize="small", loc="upper left")


def draw_val_accuracy(ax, result: RangeTestResult) -> None:
    """Validation accuracy against the learning rate (``mode="val"`` only)."""
    ax.plot(result.curve["lr"], 100 * result.curve["val_acc"], color="C1", label="validation accuracy")
    for name, lr in result.suggestions.items():
        if math.isfinite(lr):
            ax.axvline(lr, color=SUGGESTION_COLOURS[name], linestyle="--", linewidth=1, label=SUGGESTION_LABELS[name])
    ax.set_xscale("log")
    ax.set(xlabel="learning rate (log scale)", ylabel="validation accuracy (%)",
           title="Validation accuracy during the test")
    ax.legend(fontsize="small", loc="upper left")


def loss_limits(result: RangeTestResult) -> tuple[float, float]:
    """Y limits that show the descent and the start of the blow-up, not its tail."""
    curve = result.curve
    columns = ["smoothed_loss"] + (["smoothed_val_loss"] if "smoothed_val_loss" in curve else [])
    values = curve[columns].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0, 1.0
    raw = curve["loss"].to_numpy(dtype=float)
    low = min(values.min(), np.nanmin(np.where(np.isfinite(raw), raw, np.nan)))
    first = curve[columns].iloc[0].max()
    cap = result.settings.get("divergence_factor", 4) * result.best_loss * 1.05
    high = max(min(values.max(), max(first, low) * 1.6, cap), low * 1.1 + 1e-12)
    return low - 0.08 * (high - low), high + 0.05 * (high - low)
