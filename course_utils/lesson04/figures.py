"""Lesson 04's figures: the three variants on three x-axes, the batch losses `fit` records,
gradient quality against batch size, and seconds per epoch.

The 2-D paths are drawn by the toolkit's `toy_regression.plot_trajectories`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ..batch_runs import VariantRun
from ..plots import draw_step_loss, new_figure
from ..toy_regression import VARIANT_COLOURS
from .experiments import expected_cosine, variance_slope


def plot_variants(runs: dict[str, VariantRun], *, title: str = "") -> Figure:
    """Full training loss against epochs and updates (both log scale) and measured seconds.

    Every run is drawn whole on every axis. The runs last very different numbers of epochs
    (a full-batch epoch is a single update), so the epoch axis is logarithmic too; the
    untrained model (epoch 0, update 0) is drawn at the left edge.
    """
    fig, axes = new_figure(ncols=3, width=4.4, height=3.8, sharey=True)
    # Where epoch 0 goes on the log axis: half the earliest evaluation of any run.
    first_epoch = min(float(run.curve["epoch"][run.curve["epoch"] > 0].min()) for run in runs.values())
    for name, run in runs.items():
        curve = run.curve
        epochs = int(round(curve["epoch"].iloc[-1]))
        style = {"color": VARIANT_COLOURS.get(name), "label": f"{name} (B={run.batch_size}, {epochs} epochs)"}
        if name == "full batch":  # dashed and wider, so that it stays visible under an overlapping curve
            style.update(linestyle="--", linewidth=2.2)
        axes[0].plot(curve["epoch"].clip(lower=first_epoch / 2), curve["train_loss"], **style)
        axes[1].plot(curve["updates"].clip(lower=0.5), curve["train_loss"], **style)
        axes[2].plot(curve["seconds"], curve["train_loss"], **style)
    axes[0].set(xlabel="epochs (passes over the training set, log scale)",
                ylabel="training loss (cross-entropy, whole set)", title="Per epoch", xscale="log")
    axes[1].set(xlabel="updates (parameter steps, log scale)", xscale="log", title="Per update")
    axes[2].set(xlabel="measured training time (s)", title="Per second", xlim=(0, None))
    axes[0].legend(fontsize="x-small", loc="lower left")  # the curves all start at the top left
    fig.suptitle(title or "The same model, data and learning rate; three batch sizes")
    return fig


def plot_batch_losses(runs: dict[str, VariantRun], names: Sequence[str] = ("stochastic", "mini-batch"),
                      *, smooth: int = 50, y_max: float = 5.0) -> Figure:
    """Per-step batch losses recorded by `fit` against the loss on the whole training set.

    One panel per run in ``names``: every update's own batch loss (faint), its moving
    average (over ``smooth`` updates, fewer for a short run), and the whole-set loss
    measured between chunks.
    Batch losses above ``y_max`` are cut off; the panel title says how many.
    """
    fig, axes = new_figure(ncols=len(names), width=4.8, height=3.6, sharey=True)
    axes = np.atleast_1d(axes)  # one name gives a single Axes
    for ax, name in zip(axes, names, strict=False):
        run = runs[name]
        steps, colour = run.history.steps, VARIANT_COLOURS.get(name)
        window = max(1, min(smooth, len(steps) // 20))
        draw_step_loss(ax, steps["step"], steps["loss"], smooth=window, colour=colour,
                       label=f"its moving average ({window} steps)", raw_label="loss of the step's own batch",
                       raw_alpha=0.2, raw_width=0.6)
        ax.plot(run.curve["updates"], run.curve["train_loss"], "k--", linewidth=1.4,
                label="loss on the whole training set")
        clipped = int((steps["loss"] > y_max).sum())
        note = f": {clipped} values above {y_max:g} cut off" if clipped else ""
        ax.set(xlabel="updates", ylim=(0, y_max), title=f"{name} (B={run.batch_size}){note}")
    axes[0].set(ylabel="training loss (cross-entropy)")
    for ax in axes:
        ax.legend(fontsize="x-small", loc="upper right")
    fig.suptitle("What fit records at each step: the loss of that step's batch only")
    return fig


def plot_gradient_quality(qualities: dict[str, pd.DataFrame] | pd.DataFrame, *, title: str = "") -> Figure:
    """Cosine similarity with the full gradient (left) and gradient variance (right, log-log).

    ``qualities``: one `gradient_quality` table, or a dict label -> table (e.g. one per
    parameter point). Points are measured, lines are the predictions.
    """
    if isinstance(qualities, pd.DataFrame):
        qualities = {"": qualities}
    fig, (ax_cos, ax_var) = new_figure(ncols=2, width=5.2, height=4.0)
    palette = sns.color_palette(n_colors=max(len(qualities), 1))
    for colour, (label, quality) in zip(palette, qualities.items(), strict=False):
        b = quality["batch_size"]
        prefix = f"{label}: " if label else ""
        ax_cos.errorbar(b, quality["cosine"], yerr=quality["cosine_std"], fmt="o", color=colour, capsize=3,
                        label=f"{prefix}measured (mean ± std)")
        ax_cos.plot(b, expected_cosine(quality), "-", color=colour, alpha=0.6, label=f"{prefix}predicted")
        slope = variance_slope(quality)
        ax_var.plot(b, quality["variance"], "o", color=colour, label=f"{prefix}measured (fitted slope {slope:.2f})")
        ax_var.plot(b, quality["predicted_variance"], "-", color=colour, alpha=0.6, label=f"{prefix}predicted")
    ax_cos.set(xscale="log", ylim=(-0.1, 1.05), xlabel="batch size B (log scale)",
               ylabel="cosine similarity with the full gradient", title="Direction: closer to G as B grows")
    ax_cos.legend(fontsize="x-small", loc="upper left")
    ax_var.set(xscale="log", yscale="log", xlabel="batch size B (log scale)",
               ylabel=r"variance $E\,|g_B - G|^2$ (log scale)", title="Spread: falls about as 1/B")
    ax_var.legend(fontsize="x-small", loc="lower left")
    fig.suptitle(title or "Mini-batch gradients g_B against the full gradient G, at fixed parameters")
    return fig


def plot_time_per_epoch(timing: pd.DataFrame, *, title: str = "") -> Figure:
    """Seconds per epoch (left) and milliseconds per update (right) against batch size."""
    fig, (ax_epoch, ax_update) = new_figure(ncols=2, width=4.8)
    ax_epoch.plot(timing["batch_size"], timing["seconds"], "o-")
    for _, row in timing.iterrows():
        ax_epoch.annotate(f"{int(row['updates'])} updates", (row["batch_size"], row["seconds"]),
                          textcoords="offset points", xytext=(4, 4), fontsize="x-small")
    ax_epoch.margins(x=0.2)
    ax_epoch.set(xscale="log", yscale="log", xlabel="batch size B (log scale)",
                 ylabel="seconds per epoch (log scale)", title="Time for one pass over the data")
    ax_update.plot(timing["batch_size"], timing["ms_per_update"], "o-", color="C1")
    ax_update.set(xscale="log", ylim=(0, 1.15 * timing["ms_per_update"].max()), xlabel="batch size B (log scale)",
                  ylabel="milliseconds per update", title="Time for one update")
    fig.suptitle(title or "Measured on this machine")
    return fig
