"""Lesson 09's figures; each function returns a `matplotlib.figure.Figure` (never pyplot)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..plots import new_figure
from .experiments import SMITH_GRID, DecayRun, DecaySweep

PERCENT = 100
ZERO_AT = 10 ** -5.7  # where "no decay" sits on a log axis: a little left of the smallest decay, 1e-5


def _decay_x(decays) -> np.ndarray:
    """Decays as x positions on a log axis, 0 drawn at ``ZERO_AT``."""
    return np.array([d if d > 0 else ZERO_AT for d in decays], dtype=float)


def _decay_axis(ax, decays) -> None:
    ax.set_xscale("log")
    ticks = _decay_x(decays)
    ax.set_xticks(ticks, [f"{d:g}" if d > 0 else "0" for d in decays], fontsize="small")
    ax.minorticks_off()


def decay_label(decay: float) -> str:
    return "no decay" if decay == 0 else f"wd = {decay:g}"


def plot_update_rules(rules: pd.DataFrame) -> Figure:
    """Relative difference of each pair of update rules, on a log axis (round-off vs real)."""
    fig, ax = new_figure(width=8.5, height=3.0)
    values = rules["relative_difference"].clip(lower=1e-18).to_numpy()
    colours = ["tab:green" if same else "tab:red" for same in rules["same"]]
    y = np.arange(len(rules))[::-1]
    ax.barh(y, values, color=colours, left=1e-18)
    ax.set_xscale("log")
    ax.set_yticks(y, rules["comparison"], fontsize="small")
    ax.axvline(1e-10, color="black", linewidth=0.8, linestyle="--")
    ax.text(1e-10, y.max() + 0.6, " 1e-10: below = same up to round-off", fontsize="x-small", va="bottom")
    for yi, value in zip(y, values, strict=True):
        ax.text(value * 1.5 if value < 1e-3 else value / 1.5, yi, f"{value:.1e}", va="center",
                ha="left" if value < 1e-3 else "right", fontsize="x-small", color="black" if value < 1e-3 else "white")
    ax.set(xlim=(1e-18, 10), ylim=(-0.6, y.max() + 1.2),
           xlabel="relative difference of the final weights (float64, log scale)",
           title="Three ways to decay: which update rules are the same")
    return fig


def plot_decay_sweep(sweeps: Mapping[str, DecaySweep]) -> Figure:
    """Left: final weight norm against decay. Right: test accuracy (solid) and training accuracy (dashed)."""
    fig, (ax_norm, ax_acc) = new_figure(ncols=2, width=5.2, height=3.9)
    palette = dict(zip(sweeps, sns.color_palette(n_colors=len(sweeps)), strict=True))
    decays: list[float] = []
    for label, sweep in sweeps.items():
        table = sweep.table.sort_values("weight_decay")
        x = _decay_x(table["weight_decay"])
        decays = list(table["weight_decay"])
        colour = palette[label]
        ax_norm.plot(x, table["weight_norm"], "o-", color=colour, label=label)
        ax_acc.plot(x, PERCENT * table["test_acc"], "o-", color=colour, label=f"{label}: test")
        ax_acc.plot(x, PERCENT * table["train_acc"], "s--", color=colour, alpha=0.6, label=f"{label}: training")
        best = sweep.best()
        ax_acc.plot(_decay_x([best["weight_decay"]]), [PERCENT * best["test_acc"]], "*", color="black",
                    markersize=13, zorder=5)
    ax_acc.plot([], [], "*", color="black", markersize=10, label="chosen on validation")
    smith = [d for d in decays if d in SMITH_GRID]
    for ax in (ax_norm, ax_acc):
        _decay_axis(ax, decays)
        if smith:
            ax.axvspan(_decay_x(smith).min() / 1.6, max(_decay_x(smith)) * 1.6, color="grey", alpha=0.12, lw=0)
        ax.set_xlabel("weight decay (log scale; grey: Smith's grid)")
    ax_norm.set(ylabel="norm of all weights after training", title="Weights shrink as decay grows", ylim=(0, None))
    ax_acc.set(ylabel="accuracy (%)", title="Accuracy after the last epoch")
    ax_norm.legend(fontsize="small", loc="lower left")
    ax_acc.legend(fontsize="x-small", loc="lower left", ncols=1)
    return fig


def plot_learning_curves(sweep: DecaySweep, decays: tuple[float, ...] | None = None, *, title: str = "") -> Figure:
    """Training (dashed) and validation (solid) accuracy per epoch for a few decays; the gap shaded."""
    decays = decays or (0.0, float(sweep.best()["weight_decay"]))
    fig, ax = new_figure(width=7.0, height=4.0)
    palette = sns.color_palette(n_colors=len(decays))
    for colour, decay in zip(palette, decays, strict=True):
        frame = sweep.runs[decay].history.epochs
        if frame["val_acc"].isna().all():
            raise ValueError("these runs have no validation curves: train them with curves=True")
        label = decay_label(decay)
        ax.plot(frame["epoch"], PERCENT * frame["train_acc"], "--", color=colour, label=f"{label}: training")
        ax.plot(frame["epoch"], PERCENT * frame["val_acc"], "-", color=colour, label=f"{label}: validation")
        ax.fill_between(frame["epoch"], PERCENT * frame["val_acc"], PERCENT * frame["train_acc"],
                        color=colour, alpha=0.12)
    ax.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 102),
           title=title or "Learning curves: the shaded gap is training minus validation")
    ax.legend(fontsize="small", loc="lower right")
    return fig


def plot_heat_map(grid: pd.DataFrame, *, value: str = "val_acc") -> Figure:
    """Learning rate x weight decay: validation accuracy in each cell, each row's best boxed."""
    table = grid.pivot_table(index="lr", columns="weight_decay", values=value).sort_index(ascending=False)
    fig, ax = new_figure(width=6.5, height=4.2)
    shown = PERCENT * table if value.endswith("acc") else table
    image = ax.imshow(shown.to_numpy(), cmap="viridis", aspect="auto")
    ax.grid(False)  # the theme's grid lines would cut through the cells' centres
    fig.colorbar(image, ax=ax, label="validation accuracy (%)" if value.endswith("acc") else value)
    ax.set_xticks(range(len(table.columns)), [f"{d:g}" for d in table.columns])
    ax.set_yticks(range(len(table.index)), [f"{lr:g}" for lr in table.index])
    best_col = shown.to_numpy().argmax(axis=1) if value.endswith("acc") else shown.to_numpy().argmin(axis=1)
    middle = np.nanmean(shown.to_numpy())
    for i in range(len(table.index)):
        for j in range(len(table.columns)):
            cell = shown.iloc[i, j]
            ax.text(j, i, f"{cell:.1f}" if value.endswith("acc") else f"{cell:.3f}", ha="center", va="center",
                    fontsize="small", color="black" if cell > middle else "white",
                    fontweight="bold" if j == best_col[i] else "normal")
        ax.add_patch(_box(best_col[i], i))
    ax.set(xlabel="weight decay", ylabel="learning rate (peak of the cosine schedule)",
           title="Validation accuracy: learning rate x weight decay\n(box: the best decay for each learning rate)")
    return fig


