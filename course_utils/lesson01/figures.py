"""Lesson 01's figures: learning curves with the gap, true against shuffled labels, the size sweep.

Each returns a figure built with `course_utils.plots.new_figure`.
"""
from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..plots import new_figure
from .claims import CHANCE_ACCURACY
from .experiments import GeneralizationRun

TRAIN_COLOUR, TEST_COLOUR = "#0173b2", "#de8f05"  # seaborn "colorblind" blue and orange


def _accuracy_panel(ax, run: GeneralizationRun, title: str) -> None:
    """Training and test accuracy per epoch, chance level, and the final gap."""
    frame = run.history.epochs
    ax.plot(frame["epoch"], 100 * frame["train_acc"], "-o", markersize=3, color=TRAIN_COLOUR,
            label="training set (the labels it trained on)")
    if "test_acc" in frame.columns:
        ax.plot(frame["epoch"], 100 * frame["test_acc"], "-s", markersize=3, color=TEST_COLOUR,
                label="test set (new images, true labels)")
    ax.axhline(100 * CHANCE_ACCURACY, color="grey", linestyle=":", label="chance (10 %)")
    last = frame["epoch"].iloc[-1]
    ax.annotate("", xy=(last, 100 * run.test_acc), xytext=(last, 100 * run.train_acc),
                arrowprops={"arrowstyle": "<->", "color": "black"})
    ax.text(last, 100 * (run.train_acc + run.test_acc) / 2, f" gap\n {100 * run.gap:.0f} pts",
            va="center", ha="left", fontsize="small")
    ax.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 105), xlim=(0, last * 1.15), title=title)


def plot_train_test(run: GeneralizationRun, *, title: str = "") -> Figure:
    """Accuracy on the training set and on the test set, epoch by epoch."""
    fig, ax = new_figure(width=6.5, height=4.0)
    _accuracy_panel(ax, run, title or f"{run.n_train} training images, {run.n_parameters:,} parameters")
    # Below the axes: inside, it would hide a curve or the gap's label in some runs.
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    return fig


def plot_true_vs_shuffled(true_labels: GeneralizationRun, shuffled: GeneralizationRun) -> Figure:
    """Side by side: the same network on true labels and on shuffled labels."""
    fig, axes = new_figure(ncols=2, width=5.5, height=4.0, sharey=True)
    _accuracy_panel(axes[0], true_labels, "True labels")
    _accuracy_panel(axes[1], shuffled, f"Labels shuffled ({100 * shuffled.shuffled_fraction:.0f} %)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize="small")
    fig.suptitle(f"The same {true_labels.n_parameters:,}-parameter MLP on the same "
                 f"{true_labels.n_train} images")
    return fig


def plot_size_sweep(table: pd.DataFrame) -> Figure:
    """Accuracy (left) and train/test gap (right) against training-set size, log scale."""
    fig, (ax_acc, ax_gap) = new_figure(ncols=2, width=5.2, height=3.9)
    sizes = table["n_train"]
    ax_acc.plot(sizes, 100 * table["train_acc"], "-o", color=TRAIN_COLOUR, label="training accuracy")
    ax_acc.plot(sizes, 100 * table["test_acc"], "-s", color=TEST_COLOUR, label="test accuracy")
    ax_acc.fill_between(sizes, 100 * table["test_acc"], 100 * table["train_acc"], color="grey", alpha=0.15,
                        label="gap")
    ax_acc.set(xscale="log", xlabel="training-set size (images, log scale)", ylabel="accuracy (%)",
               title="Accuracy after training", ylim=(min(50, 100 * table["test_acc"].min() - 5), 102))
    ax_acc.legend(fontsize="small", loc="lower right")
    ax_gap.plot(sizes, 100 * table["gap"], "-o", color="black")
    for size, gap in zip(sizes, table["gap"], strict=True):
        ax_gap.annotate(f"{100 * gap:.0f}", (size, 100 * gap), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize="small")
    ax_gap.set(xscale="log", xlabel="training-set size (images, log scale)",
               ylabel="train − test accuracy (points)", title="Generalization gap",
               ylim=(0, 100 * table["gap"].max() * 1.25))
    for ax in (ax_acc, ax_gap):
        ax.set_xticks(list(sizes), [f"{size:,}" for size in sizes])
        ax.minorticks_off()
    fig.suptitle(f"The same network trained for {table['epochs'].iloc[0]} epochs on each training set")
    return fig
