"""Lesson 10's figures: the recipe's steps, grid against random search, Optuna's studies."""
from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
from matplotlib.figure import Figure

from ..plots import new_figure
from .experiments import grid_points, one_matters

DESIGN_COLOURS = {"grid": "#D55E00", "random": "#0072B2", "random grid": "#009E73"}


def plot_recipe(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Validation and test accuracy after each step of the recipe (same epochs for every step)."""
    fig, ax = new_figure(width=7.5, height=3.8)
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["val_acc"], 0.4, label="validation", color="#56B4E9")
    ax.bar(x + 0.2, table["test_acc"], 0.4, label="test", color="#0072B2")
    for i, acc in enumerate(table["test_acc"]):
        ax.annotate(f"{acc:.3f}", (i + 0.2, acc), ha="center", va="bottom", fontsize=8)
    low = max(0.0, float(min(table["val_acc"].min(), table["test_acc"].min())) - 0.08)
    ax.set(xticks=x, xticklabels=table["step"], ylim=(low, min(1.0, float(table["test_acc"].max()) + 0.06)),
           ylabel="accuracy", title=title or "One change at a time, the same epochs for every step")
    ax.legend(loc="lower right")
    return fig


def plot_grid_vs_random(table: pd.DataFrame, n_trials: int, *, seed: int = 0, weight_b: float = 0.02,
                        title: str = "") -> Figure:
    """Left: one repeat's trials over the score's map. Right: each design's best score over all repeats."""
    fig, (left, right) = new_figure(ncols=2, width=5.2, height=4.2)
    peak = float(table["peak"].iloc[0])
    a, b = np.meshgrid(np.linspace(0, 1, 200), np.linspace(0, 1, 200), indexing="ij")
    left.contourf(a, b, one_matters(a, b, peak=peak, weight_b=weight_b), levels=20, cmap="Greys")
    grid = grid_points(n_trials)
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 1, (n_trials, 2))
    left.plot(grid[:, 0], grid[:, 1], "s", color=DESIGN_COLOURS["grid"], markersize=8, label="grid")
    left.plot(points[:, 0], points[:, 1], "o", color=DESIGN_COLOURS["random"], markersize=7, label="random")
    for values, colour, offset in ((grid[:, 0], DESIGN_COLOURS["grid"], -0.03), (points[:, 0],
                                                                                  DESIGN_COLOURS["random"], -0.06)):
        left.plot(values, np.full_like(values, offset), "|", color=colour, markersize=10, clip_on=False)
    left.set(xlim=(0, 1), ylim=(-0.08, 1), xlabel="a (matters: the peak is the dark band)",
             ylabel="b (barely matters)", title="One repeat; ticks below: values of a tried")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    bins = np.linspace(0, 1 + weight_b, 21)
    for name in ("grid", "random", "random grid"):
        right.hist(table[name], bins=bins, histtype="step", linewidth=2, color=DESIGN_COLOURS[name],
                   label=f"{name}: mean {table[name].mean():.2f}")
    share = float((table["random"] > table["grid"]).mean())
    right.set(xlabel="best score found (1 = the peak)", ylabel="repeats",
              title=f"Best of each design over {len(table)} repeats")
    fig.suptitle(title or f"{n_trials} trials: random beats the grid in {share:.0%} of {len(table)} repeats")
    right.legend(loc="upper left")
    return fig


def _figure_of(axes) -> Figure:
    """The Figure under Optuna's axes; taken off pyplot's list so the notebook shows it once."""
    first = np.ravel(axes)[0] if isinstance(axes, np.ndarray) else axes
    fig = first.figure
    import matplotlib.pyplot as plt  # Optuna's matplotlib backend draws through pyplot

    plt.close(fig)
    return fig


def optuna_plots(study: optuna.Study, params: list[str] | None = None) -> dict[str, Figure]:
    """Optuna's own plots (its matplotlib backend): optimization history, parameter importances, slice."""
    import warnings

    from optuna.visualization import matplotlib as ovm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        figures = {"history": _figure_of(ovm.plot_optimization_history(study)),
                   "importances": _figure_of(ovm.plot_param_importances(study)),
                   "slice": _figure_of(ovm.plot_slice(study, params=params))}
    for fig in figures.values():
        fig.set_size_inches(max(fig.get_size_inches()[0], 6), 3.8)
    return figures


def plot_best_so_far(studies: dict[str, optuna.Study], *, x: str = "trials", title: str = "") -> Figure:
    """Best validation accuracy so far against trials (or epochs trained) for several studies."""
    fig, ax = new_figure(width=6.5, height=3.8)
    for (name, study), colour in zip(studies.items(), ("#D55E00", "#0072B2", "#009E73", "#CC79A7"), strict=False):
        trials = study.get_trials(deepcopy=False)
        spent = np.cumsum([t.user_attrs.get("epochs_run", 0) for t in trials]) if x == "epochs" else np.arange(
            1, len(trials) + 1)
        values = [t.value if t.state == optuna.trial.TrialState.COMPLETE else np.nan for t in trials]
        best = pd.Series(values).cummax().ffill()
        ax.step(spent, best, where="post", color=colour, label=f"{name}: best {np.nanmax(values):.3f}")
        ax.plot(spent, values, "o", color=colour, alpha=0.4, markersize=4)
    ax.set(xlabel="epochs trained (all trials)" if x == "epochs" else "trials", ylabel="validation accuracy",
           title=title or "Best so far (line) and each completed trial (dots)")
    ax.legend(loc="lower right")
    return fig
