"""Lesson 07's figures: every function returns a `matplotlib.figure.Figure` (never pyplot)."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter

from ..batch_runs import VariantRun
from ..plots import new_figure
from ..throughput import Knee
from .experiments import LR_RULES
from .noise_scale import Tradeoff

RULE_COLOURS = {"fixed": "#D55E00", "scaled": "#0072B2", "scaled + warm-up": "#009E73"}


def batch_colours(batch_sizes: Sequence[int]) -> dict[int, tuple]:
    """One colour per batch size, light (small) to dark (large), the same in every figure."""
    palette = sns.color_palette("viridis_r", n_colors=len(batch_sizes))
    return dict(zip(sorted(batch_sizes), palette, strict=False))


def plot_throughput(table: pd.DataFrame, knee: Knee, *, title: str = "") -> Figure:
    """Samples per second against batch size (log-log) with the two-regime model and its knee."""
    fig, (ax, ax_step) = new_figure(ncols=2, width=5.0, height=3.8)
    b = table["batch_size"].to_numpy(float)
    grid = np.geomspace(b.min(), b.max(), 200)
    ax.plot(b, table["samples_per_s"], "o", color="C0", markersize=7, label="measured (best of the repeats)", zorder=3)
    ax.plot(grid, knee.predict(grid), "-", color="C1", label="overhead + cost per sample (fitted)")
    ax.axhline(knee.ceiling, color="grey", linestyle=":", label=f"ceiling {knee.ceiling:,.0f} samples/s")
    if b.min() <= knee.batch_size <= b.max():
        ax.axvline(knee.batch_size, color="black", linestyle="--", linewidth=1,
                   label=f"knee B* = {knee.batch_size:.0f} (half the ceiling)")
    ax.set(xscale="log", yscale="log", xlabel="batch size B (log scale)", ylabel="training samples per second (log)",
           title="Throughput")
    ax.legend(fontsize="x-small", loc="lower right")
    ax_step.plot(b, table["ms_per_step"], "o", color="C0", markersize=7, label="measured")
    ax_step.plot(grid, knee.overhead_ms + grid * knee.per_sample_us / 1000, "-", color="C1",
                 label=f"{knee.overhead_ms:.2f} ms + B x {knee.per_sample_us:.2f} µs")
    ax_step.set(xscale="log", yscale="log", xlabel="batch size B (log scale)", ylabel="milliseconds per update (log)",
                title="Time for one update")
    ax_step.legend(fontsize="x-small", loc="upper left")
    fig.suptitle(title or f"Measured on this machine: the knee is at B = {knee.batch_size:.0f}")
    return fig


def plot_three_axes(runs: dict[tuple[str, int], VariantRun], rule: str, batch_sizes: Sequence[int], *,
                    y_max: float = 2.6) -> Figure:
    """Lesson 04's three panels for one rate rule: whole-set training loss against epochs, updates and seconds."""
    fig, axes = new_figure(ncols=3, width=4.4, height=3.8, sharey=True)
    colours = batch_colours(batch_sizes)
    for b in batch_sizes:
        run = runs[rule, b]
        label = f"B={b}, lr={run.lr:.3g}" + (" (diverged)" if run.history.diverged else "")
        style = {"color": colours[b], "marker": "o", "markersize": 3, "label": label}
        axes[0].plot(run.curve["epoch"], run.curve["train_loss"], **style)
        axes[1].plot(run.curve["updates"].clip(lower=0.5), run.curve["train_loss"], **style)
        axes[2].plot(run.curve["seconds"], run.curve["train_loss"], **style)
    axes[0].set(xlabel="epochs (passes over the training set)", ylabel="training loss (whole set)", title="Per epoch",
                ylim=(0, y_max))
    axes[1].set(xlabel="updates (log scale)", xscale="log", title="Per update")
    axes[2].set(xlabel="measured training time (s)", title="Per second", xlim=(0, None))
    axes[0].legend(fontsize="x-small", loc="upper right")
    fig.suptitle(f"Batch sizes {', '.join(map(str, batch_sizes))}, {rule} rate, same epochs (a diverged run leaves "
                 "the top)")
    return fig


