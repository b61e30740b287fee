"""Lesson 08's figures: every function returns a matplotlib Figure (never pyplot).

One colour per method throughout the lesson: gradient descent orange, heavy ball blue,
Nesterov green (the colour-blind palette of the course).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..lr_finder import RangeTestResult
from ..plots import new_figure
from ..training import History
from .experiments import smoothed_step_loss
from .quadratic import Quadratic, fitted_slopes

METHOD_COLOURS = {"gradient descent": "#D55E00", "heavy ball": "#0072B2", "nesterov": "#009E73"}
RUN_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def _contours(ax, problem: Quadratic, reach: float) -> None:
    """Loss contours of a 2-D quadratic around its minimum, minimum starred."""
    centre = problem.minimum
    grid = np.linspace(-reach, reach, 161)
    w, b = np.meshgrid(grid + centre[0], grid + centre[1])
    surface = problem.loss(np.stack([w, b], -1))
    top = float(surface.max())
    ax.contour(w, b, surface, levels=top * np.geomspace(1e-4, 0.5, 12), colors="grey", linewidths=0.6, alpha=0.7)
    ax.plot(*centre, "k*", markersize=11)
    ax.set(xlim=(centre[0] - reach, centre[0] + reach), ylim=(centre[1] - reach, centre[1] + reach), aspect="equal")


def _blown_up(path: np.ndarray, problem: Quadratic) -> bool:
    start = np.linalg.norm(path[0] - problem.minimum)
    return not np.all(np.isfinite(path[-1])) or np.linalg.norm(path[-1] - problem.minimum) > 10 * start


def plot_side_by_side(problem: Quadratic, paths: Mapping[str, np.ndarray], *, title: str = "") -> Figure:
    """One map per method (contours, path, start square, end dot), then the distance to the
    minimum against the step for all of them (log scale)."""
    fig, axes = new_figure(ncols=len(paths) + 1, width=3.5, height=3.6)
    reach = 1.25 * max(np.linalg.norm(path[0] - problem.minimum) for path in paths.values())
    for ax, (label, path) in zip(axes, paths.items(), strict=False):
        colour = METHOD_COLOURS.get(label.split(" (")[0], "C0")
        _contours(ax, problem, reach)
        shown = path[np.all(np.abs(path - problem.minimum) < 3 * reach, axis=1)]
        ax.plot(shown[:, 0], shown[:, 1], "o-", color=colour, markersize=2.5, linewidth=1.2)
        ax.plot(*path[0], "ks", markersize=6)
        ax.plot(*path[-1], "o", color=colour, markersize=7, markeredgecolor="white")
        state = "diverged" if _blown_up(path, problem) else f"{len(path) - 1} steps"
        ax.set(title=f"{label}\n{state}", xlabel="x₁", ylabel="x₂" if ax is axes[0] else "")
    ax_distance = axes[-1]
    for label, path in paths.items():
        distance = np.linalg.norm(path - problem.minimum, axis=1)
        ax_distance.plot(np.arange(len(path)), distance, color=METHOD_COLOURS.get(label.split(" (")[0], "C0"),
                         label=label.split(" (")[0])
    ax_distance.set_yscale("log")
    ax_distance.set_ylim(1e-8, 1e3)
    ax_distance.set(xlabel="step t", ylabel="distance to the minimum", title="Distance to the minimum")
    ax_distance.legend(fontsize="small", loc="lower left")
    if title:
        fig.suptitle(title)
    return fig


def plot_speed(speed: pd.DataFrame) -> Figure:
    """Iterations to the tolerance against kappa (log-log): grid search (filled) and the
    closed-form settings (open), one colour per method, fitted slopes in the legend."""
    fig, ax = new_figure(width=6.5, height=4.4)
    slopes, closed_slopes = fitted_slopes(speed), fitted_slopes(speed, "closed_form_iterations")
    for method, rows in speed.groupby("method", sort=False):
        colour = METHOD_COLOURS.get(method, "C0")
        ax.plot(rows["kappa"], rows["grid_iterations"], "o-", color=colour,
                label=f"{method}, grid search: slope {slopes[method]:.2f}")
        ax.plot(rows["kappa"], rows["closed_form_iterations"], "o", color=colour, markerfacecolor="white",
                linestyle=":", label=f"{method}, closed form: slope {closed_slopes[method]:.2f}")
    kappas = np.array(sorted(speed["kappa"].unique()))
    ax.set(xscale="log", yscale="log", xlabel="condition number κ = L / μ (log scale)",
           ylabel="updates to reach 1e-6 of the start distance", title="Speed against conditioning")
    ax.set_xticks(kappas, [f"{kappa:g}" for kappa in kappas])
    ax.legend(fontsize="x-small", loc="upper left")
    return fig


def plot_stability(maps: Mapping[str, np.ndarray], lrs: np.ndarray, momenta: np.ndarray, table: pd.DataFrame,
                   L: float = 1.0) -> Figure:  # noqa: N803
    """Convergence rate over the (lr, momentum) plane, one panel per method, with the closed-form
    limit (line), the measured limits (dots) and gradient descent's 2/L (dashed)."""
    fig, axes = new_figure(ncols=len(maps), width=4.8, height=4.0)
    axes = np.atleast_1d(axes)
    image = None
    for ax, (method, rate) in zip(axes, maps.items(), strict=True):
        image = ax.pcolormesh(lrs * L, momenta, np.clip(rate, -0.1, 0.1), cmap="RdBu_r", vmin=-0.1, vmax=0.1,
                              shading="auto")
        rows = table[table["method"] == method]
        betas = np.linspace(0, float(momenta.max()), 100)
        closed = 2 * (1 + betas) / ((1 + 2 * betas) if method == "nesterov" else 1)
        ax.plot(closed, betas, color="black", linewidth=1.5, label="closed form")
        ax.plot(rows["measured"] * L, rows["momentum"], "o", color="gold", markeredgecolor="black", markersize=5,
                label="measured limit")
        ax.axvline(2.0, color="black", linestyle="--", linewidth=1, label="2/L (gradient descent)")
        formula = "2(1+β)/((1+2β)L)" if method == "nesterov" else "2(1+β)/L"
        ax.set(xlabel="learning rate × L", ylabel="momentum β", title=f"{method}: stable for lr < {formula}")
        ax.legend(fontsize="x-small", loc="upper left")
    fig.colorbar(image, ax=list(axes), label="log10 of the distance change per step")
    return fig


