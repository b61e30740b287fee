"""Lesson 06's figures: every function returns a `matplotlib.figure.Figure` (never pyplot).

The range test's own plot is `RangeTestResult.plot` in `course_utils.lr_finder`; these are
the lesson's other figures: the ramps, the smoothing, the two variants side by side, the
spread over seeds, the least-squares check, the rate comparison and one-cycle.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..lr_finder import RAMPS, SUGGESTION_COLOURS, SUGGESTION_LABELS, RangeTestResult, lr_ramp, smooth_losses
from ..plots import new_figure
from ..training import History
from .least_squares import LeastSquares, predicted_stop, regrowth_factor


def plot_ramps(start_lr: float = 1e-7, end_lr: float = 10.0, steps: int = 100) -> Figure:
    """The exponential and the linear ramp over the same range, on a log scale."""
    fig, ax = new_figure(width=6.5)
    step = np.arange(1, steps + 1)
    for ramp, colour in zip(RAMPS, ("C0", "C1"), strict=True):
        ax.plot(step, lr_ramp(start_lr, end_lr, steps, ramp), color=colour, label=f"{ramp} ramp")
    ax.set_yscale("log")
    ax.set(xlabel="step of the range test", ylabel="learning rate (log scale)",
           title=f"Two ramps from {start_lr:g} to {end_lr:g} in {steps} steps")
    ax.legend(fontsize="small")
    return fig


def plot_smoothing(result: RangeTestResult, *, first_steps: int = 40) -> Figure:
    """Raw losses and their moving average with and without bias correction (first steps)."""
    beta = result.settings["smoothing"]
    curve = result.curve.iloc[:first_steps]
    raw = result.curve["loss"].to_numpy()
    fig, ax = new_figure(width=6.5)
    ax.plot(curve["step"], curve["loss"], color="C0", alpha=0.35, marker=".", linewidth=0.8, label="mini-batch loss")
    ax.plot(curve["step"], smooth_losses(raw, beta, bias_correction=False)[:first_steps], color="C3",
            linestyle="--", label=f"moving average, beta={beta:g}, no bias correction")
    ax.plot(curve["step"], smooth_losses(raw, beta)[:first_steps], color="C0",
            label=f"moving average, beta={beta:g}, bias-corrected")
    stop = predicted_stop(raw, beta, result.settings["divergence_factor"], bias_correction=False)
    if stop is not None and stop < first_steps:
        ax.axvline(stop + 1, color="C3", linestyle=":",
                   label=f"without correction the test would stop here (step {stop + 1})")
    ax.set(xlabel="step of the range test", ylabel=f"loss ({result.settings.get('loss', '')})",
           title="Smoothing the loss: why the bias correction")
    # Below the axes: inside, the legend hid the lower curve.
    fig.legend(*ax.get_legend_handles_labels(), fontsize="small", loc="outside lower center", ncols=1)
    return fig


def plot_variants(train_result: RangeTestResult, val_result: RangeTestResult) -> Figure:
    """The training-loss test and the validation-loss test side by side, the validation accuracy below.

    Two panels a row (not three) and the legends under the panels: the figure keeps a width
    a notebook shows without shrinking, so the seven-entry legends stay readable.
    """
    fig = Figure(figsize=(10.5, 8.6), layout="constrained")
    axes = fig.subplot_mosaic([["train", "val"], ["accuracy", "accuracy"]], height_ratios=[1.25, 1])
    train_result.draw_losses(axes["train"])
    val_result.draw_losses(axes["val"])
    val_result.draw_val_accuracy(axes["accuracy"])
    for name in ("train", "val"):
        axes[name].legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)
    axes["accuracy"].legend(fontsize="small", loc="upper left")  # the accuracy is flat at low rates: room there
    return fig


def plot_spread(tables: dict[str, pd.DataFrame], columns: Sequence[str] = ("steepest", "valley", "min/10")) -> Figure:
    """Each suggestion for each seed on a log axis; one row per suggestion and setting.

    Within a row every seed has its own height (seed 0 at the top), so that seeds that
    suggest the same rate show as a column of dots instead of one dot.
    """
    rows = [(s, c) for s in tables for c in columns]
    fig, ax = new_figure(width=7.5, height=1.6 + 0.85 * len(rows))
    labels = []
    for row, (setting, column) in enumerate(rows):
        values = tables[setting][column].to_numpy(dtype=float)
        offsets = np.linspace(-0.28, 0.28, len(values)) if len(values) > 1 else np.zeros(1)
        ax.plot(values, row + offsets, "o", color=SUGGESTION_COLOURS.get(column, "C0"), markersize=7,
                markeredgecolor="white", alpha=0.9)
        ratio = np.nanmax(values) / np.nanmin(values)
        labels.append(f"{SUGGESTION_LABELS[column]}, {setting}\n(max/min = {ratio:.2g})")
    ax.set_yticks(range(len(labels)), labels, fontsize="small")
    ax.set_ylim(len(rows) - 0.5, -0.5)  # half a row of room above the first and below the last row
    ax.set_xscale("log")
    ax.margins(x=0.08)  # no dot on the frame
    n_seeds = max(len(table) for table in tables.values())
    ax.set(xlabel="suggested learning rate (log scale)",
           title=f"One range test per seed ({n_seeds} seeds, one dot each)")
    return fig


def plot_least_squares(result: RangeTestResult, problem: LeastSquares) -> Figure:
    """The range test on least squares, with the closed-form landmarks 1/L and 2/L."""
    fig, ax = new_figure(width=7.0, height=4.0)
    curve = result.curve
    ax.plot(curve["lr"], curve["loss"], color="C0", alpha=0.5, label="loss (full batch)")
    ax.plot(curve["lr"], curve["smoothed_loss"], color="C0", label="smoothed loss")
    top = problem.divergence_lr
    # Greys and brown, not green/orange/pink: those three colours mean the three suggestions.
    landmarks = ((top / 2, "grey", "--", "1/L: top direction solved in one step"),
                 (top, "black", "--", f"2/L = {top:.3g}: constant rate diverges above"),
                 (top * regrowth_factor(), "C5", "-.", "6.3 x 2/L: top direction back to its start size"),
                 (result.stop_lr, "black", ":", f"test stopped at {result.stop_lr:.3g}"))
    for lr, colour, style, label in landmarks:
        ax.axvline(lr, color=colour, linestyle=style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(curve["loss"].min() / 3, curve["loss"].iloc[0] * 30)
    ax.set(xlabel="learning rate (log scale)", ylabel="loss (mean squared error, log scale)",
           title="Range test on least squares, full-batch steps")
    ax.legend(fontsize="small", loc="lower left")
    return fig


def plot_rate_comparison(table: pd.DataFrame, histories: dict[str, History]) -> Figure:
    """Validation accuracy per epoch for each rate, and the final validation loss per rate.

    A run that diverged is drawn up to its last finished epoch, and a cross marks the epoch
    in which it diverged (at the bottom of the panel, labelled).
    """
    fig, (ax_curves, ax_final) = new_figure(ncols=2, width=5.5)
    # Shades of one blue, light (small rate) to dark (large): green, orange and pink mean the suggestions.
    colours = ["#9ecae1", "#3182bd", "#08306b"] if len(histories) == 3 else [f"C{i}" for i in (0, 1, 5, 6, 7)]
    for colour, (label, history) in zip(colours, histories.items(), strict=False):
        epochs = history.epochs
        lr = table.loc[table["rate"] == label, "lr"].iloc[0]
        ax_curves.plot(epochs["epoch"], 100 * epochs["val_acc"], marker="o", color=colour, markersize=7,
                       markeredgecolor="white",
                       label=f"{label} (lr {lr:.2g})" + (", diverged" if history.diverged else ""))
        if history.diverged:
            died = int(history.steps["epoch"].iloc[-1]) if len(history.steps) else 1
            ax_curves.plot([epochs["epoch"].iloc[-1], died], [100 * epochs["val_acc"].iloc[-1], 0], ":",
                           color=colour)
            ax_curves.plot([died], [0], "X", color=colour, markersize=12, markeredgecolor="white", clip_on=False,
                           zorder=5)
            ax_curves.annotate(f"diverged in epoch {died}", (died, 0), xytext=(8, 6), textcoords="offset points",
                               color=colour, fontsize="small", fontweight="bold")
    last_epoch = max(int(history.epochs["epoch"].iloc[-1]) for history in histories.values())
    ax_curves.set(xlabel="epoch", ylabel="validation accuracy (%)", title="Same budget, three rates",
                  ylim=(0, 100), xlim=(-0.2, last_epoch + 0.3))
    ax_curves.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_curves.legend(fontsize="small", loc="center right", bbox_to_anchor=(1.0, 0.4))  # clear of curves and cross
    bars = ax_final.bar(table["rate"], table["val_loss"], color=colours[:len(table)])
    ax_final.bar_label(bars, labels=["diverged" if flag else "" for flag in table["diverged"]], fontsize="small")
    ax_final.set(xlabel="learning rate", ylabel="final validation loss (cross-entropy)", title="Lower is better")
    ax_final.tick_params(axis="x", labelsize="small")
    return fig


def plot_one_cycle(histories: dict[str, History]) -> Figure:
    """The two schedules (rate per step) and the validation accuracy per epoch."""
    fig, (ax_lr, ax_acc) = new_figure(ncols=2, width=5.5)
    for colour, (label, history) in zip(("C7", "C0"), histories.items(), strict=False):  # not the suggestions' colours
        ax_lr.plot(history.steps["step"], history.steps["lr"], color=colour, label=label)
        trained = history.epochs.iloc[1:]  # epoch 0, the untrained model, would squash the axis
        ax_acc.plot(trained["epoch"], 100 * trained["val_acc"], marker="o", color=colour, label=label)
    ax_lr.set(xlabel="update (step)", ylabel="learning rate", title="Schedules")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy (%)", title="Validation accuracy")
    ax_lr.legend(fontsize="small")
    ax_acc.legend(fontsize="small", loc="lower right")
    return fig