def plot_time_to_target(grid: pd.DataFrame, target_acc: float, *, column: str = "seconds") -> Figure:
    """Heat map of ``column`` (seconds, epochs or updates) to the target, learning rate x batch size."""
    table = grid.pivot(index="lr", columns="batch_size", values=column).sort_index(ascending=False)
    epochs = grid.pivot(index="lr", columns="batch_size", values="epochs").sort_index(ascending=False)
    fig, ax = new_figure(width=6.4, height=4.4)
    values = np.log10(table.to_numpy(float))
    image = ax.imshow(np.ma.masked_invalid(values), cmap="viridis_r", aspect="auto")
    ax.set_facecolor("#dddddd")
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            value = table.iat[i, j]
            text = "never" if not math.isfinite(value) else f"{value:.2f} s\n{epochs.iat[i, j]:.0f} ep"
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="black" if not math.isfinite(value) else "white")
    ax.set_xticks(range(table.shape[1]), [str(b) for b in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{lr:g}" for lr in table.index])
    ax.set(xlabel="batch size", ylabel="learning rate", title=f"Training time until validation accuracy >= "
                                                             f"{target_acc:.0%} (grey: never)")
    ax.grid(False)
    colourbar = fig.colorbar(image, ax=ax)
    colourbar.set_label(f"log10 {column}")
    return fig


def plot_scaling(table: pd.DataFrame, runs: dict[tuple[str, int], VariantRun], tolerance: float,
                 breaks_at: int | None, *, y_max: float = 2.6) -> Figure:
    """Left: final loss over the base run's, per rule and batch size. Right: scaled runs against epochs."""
    fig, (ax_ratio, ax_curves) = new_figure(ncols=2, width=5.2, height=4.0)
    for rule in LR_RULES:
        rows = table[table["rule"] == rule].sort_values("batch_size")
        if not len(rows):
            continue
        ratio = rows["ratio"].clip(upper=8.0)
        ax_ratio.plot(rows["batch_size"], ratio, "o-", color=RULE_COLOURS[rule], label=rule)
        diverged = rows[rows["diverged"]]
        ax_ratio.plot(diverged["batch_size"], [8.0] * len(diverged), "x", color=RULE_COLOURS[rule], markersize=10,
                      markeredgewidth=2, label=f"{rule}: diverged" if len(diverged) else None)
    ax_ratio.axhline(tolerance, color="grey", linestyle=":", label=f"together: within {tolerance:g}x")
    if breaks_at is not None:
        ax_ratio.axvline(breaks_at, color="black", linestyle="--", linewidth=1,
                         label=f"scaled rule breaks: B={breaks_at}")
    ax_ratio.set(xscale="log", yscale="log", xlabel="batch size (log scale)",
                 ylabel="final training loss / smallest batch's (log)", title="Equal epochs, three rate rules")
    ax_ratio.set_xticks(sorted(table["batch_size"].unique()), [str(b) for b in sorted(table["batch_size"].unique())])
    ax_ratio.yaxis.set_major_formatter(ScalarFormatter())
    ax_ratio.yaxis.set_minor_formatter(NullFormatter())
    ax_ratio.legend(fontsize="x-small", loc="upper left")
    sizes = sorted({b for rule, b in runs if rule == "scaled"})
    colours = batch_colours(sizes)
    for b in sizes[::2]:  # every other batch size: seven curves would hide each other
        run = runs["scaled", b]
        ax_curves.plot(run.curve["epoch"], run.curve["train_loss"], "-", color=colours[b],
                       label=f"B={b}, lr={run.lr:.3g}" + (" (diverged)" if run.history.diverged else ""))
    ax_curves.set(ylim=(0, y_max), xlabel="epochs", ylabel="training loss (whole set)",
                  title="Scaled rate: curves against epochs")
    ax_curves.legend(fontsize="x-small", loc="upper right")
    fig.suptitle("The linear scaling rule keeps the curves together, up to a point")
    return fig


def plot_noise_scale(noise: pd.DataFrame) -> Figure:
    """B_simple by both estimators against epochs (left); tr(Sigma) and |G|^2 (right)."""
    fig, (ax, ax_parts) = new_figure(ncols=2, width=5.0, height=3.8)
    ax.plot(noise["epoch"], noise["per_example"], "o-", label="per-example gradients (exact)")
    ax.plot(noise["epoch"], noise["two_batch"], "s--", label="two-batch estimator")
    ax.set(yscale="log", xlabel="epochs trained", ylabel="B_simple = tr(Σ) / |G|² (log)",
           title="The noise scale grows during training")
    ax.legend(fontsize="x-small", loc="upper left")
    ax_parts.plot(noise["epoch"], noise["trace_sigma"], "o-", color="C2", label="tr(Σ): noise per example")
    ax_parts.plot(noise["epoch"], noise["g_squared"], "o-", color="C3", label="|G|²: signal")
    ax_parts.set(yscale="log", xlabel="epochs trained", ylabel="squared gradient norm (log)",
                 title="Why: the signal falls, the noise stays")
    ax_parts.legend(fontsize="x-small", loc="center right")
    return fig


def plot_steps_to_target(sweep: pd.DataFrame, tradeoff: Tradeoff, b_simple: float, target_loss: float) -> Figure:
    """Steps against batch size with the fitted trade-off (left); examples against steps (right)."""
    fig, (ax, ax_pareto) = new_figure(ncols=2, width=5.0, height=3.9)
    rows = sweep[np.isfinite(sweep["steps"])]
    b = rows["batch_size"].to_numpy(float)
    grid = np.geomspace(b.min() / 1.5, b.max() * 1.5, 200)
    ax.plot(b, rows["steps"], "o", markersize=7, label="measured (best rate per batch)", zorder=3)
    ax.plot(grid, tradeoff.steps(grid), "-", color="C1", label="S_min (1 + B_crit / B), fitted")
    ax.plot(grid, tradeoff.s_min * grid.min() / grid * (1 + tradeoff.b_crit / grid.min()), ":", color="grey",
            label="perfect scaling (steps halve)")
    ax.axvline(tradeoff.b_crit, color="black", linestyle="--", linewidth=1, label=f"B_crit = {tradeoff.b_crit:.0f}")
    ax.axvline(b_simple, color="C2", linestyle="-.", linewidth=1.5, label=f"B_simple = {b_simple:.0f}")
    ax.set(xscale="log", yscale="log", xlabel="batch size (log scale)", ylabel="updates to the target (log)",
           title=f"Steps to a training loss of {target_loss:g}", ylim=(tradeoff.s_min / 2, None))
    ax.legend(fontsize="x-small", loc="upper right")
    s = np.geomspace(tradeoff.s_min * 1.05, rows["steps"].max() * 1.5, 200)
    ax_pareto.plot(s, tradeoff.e_min / (1 - tradeoff.s_min / s), "-", color="C1",
                   label="(S/S_min - 1)(E/E_min - 1) = 1")
    ax_pareto.plot(rows["steps"], rows["examples"], "o", markersize=7, zorder=3, label="measured")
    for row in rows.itertuples():
        ax_pareto.annotate(f"B={row.batch_size}", (row.steps, row.examples), textcoords="offset points",
                           xytext=(5, 3), fontsize="x-small")
    ax_pareto.set(xscale="log", yscale="log", xlabel="updates S (log)", ylabel="examples E = S x B (log)",
                  title="Fewer updates cost more examples")
    ax_pareto.legend(fontsize="x-small", loc="upper right")
    return fig


def plot_generalization(gap: pd.DataFrame) -> Figure:
    """Test accuracy of the four runs of `generalization_gap`, with their updates."""
    fig, ax = new_figure(width=7.0, height=3.6)
    colours = ["#999999", "#D55E00", "#0072B2", "#009E73"]
    labels = [f"{r.run}\nB={r.batch_size}, lr={r.lr:.3g}\n{r.updates} updates" for r in gap.itertuples()]
    bars = ax.bar(range(len(gap)), 100 * gap["test_acc"], color=colours[:len(gap)])
    for bar, acc in zip(bars, gap["test_acc"], strict=False):
        ax.annotate(f"{acc:.1%}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                    fontsize="small")
    ax.set_xticks(range(len(gap)), labels, fontsize="x-small")
    low = 100 * gap["test_acc"].min()
    ax.set(ylim=(max(0, low - 10), min(100, 100 * gap["test_acc"].max() + 4)), ylabel="test accuracy (%)",
           title="The large-batch gap at equal epochs, and after training longer")
    return fig


def plot_grow_batch(results: dict) -> Figure:
    """Test accuracy per epoch for the two runs (left); the batch size and rate of each phase (right)."""
    fig, (ax, ax_schedule) = new_figure(ncols=2, width=5.0, height=3.6)
    for colour, (name, result) in zip(("C0", "C1"), results.items(), strict=False):
        curve = result["curve"]
        ax.plot(curve["epoch"], 100 * curve["test_acc"], "o-", color=colour,
                label=f"{name}: {result['test_acc']:.1%}, {result['updates']} updates")
        batches, rates = zip(*result["schedule"], strict=False)
        noise = [lr / b for b, lr in zip(batches, rates, strict=False)]  # the SGD noise scale, lr / B, per phase
        ax_schedule.step(range(1, len(noise) + 1), noise, where="mid", color=colour, marker="o", label=name)
    ax.set(xlabel="epochs", ylabel="test accuracy (%)", title="Same epochs, same accuracy", ylim=(50, None))
    ax.legend(fontsize="x-small", loc="lower right")
    ax_schedule.set(yscale="log", xlabel="phase", ylabel="learning rate / batch size (log)",
                    title="Both divide lr / B by the same factor")
    ax_schedule.set_xticks(range(1, len(noise) + 1))
    ax_schedule.legend(fontsize="x-small", loc="upper right")
    return fig

