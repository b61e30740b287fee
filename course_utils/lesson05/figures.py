"""Lesson 05's figures: every function returns a `matplotlib.figure.Figure` (never pyplot)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..plots import draw_step_loss, new_figure
from ..training import History
from .experiments import GENERALIZATION_LRS, LR_REGIMES
from .quadratic import gd_on_quadratic, measured_regime


# ---------------------------------------------------------------- shared helpers
def _step_loss_axes(ax, histories: Mapping[str, History], smooth: int = 10, log_y: bool = True) -> None:
    """Smoothed mini-batch loss against update on ``ax``; a cross marks where a run diverged."""
    for colour, (label, history) in zip(_colours(len(histories)), histories.items(), strict=False):
        steps = history.steps
        draw_step_loss(ax, steps["step"], steps["loss"], smooth=smooth, colour=colour, label=label, raw=False)
        if history.diverged:
            ax.plot(steps["step"].iloc[-1], steps["loss"].iloc[-1], "x", color=colour, markersize=10, mew=2)
    ax.set(xlabel="update (step)", ylabel="training loss (smoothed)")
    if log_y:
        _log_axis(ax.yaxis, ax.set_yscale)


def _log_axis(axis, set_scale, subs: tuple[float, ...] = (1.0, 2.0, 5.0)) -> None:
    """A log scale labelled with plain numbers (0.5, 1, 2) rather than powers of ten."""
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    set_scale("log")
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FormatStrFormatter("%g"))
    axis.set_minor_formatter(NullFormatter())


def _colours(n: int):
    import seaborn as sns

    return sns.color_palette(n_colors=max(n, 1))


# ---------------------------------------------------------------- 1. quadratic
def plot_quadratic_iterates(lr_times_curvature: Sequence[float] = (0.3, 0.7, 1.3, 1.7, 2.2),
                            curvature: float = 4.0, n_steps: int = 12) -> Figure:
    """Iterates ``x_t`` against ``t`` for several rates, one panel each, titled with the regime."""
    fig, axes = new_figure(ncols=len(lr_times_curvature), width=2.7, height=2.7, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, factor in zip(axes, lr_times_curvature, strict=True):
        lr = factor / curvature
        iterates = gd_on_quadratic(lr, curvature, n_steps=n_steps)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.plot(np.arange(n_steps + 1), iterates, "o-", markersize=3)
        ax.set(title=f"lr = {factor:g}/L\n{measured_regime(iterates)}", xlabel="step t")
        ax.set_ylim(-2.2, 2.2)
    axes[0].set_ylabel("iterate x_t (start x_0 = 1)")
    fig.suptitle(f"Gradient descent on f(x) = L/2 x², L = {curvature:g}: points outside ±2 are off the chart")
    return fig


# ---------------------------------------------------------------- 2.-4. training runs
def plot_regimes(histories: Mapping[str, History], lrs: Mapping[str, float] = LR_REGIMES) -> Figure:
    """Mini-batch loss against update for the three rates (log scale; x marks a divergence)."""
    fig, ax = new_figure(width=7, height=3.8)
    labelled = {f"{label} (lr = {lrs[label]:g})": history for label, history in histories.items()}
    _step_loss_axes(ax, labelled)
    ax.set_title("Too small crawls, too large blows up (x: fit stopped the run)")
    ax.legend(fontsize="small")
    return fig


def plot_schedule_runs(histories: Mapping[str, History]) -> Figure:
    """Left: the learning rate each run used at every update. Right: its smoothed training loss."""
    fig, (ax_lr, ax_loss) = new_figure(ncols=2, width=5.2, height=3.8)
    for colour, (name, history) in zip(_colours(len(histories)), histories.items(), strict=False):
        ax_lr.plot(history.steps["step"], history.steps["lr"], color=colour, label=name)
    ax_lr.set(xlabel="update (step)", ylabel="learning rate", title="Learning rate used by fit")
    _step_loss_axes(ax_loss, histories, smooth=20)
    ax_loss.set_title("Training loss")
    fig.legend(*ax_lr.get_legend_handles_labels(), loc="outside lower center", ncols=len(histories), fontsize="small")
    return fig


def plot_optimizers(histories: Mapping[str, History]) -> Figure:
    """Mini-batch loss against update for every optimizer at its defaults (log scale)."""
    fig, ax = new_figure(width=7, height=3.8)
    _step_loss_axes(ax, histories)
    ax.set_title("Optimizers at torch's default settings")
    ax.legend(fontsize="small", ncols=2)
    return fig


def plot_lr_sweep(sweep: pd.DataFrame, ranges: pd.DataFrame | None = None) -> Figure:
    """Final training loss against learning rate (log axis); x marks a diverged run, a band the good range."""
    fig, ax = new_figure(width=7.5, height=4)
    top = float(sweep["start loss"].max())
    groups = list(sweep.groupby("optimizer", sort=False))
    for index, (colour, (name, group)) in enumerate(zip(_colours(len(groups)), groups, strict=False)):
        ax.plot(group["lr"], group["final train loss"], "o-", color=colour, label=f"{name}: final loss")
        blown = group[group["diverged"]]
        ax.plot(blown["lr"], np.full(len(blown), (1.06 + 0.07 * index) * top), "x", color=colour,
                markersize=9, mew=2, label=f"{name}: diverged")
        if ranges is not None and name in ranges.index:
            row = ranges.loc[name]
            ax.axvspan(row["smallest good lr"], row["largest good lr"], color=colour, alpha=0.12,
                       label=f"{name}: good range")
    ax.axhline(top, color="grey", linestyle=":", linewidth=1, label="loss before training")
    _log_axis(ax.xaxis, ax.set_xscale, subs=(1.0,))
    ax.set(xlabel="learning rate (log scale)", ylabel="final training loss", ylim=(0, 1.25 * top),
           title="How sensitive is each optimizer to the learning rate?")
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


# ---------------------------------------------------------------- 5. generalization
def plot_generalization(histories: Mapping[tuple[str, int], History], target_loss: float,
                        lrs: Mapping[str, float] = GENERALIZATION_LRS) -> Figure:
    """Test accuracy against training loss, epoch by epoch, for every run: the x axis runs from
    high to low training loss, so each curve reads left to right as training goes on."""
    fig, ax = new_figure(width=7, height=4)
    labels = list(dict.fromkeys(label for label, _ in histories))
    colours = dict(zip(labels, _colours(len(labels)), strict=False))
    seen = set()
    for (label, _seed), history in histories.items():
        epochs = history.epochs.iloc[1:]  # epoch 0 is the untrained model
        name = None if label in seen else f"{label} lr = {lrs[label]:g}"
        seen.add(label)
        ax.plot(epochs["train_loss"], 100 * epochs["test_acc"], ".", color=colours[label], alpha=0.5, label=name)
        ax.plot(epochs["train_loss"].iloc[-1], 100 * epochs["test_acc"].iloc[-1], "o", color=colours[label],
                markersize=8, markeredgecolor="black")
    ax.axvline(target_loss, color="grey", linestyle="--", linewidth=1, label=f"target loss {target_loss:g}")
    _log_axis(ax.xaxis, ax.set_xscale)
    ax.invert_xaxis()
    ax.set(xlabel="training loss (log scale, decreasing to the right)", ylabel="test accuracy (%)",
           title="Test accuracy at each training loss (ringed: stop)")
    ax.legend(fontsize="small")
    return fig


# ---------------------------------------------------------------- 6. the "try it" run
def plot_learning_rate_run(history: History, lr: float, schedule: str, optimizer: str) -> Figure:
    """One run of the panel: smoothed training loss and the learning rate against the update."""
    fig, (ax_loss, ax_lr) = new_figure(ncols=2, width=4.8, height=3.4)
    _step_loss_axes(ax_loss, {"": history}, smooth=10)
    ax_loss.set_title("Training loss")
    ax_lr.plot(history.steps["step"], history.steps["lr"], color="C1")
    ax_lr.set(xlabel="update (step)", ylabel="learning rate", title=f"Learning rate ({schedule})")
    status = history.message if history.diverged else (
        f"epoch {int(history.epochs['epoch'].iloc[-1])}: test accuracy {100 * history.final('test_acc'):.1f}%")
    fig.suptitle(f"{optimizer}, lr0 = {lr:.2g}, {schedule}. {status}", fontsize="medium")  # as the slider writes it
    return fig
