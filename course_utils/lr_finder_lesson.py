"""Lesson 06: the experiments behind the notebook on the learning-rate range test.

The tool itself is `course_utils.lr_finder`; this module trains with it and with `fit`
(the suggested rate against 10x smaller and larger, one-cycle against a constant rate,
the spread over seeds, a least-squares problem whose divergence point is known) and holds
the lesson's plots, slider panel and exercises.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from ipywidgets import fixed
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import nn

from .config import get_device, seed_everything
from .data import Data, Split
from .exercises import function_exercise, multiple_choice, numeric
from .lr_finder import (RAMPS, SUGGESTION_COLOURS, SUGGESTION_LABELS, RangeTestResult, lr_ramp, lr_range_test,
                        smooth_losses)
from .models import mlp
from . import schedules
from .plots import new_figure
from .training import History, fit
from .validation import check_int, check_non_negative, check_positive
from .widgets import choice, float_slider, int_slider, log_slider, slider_panel, slider_text

def new_model(width: int = 256, depth: int = 2, seed: int = 0) -> nn.Module:
    """The lesson's MLP, initialised from ``seed``, on the device the lessons' data use."""
    seed_everything(seed)
    return mlp(width, depth).to(get_device())


def run_range_test(data: Data, *, width: int = 256, seed: int = 0, **test_options) -> RangeTestResult:
    """A range test with plain SGD on a fresh lesson MLP (``test_options`` go to `lr_range_test`)."""
    return lr_range_test(new_model(width, seed=seed), data, seed=seed, **test_options)


def train_at(data: Data, lr: float, *, epochs: int, width: int = 256, batch_size: int = 128,
             seed: int = 0, scheduler: Callable | None = None) -> History:
    """Train a fresh lesson MLP with plain SGD at ``lr`` (or a scheduler built on it)."""
    return fit(new_model(width, seed=seed), data, epochs=epochs, lr=lr, batch_size=batch_size,
               scheduler=scheduler, seed=seed, progress=False, verbose=False)


def compare_rates(data: Data, lr: float, *, epochs: int, factors: Sequence[float] = (0.1, 1.0, 10.0),
                  width: int = 256, batch_size: int = 128, seed: int = 0) -> tuple[pd.DataFrame, dict[str, History]]:
    """Train at ``lr`` times each factor for the same budget; final validation numbers per rate.

    A run that diverges (`fit` stops it) keeps the validation loss and accuracy of its
    last finished epoch and is flagged ``diverged``.
    """
    check_positive("lr", lr)
    histories, rows = {}, []
    for factor in factors:
        label = f"{factor:g} x suggestion"
        history = train_at(data, lr * factor, epochs=epochs, width=width, batch_size=batch_size, seed=seed)
        histories[label] = history
        rows.append({"rate": label, "factor": factor, "lr": lr * factor,
                     "val_loss": history.final("val_loss"), "val_acc": history.final("val_acc"),
                     "train_loss": history.final("train_loss"), "diverged": history.diverged})
    return pd.DataFrame(rows), histories


def one_cycle_vs_constant(data: Data, max_lr: float, constant_lr: float, *, epochs: int, width: int = 256,
                          batch_size: int = 128, seed: int = 0) -> dict[str, History]:
    """One-cycle (`schedules.one_cycle`, up to ``max_lr``) against a constant rate, same epochs and seed.

    Momentum stays off (``cycle_momentum=False``) so that the schedule of the rate is the
    only difference between the two runs; lesson 08 adds cyclical momentum.
    """
    check_positive("max_lr", max_lr)
    check_positive("constant_lr", constant_lr)
    # The shared one-cycle schedule peaks at the rate the run is given, here max_lr.
    one_cycle = schedules.one_cycle(total_steps=epochs * math.ceil(len(data.train) / batch_size))

    return {
        f"constant {constant_lr:.2g}": train_at(data, constant_lr, epochs=epochs, width=width,
                                                 batch_size=batch_size, seed=seed),
        f"one-cycle, max {max_lr:.2g}": train_at(data, max_lr, epochs=epochs, width=width, batch_size=batch_size,
                                                  seed=seed, scheduler=one_cycle),
    }


def suggestion_spread(data: Data, seeds: Sequence[int], *, width: int = 256, **test_options) -> pd.DataFrame:
    """One range test per seed (model initialisation and batch order change); a row each."""
    rows = []
    for seed in seeds:
        result = run_range_test(data, width=width, seed=seed, **test_options)
        rows.append({"seed": seed, **result.suggestions, "min_loss_lr": result.min_loss_lr,
                     "stop_lr": result.stop_lr, "stop_reason": result.stop_reason})
    return pd.DataFrame(rows)


def spread_ratio(table: pd.DataFrame, columns: Sequence[str] = ("steepest", "valley", "min/10")) -> pd.Series:
    """Largest over smallest value of each suggestion across seeds (1 = perfectly stable)."""
    return pd.Series({column: table[column].max() / table[column].min() for column in columns})


# --- a problem whose divergence point is known in closed form --------------------------

@dataclass
class LeastSquares:
    """Linear least squares ``loss(w) = mean((x w - y)^2)`` and its curvature.

    The Hessian is ``H = 2 x^T x / n``; its largest eigenvalue is ``L``. Full-batch
    gradient descent with a constant rate multiplies the error along the top eigenvector
    by ``(1 - lr L)`` each step, so it diverges exactly when ``lr > 2 / L``.
    """

    x: torch.Tensor
    y: torch.Tensor
    curvature: float

    @property
    def divergence_lr(self) -> float:
        return 2.0 / self.curvature

    @property
    def split(self) -> Split:
        return Split(self.x, self.y)

    def model(self, seed: int = 0) -> nn.Module:
        """A linear model without bias, in float64 on the CPU like the data (see `least_squares_problem`)."""
        seed_everything(seed)
        return nn.Linear(self.x.shape[1], 1, bias=False).double()  # float64 on the CPU, like the data

    def loss_curve(self, model: nn.Module, lrs: np.ndarray) -> np.ndarray:
        """The loss before each full-batch step along the ramp, in closed form.

        In the eigenbasis of ``A = x^T x / n`` (eigenvalues ``a_i``) the error of each
        coordinate ``c_i`` is multiplied by ``1 - 2 lr a_i`` per step, so
        ``loss_t = r + sum_i a_i c_i^2 prod_{s<t} (1 - 2 lr_s a_i)^2`` with ``r`` the
        residual of the exact solution.
        """
        x, y = self.x.cpu().double().numpy(), self.y.cpu().double().numpy()
        a, vectors = np.linalg.eigh(x.T @ x / len(x))
        best_w = np.linalg.lstsq(x, y, rcond=None)[0]
        residual = float(np.mean((x @ best_w - y) ** 2))
        error = vectors.T @ (model.weight.detach().cpu().double().numpy().T - best_w)
        factors = (1 - 2 * np.outer(lrs, a)) ** 2
        shrink = np.cumprod(np.vstack([np.ones_like(a), factors[:-1]]), axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            return residual + (shrink * (a * error[:, 0] ** 2)).sum(axis=1)


def least_squares_problem(n: int = 200, d: int = 10, noise: float = 0.1, *, seed: int = 0) -> LeastSquares:
    """Random features with unequal scales, a random true weight and Gaussian label noise.

    Float64 throughout: near ``lr = 1 / L`` the top direction's error shrinks by many
    orders of magnitude, below float32's rounding, and the closed form would no longer
    describe the run.
    """
    check_int("n", n, 2)
    check_int("d", d, 1)
    check_non_negative("noise", noise)
    generator = torch.Generator().manual_seed(seed)
    # float64 on the CPU (no device given): the problem is tiny, and MPS has no float64
    x = torch.randn(n, d, generator=generator, dtype=torch.float64) * torch.linspace(0.3, 2.0, d, dtype=torch.float64)
    true_w = torch.randn(d, 1, generator=generator, dtype=torch.float64)
    y = x @ true_w + noise * torch.randn(n, 1, generator=generator, dtype=torch.float64)
    curvature = 2 * float(torch.linalg.eigvalsh(x.T @ x / n).max())
    return LeastSquares(x, y, curvature)


def predicted_stop(losses: np.ndarray, smoothing: float = 0.98, diverge_factor: float = 4.0, *,
                   bias_correction: bool = True) -> int | None:
    """Index of the step where the stopping rule fires on ``losses`` (None: never)."""
    smoothed = smooth_losses(np.where(np.isnan(losses), np.inf, losses), smoothing, bias_correction=bias_correction)
    best = np.minimum.accumulate(np.where(np.isfinite(smoothed), smoothed, np.inf))
    fired = np.nonzero(~np.isfinite(smoothed) | (smoothed > diverge_factor * best))[0]
    return int(fired[0]) if len(fired) else None


def least_squares_range_test(problem: LeastSquares, *, seed: int = 0,
                             **test_options) -> tuple[RangeTestResult, int | None]:
    """The range test with full-batch steps, and the stop step predicted in closed form."""
    options = dict(start_lr=1e-7, end_lr=10.0, steps=100, ramp="exponential", smoothing=0.98, diverge_factor=4.0)
    options.update(test_options)
    model = problem.model(seed)
    lrs = lr_ramp(options["start_lr"], options["end_lr"], options["steps"], options["ramp"])
    expected = predicted_stop(problem.loss_curve(model, lrs), options["smoothing"], options["diverge_factor"])
    result = lr_range_test(model, problem.split, batch_size=len(problem.x), seed=seed, progress=False, **options)
    return result, expected


def regrowth_factor() -> float:
    """How far beyond ``2/L`` an infinitely fine exponential ramp must go before the top
    direction's error is back to its starting size: ``e^Y`` with
    ``integral_0^Y ln(2 e^u - 1) du = pi^2 / 4``.

    Below ``2/L`` the ramp shrinks that error by ``exp(-k pi^2/4)`` in total (``k`` steps
    per e-fold of the rate; the rate ``1/L`` annihilates it), and above ``2/L`` it grows by
    ``|1 - lr L|`` per step; both sums scale with ``k``, so the answer does not depend on it.
    """
    target = math.pi ** 2 / 4
    grid = np.linspace(0.0, 4.0, 400_001)
    integrand = np.log(2 * np.exp(grid) - 1)
    integral = np.concatenate([[0.0], np.cumsum((integrand[1:] + integrand[:-1]) / 2 * np.diff(grid))])
    return float(np.exp(np.interp(target, integral, grid)))


# --- plots ------------------------------------------------------------------------------

def plot_ramps(start_lr: float = 1e-7, end_lr: float = 10.0, steps: int = 100) -> Figure:
    """The exponential and the linear ramp over the same range, on a log scale."""
    fig, ax = new_figure(width=6.5)
    step = np.arange(1, steps + 1)
    for ramp, colour in zip(RAMPS, ("C0", "C1")):
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
    stop = predicted_stop(raw, beta, result.settings["diverge_factor"], bias_correction=False)
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
    for colour, (label, history) in zip(colours, histories.items()):
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
    for colour, (label, history) in zip(("C7", "C0"), histories.items()):  # not the suggestions' colours
        ax_lr.plot(history.steps["step"], history.steps["lr"], color=colour, label=label)
        trained = history.epochs.iloc[1:]  # epoch 0, the untrained model, would squash the axis
        ax_acc.plot(trained["epoch"], 100 * trained["val_acc"], marker="o", color=colour, label=label)
    ax_lr.set(xlabel="update (step)", ylabel="learning rate", title="Schedules")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy (%)", title="Validation accuracy")
    ax_lr.legend(fontsize="small")
    ax_acc.legend(fontsize="small", loc="lower right")
    return fig


# --- slider -----------------------------------------------------------------------------

def explore_range_test(data: Data, smoothing: float = 0.98, start_lr: float = 1e-7, end_lr: float = 10.0,
                       steps: int = 100, ramp: str = "exponential", mode: str = "train", width: int = 256,
                       seed: int = 0) -> Figure:
    """One range test with the given smoothing, range, number of steps and mode, plotted."""
    result = run_range_test(data, width=width, seed=seed, smoothing=smoothing, start_lr=start_lr,
                            end_lr=end_lr, steps=steps, ramp=ramp, mode=mode, progress=False)
    # Values written as the sliders write them (two significant digits).
    return result.plot(title=f"{slider_text(start_lr)} to {slider_text(end_lr)}, beta {smoothing:.2f}: "
                             f"{result.stop_reason} after {len(result.curve)} of {steps} steps")


def range_test_panel(data: Data):
    """Sliders for `explore_range_test` with a Run button (each run trains for a second or two).

    It draws the default test once before the first Run, so the panel never starts empty.
    """
    return slider_panel(explore_range_test, manual=True, draw_first=True, data=fixed(data), width=fixed(256),
                        seed=fixed(0),
                        smoothing=float_slider("smoothing beta", 0.98, 0.0, 0.99, 0.01),
                        start_lr=log_slider("start lr", 1e-7, 1e-8, 1e-2),
                        end_lr=log_slider("end lr", 10.0, 0.1, 100.0),
                        steps=int_slider("steps", 100, 10, 300, 10),
                        ramp=choice("ramp", [(f"{ramp} ramp", ramp) for ramp in RAMPS]),
                        mode=choice("watch the loss of", [("training batches", "train"),
                                                          ("validation subset", "val")]))


# --- exercises --------------------------------------------------------------------------

EXERCISES = {
    "ramp_factor": numeric(
        "An exponential ramp goes from 1e-7 to 10 in 100 steps (first and last included). "
        "By what factor does the learning rate grow from one step to the next?",
        10 ** (8 / 99), rel_tol=0.005,
        hint_low="Too small. Count the decades the ramp covers, and the number of *gaps* between 100 steps.",
        hint_high="Too large. 100 steps have 99 gaps between them; the ramp covers 8 decades in those gaps.",
        explanation="(10 / 1e-7) ** (1/99) = 10 ** (8/99), about 1.205: every step multiplies the rate by "
                    "about 1.2, so every decade gets about 12 steps.",
    ),
    "bias_correction": multiple_choice(
        "The moving average starts at 0. What would happen to the range test if it were *not* bias-corrected?",
        {"a": "Nothing visible: the correction only changes the last few steps.",
         "b": "The first smoothed values would be far below the real loss, the 'best' loss would be tiny, "
              "and the stopping rule would fire after a few steps while the loss is still flat.",
         "c": "The smoothed loss would overshoot the real loss at the start, so the test would never stop.",
         "d": "The suggestions would all move to larger learning rates, by a factor 1 / (1 - beta)."},
        correct="b",
        hints={"a": "Compute 1 - beta**t for beta = 0.98 and t = 1, 5, 50: where is the factor far from 1?",
               "c": "Starting from 0 and adding 2% of each loss: does the average start above or below the loss?",
               "d": "Look at the smoothing plot: which steps differ between the two averages?"},
        explanation="Without correction the average after t steps is only (1 - beta**t) of the loss: 2% "
                    "after one step. That tiny value becomes the best loss, and a few steps later the average "
                    "has grown past 4 x best: the test stops before it has tested anything.",
    ),
    "divergence_lr": numeric(
        "Least squares with the loss mean((x w - y)^2): the largest eigenvalue of x^T x / n is 2.5. "
        "Above which constant learning rate does full-batch gradient descent diverge?",
        0.4, rel_tol=0.01,
        hint_low="Too small. Did you stop at the rate that solves the top direction in one step (1/L)? "
                 "Divergence needs |1 - lr L| > 1.",
        hint_high="Too large. Differentiate the *squared* error twice: the Hessian is 2 x^T x / n, not x^T x / n.",
        explanation="The Hessian is H = 2 x^T x / n, so L = 5 and gradient descent diverges for lr > 2/L = 0.4 "
                    "(the factor 2 of the square and the 2 of 2/L cancel: lr > 1 / 2.5).",
    ),
    "stop_rate": multiple_choice(
        "A range test stopped (diverged) at lr = 2.7. Why not train at 2.7, or just below it?",
        {"a": "Because the test used a different batch size than training will.",
         "b": "Because the stop rate is where the loss was lowest, and the best rate is always 10 times lower.",
         "c": "Because the stop comes late: each loss is measured before its step, the average lags, and the "
              "ramp can pass the divergence point of a constant rate well before the loss visibly explodes.",
         "d": "You should: the stop rate is the largest stable rate and therefore the fastest."},
        correct="c",
        hints={"a": "The test can (and should) use the batch size you will train with. Look elsewhere.",
               "b": "The stop is where the smoothed loss exceeds 4 x its best, not where it is lowest.",
               "d": "Look at the least-squares experiment: where did the test stop, compared with 2/L?"},
        explanation="On least squares the test stopped 9 to 11 times above 2/L, the rate at which constant-rate "
                    "training diverges. The stop is an upper bound, never a rate to train at.",
    ),
}


# --------------------------------------------------------------------------- coding exercise

def bias_corrected_average(losses: Sequence[float], beta: float) -> list[float]:
    """Exponential moving average of ``losses`` started at 0, divided by ``1 - beta ** t`` at step t = 1, 2, ..."""
    average, smoothed = 0.0, []
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        smoothed.append(average / (1 - beta ** t))
    return smoothed


def _smoothing_cases() -> list[tuple[list[float], float]]:
    rng = np.random.default_rng()
    cases = [([2.3], 0.98), ([2.3] * 20, 0.98), ([2.3, 1.0, 4.0], 0.0), ([1.0, 2.0, 3.0, 4.0], 0.5)]
    for n, beta in ((30, 0.9), (100, 0.98), (7, 0.6)):
        cases.append(((2.3 + rng.normal(0.0, 0.3, size=n)).tolist(), beta))
    return cases


def _no_correction(losses, beta):
    average, smoothed = 0.0, []
    for loss in losses:
        average = beta * average + (1 - beta) * loss
        smoothed.append(average)
    return smoothed


def _correction_one_step_late(losses, beta):
    average, smoothed = 0.0, []
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        smoothed.append(average / (1 - beta ** (t + 1)))
    return smoothed


def _weights_swapped(losses, beta):
    average, smoothed = 0.0, []
    for t, loss in enumerate(losses, start=1):
        average = (1 - beta) * average + beta * loss
        smoothed.append(average / (1 - beta ** t))
    return smoothed


EXERCISES["smoothing_code"] = function_exercise(
    "Write `bias_corrected_average(losses, beta)`, the range test's smoothing: an exponential moving average "
    "`average = beta * average + (1 - beta) * loss` that starts at 0, with the bias correction of section 4. "
    "Return the list of corrected averages, one per loss.",
    bias_corrected_average, _smoothing_cases,
    mistakes=[
        (_no_correction,
         "No bias correction: your first values are far below the losses, because the average starts at 0. "
         "Divide the average after t losses by the total weight it has received so far."),
        (_correction_one_step_late,
         "Off by one step in the correction: after the first loss the average holds a weight of (1 - beta) "
         "in total, so its first corrected value must be exactly the first loss."),
        (_weights_swapped,
         "The weights are swapped: with beta = 0.98 the average should keep 98% of its old value and take "
         "only 2% of the new loss."),
    ],
    explanation="After t losses the weights sum to 1 - beta^t, so `average / (1 - beta ** t)` is a true "
                "weighted mean from the first step on. `course_utils.lr_finder.smooth_losses` is this loop.",
)
