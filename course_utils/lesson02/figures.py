"""Lesson 02's figures: every function returns a `matplotlib.figure.Figure` (never pyplot)."""
from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ..data import sine_function
from ..plots import new_figure
from .claims import IDENTITY_TOLERANCE
from .decomposition import ResampledFits

COLOURS = dict(zip(("bias2", "variance", "noise", "error", "train"), sns.color_palette("colorblind", 5), strict=True))


def plot_decomposition(table: pd.DataFrame, key: str = "degree", *, title: str = "") -> Figure:
    """Left: bias^2, variance, noise, their sum, the measured expected error and the
    training error against ``key`` (log scale). Right: the identity's relative gap."""
    fig, (ax, ax_gap) = new_figure(ncols=2, width=5.4, height=3.9, gridspec_kw={"width_ratios": [1.6, 1]})
    xs = table[key]
    ax.plot(xs, table["bias2"], "o-", color=COLOURS["bias2"], label="bias²")
    ax.plot(xs, table["variance"], "s-", color=COLOURS["variance"], label="variance")
    ax.plot(xs, table["noise"], ":", color=COLOURS["noise"], label="noise σ²")
    ax.plot(xs, table["total"], "-", color=COLOURS["error"], linewidth=3, alpha=0.35,
            label="bias² + variance + noise")
    ax.plot(xs, table["expected_error"], "x", color=COLOURS["error"], markersize=9, mew=2,
            label="expected test error (measured)")
    ax.plot(xs, table["train_error"], "--", color=COLOURS["train"], label="training error")
    ax.set_yscale("log")
    label = {"degree": "polynomial degree", "width": "hidden units (width)"}.get(key, key)
    ax.set(xlabel=label, ylabel="mean squared error (log scale)", title=title or "Decomposition of the test error")
    if key == "width":
        ax.set_xscale("log", base=2)
    ax.set_xticks(list(xs), [str(v) for v in xs])
    ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    ax_gap.bar([str(v) for v in xs], 100 * table["relative_gap"], color=COLOURS["error"])
    ax_gap.axhspan(-100 * IDENTITY_TOLERANCE, 100 * IDENTITY_TOLERANCE, color="grey", alpha=0.15,
                   label=f"accepted: ±{100 * IDENTITY_TOLERANCE:.0f} %")
    ax_gap.axhline(0, color="black", linewidth=0.8)
    ax_gap.set(xlabel=label, ylabel="(measured − sum) / measured (%)", title="Identity check",
               ylim=(-150 * IDENTITY_TOLERANCE, 150 * IDENTITY_TOLERANCE))
    ax_gap.legend(fontsize="x-small", loc="upper right")
    return fig


def plot_network_decomposition(table: pd.DataFrame, init_only: pd.DataFrame | None = None) -> Figure:
    """`plot_decomposition` for networks, plus the variance due to initialisation alone."""
    fig = plot_decomposition(table, "width", title="Small MLPs: decomposition by width")
    if init_only is not None:
        ax = fig.axes[0]
        ax.plot(init_only["width"], init_only["variance"], "s--", color=COLOURS["variance"], alpha=0.6,
                mfc="none", label="variance, initialisation only")
        ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    return fig


def plot_double_descent(table: pd.DataFrame) -> Figure:
    """Left: test error (each seed faint, their mean bold) and training error against the
    number of random features. Right: the norm of the fitted output weights. The
    interpolation threshold p = n is marked on both."""
    fig, (ax, ax_norm) = new_figure(ncols=2, width=5.2, height=4.0, gridspec_kw={"width_ratios": [1.5, 1]})
    n_train = int(table["n_train"].iloc[0])
    for _, run in table.groupby("seed"):
        ax.plot(run["n_features"], run["test_error"], color=COLOURS["error"], alpha=0.25, linewidth=0.8)
        ax_norm.plot(run["n_features"], run["norm"], color=COLOURS["bias2"], alpha=0.25, linewidth=0.8)
    mean = table.groupby("n_features")[["test_error", "train_error", "norm"]].mean()
    ax.plot(mean.index, mean["test_error"], "o-", color=COLOURS["error"], markersize=3,
            label=f"test error (mean of {table['seed'].nunique()} seeds; faint: each seed)")
    # Training error is exactly zero from p = n on; draw it where the log scale can show it.
    shown = mean["train_error"] > 1e-12
    ax.plot(mean.index[shown], mean["train_error"][shown], "--", color=COLOURS["train"], label="training error")
    ax_norm.plot(mean.index, mean["norm"], "o-", color=COLOURS["bias2"], markersize=3, label="mean of the seeds")
    for axis in (ax, ax_norm):
        axis.axvline(n_train, color="black", linestyle=":", label=f"p = n = {n_train}")
        axis.set(xscale="log", yscale="log", xlabel="number of random features p (log scale)")
    ax.text(n_train * 1.08, ax.get_ylim()[0] * 1.5, "training error = 0 from here on\n(every p ≥ n fits exactly)",
            fontsize="x-small", va="bottom")
    ax.set(ylabel="mean squared error (log scale)", title="Double descent of the test error")
    ax_norm.set(ylabel="weight norm ‖a‖ (log scale)", title="Size of the fitted weights")
    ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    ax_norm.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    return fig


def plot_fits(fits: ResampledFits, title: str, *, colour) -> Figure:
    """Every fit (faint), their mean (bold), the true function (dashed) and the first training set (dots)."""
    fig, ax = new_figure(width=7, height=4.2)
    predictions, x_grid = fits.predictions, fits.x_grid
    for row in predictions:
        ax.plot(x_grid, row, color=colour, alpha=min(0.5, 6 / len(predictions)), linewidth=0.8)
    ax.plot(x_grid, predictions.mean(axis=0), color=colour, linewidth=2.5, label="mean of the fits")
    ax.plot(x_grid, sine_function(x_grid), "k--", linewidth=2, label="true function sin(2πx)")
    ax.plot(fits.x_train[0], fits.y_train[0], "o", color="black", markersize=3.5, alpha=0.7, label="one training set")
    ax.set(xlabel="input x", ylabel="output y", ylim=(-2.2, 2.2), xlim=(0, 1))
    ax.legend(fontsize="x-small", loc="lower left")
    ax.set_title(title)
    return fig
