"""Lesson 00's figures: every function returns a `matplotlib.figure.Figure` (never pyplot)."""
from __future__ import annotations

from matplotlib.figure import Figure
from torch import nn

from ..data import Split
from ..plots import new_figure
from .experiments import class_counts, per_class_accuracy


def plot_class_counts(split: Split) -> Figure:
    """A bar chart of the number of images per class."""
    counts = class_counts(split)
    fig, ax = new_figure(width=7, height=3.2)
    ax.bar(counts.index, counts.values)
    ax.set(ylabel="images", title=f"Images per class ({len(split):,} in all)")
    ax.tick_params(axis="x", rotation=45)
    return fig


def plot_per_class_accuracy(model: nn.Module, split: Split) -> Figure:
    """A horizontal bar chart of per-class accuracy, worst class at the top."""
    accuracy = per_class_accuracy(model, split).sort_values()
    fig, ax = new_figure(width=6.5, height=3.6)
    ax.barh(accuracy.index, 100 * accuracy.values)
    ax.invert_yaxis()
    ax.set(xlabel="accuracy on the validation images (%)", xlim=(0, 100),
           title="Which classes does the model get right?")
    return fig