def _box(x: float, y: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor="white", linewidth=2.5)


def plot_size_sweep(sizes: pd.DataFrame) -> Figure:
    """Validation accuracy against decay for each training-set size, each size's best starred."""
    fig, ax = new_figure(width=6.5, height=4.0)
    parts = list(sizes.groupby("n_train"))
    palette = sns.color_palette(n_colors=len(parts))
    decays = sorted(sizes["weight_decay"].unique())
    for colour, (n_train, part) in zip(palette, parts, strict=True):
        part = part.sort_values("weight_decay")
        ax.plot(_decay_x(part["weight_decay"]), PERCENT * part["val_acc"], "o-", color=colour,
                label=f"{n_train:,} training images")
        best = part.loc[part["val_acc"].idxmax()]
        ax.plot(_decay_x([best["weight_decay"]]), [PERCENT * best["val_acc"]], "*", color=colour, markersize=16,
                markeredgecolor="black", label=f"best for {n_train:,}: wd = {best['weight_decay']:g}")
    _decay_axis(ax, decays)
    ax.set(xlabel="weight decay (log scale)", ylabel="validation accuracy (%)",
           title="Same number of updates, two training-set sizes")
    ax.legend(fontsize="small", loc="best")
    return fig


def weight_histogram(ax, runs: Mapping[str, DecayRun], *, bins: int = 60) -> None:
    """Histograms of first-layer weight samples, one per run, on shared bins (log counts)."""
    values = np.concatenate([run.weights for run in runs.values()])
    limit = float(np.quantile(np.abs(values), 0.999)) or 1.0
    edges = np.linspace(-limit, limit, bins + 1)
    palette = sns.color_palette(n_colors=len(runs))
    for colour, (label, run) in zip(palette, runs.items(), strict=True):
        ax.hist(np.clip(run.weights, -limit, limit), bins=edges, histtype="step", linewidth=1.8, color=colour,
                label=f"{label}: norm of all weights {run.weight_norm:.1f}")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(5))  # long tick labels of small weights would overlap
    ax.set(xlabel="first-layer weight", ylabel="count (log scale)")