def plot_effective_lr(runs: Mapping[str, History], smooth: int = 20) -> Figure:
    """Smoothed training loss per step of the three effective-learning-rate runs."""
    fig, ax = new_figure(width=6.5, height=4.0)
    for colour, (label, history), style in zip(RUN_COLOURS, runs.items(), ("-", "--", ":"), strict=False):
        ax.plot(history.steps["step"], smoothed_step_loss(history, smooth), style, color=colour, label=label,
                linewidth=2)
    ax.set(xlabel="update (step)", ylabel=f"training loss (moving average of {smooth} steps)",
           title="Momentum β at lr behaves like plain SGD at lr / (1 - β)")
    ax.legend(fontsize="small", loc="lower left")
    return fig


def plot_tuned(table: pd.DataFrame, histories: Mapping[str, History], tests: Mapping[str, RangeTestResult]) -> Figure:
    """Left: each momentum's range test (smoothed loss, its suggestion marked). Right: validation
    loss per epoch of every run in ``histories``."""
    fig, (ax_test, ax_val) = new_figure(ncols=2, width=5.4, height=4.0)
    for colour, (label, test) in zip(RUN_COLOURS, tests.items(), strict=False):
        curve = test.curve
        ax_test.plot(curve["lr"], curve["smoothed_loss"], color=colour, label=label)
        lr = test.suggestions["steepest"]
        if np.isfinite(lr):
            ax_test.plot([lr], [np.interp(np.log(lr), np.log(curve["lr"]), curve["smoothed_loss"])], "v",
                         color=colour, markersize=9, markeredgecolor="black")
    first = min(test.curve["smoothed_loss"].iloc[0] for test in tests.values())
    lowest = min(test.curve["smoothed_loss"].min() for test in tests.values())
    ax_test.set(xscale="log", xlabel="learning rate (log scale)", ylabel="smoothed training loss",
                title="Range tests (▼ steepest descent)", ylim=(0.9 * lowest, 1.25 * first))
    ax_test.legend(fontsize="small", loc="upper left")
    for colour, (label, history) in zip(RUN_COLOURS, histories.items(), strict=False):
        style = "--" if "×" in label else "-"
        ax_val.plot(history.epochs["epoch"], history.epochs["val_loss"], style, marker="o", color=colour,
                    label=label + (" (diverged)" if history.diverged else ""))
    ax_val.set(xlabel="epoch", ylabel="validation loss", title="Training at the chosen rates", ylim=(0, 2.5))
    ax_val.legend(fontsize="x-small", loc="upper right")
    return fig


def plot_cyclical(sequence: pd.DataFrame, histories: Mapping[str, History]) -> Figure:
    """Left: one-cycle's rate and the cycled momentum per step. Right: validation accuracy per epoch."""
    fig, (ax_schedule, ax_val) = new_figure(ncols=2, width=5.2, height=3.8)
    ax_schedule.plot(sequence["step"], sequence["lr"], color="C0", label="learning rate (× max_lr)")
    ax_schedule.set(xlabel="update (step)", ylabel="learning rate / max_lr", title="One-cycle with cyclical momentum")
    ax_momentum = ax_schedule.twinx()
    ax_momentum.plot(sequence["step"], sequence["momentum"], color="C1", label="momentum")
    ax_momentum.set_ylabel("momentum", color="C1")
    ax_momentum.grid(False)
    lines = ax_schedule.get_lines() + ax_momentum.get_lines()
    ax_schedule.legend(lines, [line.get_label() for line in lines], fontsize="small", loc="center right")
    for colour, (label, history) in zip(RUN_COLOURS, histories.items(), strict=False):
        ax_val.plot(history.epochs["epoch"], 100 * history.epochs["val_acc"], "o-", color=colour, label=label)
    ax_val.set(xlabel="epoch", ylabel="validation accuracy (%)", title="Cyclical against constant momentum")
    ax_val.legend(fontsize="small", loc="lower right")
    return fig


def plot_constant_gradient(steps: Mapping[str, np.ndarray], lr: float) -> Figure:
    """Step size against step under a constant gradient, one line per optimizer."""
    fig, ax = new_figure(width=7.0, height=3.8)
    for index, (colour, (label, sizes)) in enumerate(zip(RUN_COLOURS, steps.items(), strict=False)):
        adam = label.startswith("Adam")  # Adam's lines lie on top of each other: dashes keep both visible
        ax.plot(np.arange(1, len(sizes) + 1), np.asarray(sizes) / lr, "--" if adam else "-", color=colour,
                label=label, linewidth=3.5 - index * 0.6 if adam else 2)
    ax.set(xlabel="update (step)", ylabel="step size / lr", yscale="log",
           title="Steady gradient: momentum multiplies the step, beta1 does not")
    ax.legend(fontsize="small", loc="center right")
    return fig
