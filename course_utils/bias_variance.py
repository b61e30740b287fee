"""Lesson 02, bias-variance tradeoff: the experiments behind the notebook.

Three experiments, each a plain function that returns a table (the notebook plots it and
checks the lesson's claims on it):

- `polynomial_bias_variance`: least-squares polynomials of growing degree fitted to many
  resampled noisy training sets of the 1-D sine problem; bias^2, variance and noise per
  degree, and the expected test error measured directly, to check the identity
  ``expected error = bias^2 + variance + noise``.
- `network_bias_variance`: the same decomposition for small MLPs of growing width, trained
  with the course's `fit` (all resamples at once, as one `StackedMLP`).
- `double_descent`: min-norm least squares on random ReLU features; the test error peaks
  where the number of features equals the number of training samples and falls beyond.

Definitions used throughout, at a test input ``x`` (then averaged over the test inputs),
with ``f`` the true function, ``f_hat_r`` the model fitted to training set ``r`` and
``mean_f_hat`` the average of the ``R`` fitted models:

- ``bias^2     = (mean_f_hat(x) - f(x))^2``
- ``variance   = mean over r of (f_hat_r(x) - mean_f_hat(x))^2``
- ``noise      = sigma^2`` (the variance of the label noise; no model can remove it)
- ``expected error = mean over r and fresh noisy targets y of (f_hat_r(x) - y)^2``
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.figure import Figure
from numpy.polynomial import legendre
from torch import nn

from .config import seed_everything
from .data import make_regression_1d, sine_function
from .exercises import function_exercise, multiple_choice, numeric
from .models import mlp
from .plots import new_figure
from .training import fit
from .validation import check_choice, check_int, check_non_negative, check_positive

# The lesson's fixed problem: n = 30 noisy samples of one sine period, noise sigma = 0.3.
N_TRAIN = 30
NOISE = 0.3
DEGREES = tuple(range(0, 9))
# The sum bias^2 + variance + noise and the directly measured expected error may differ by
# Monte Carlo error only (the fresh test noise is random); we accept up to 2 % of the error.
IDENTITY_TOLERANCE = 0.02


# ----------------------------------------------------------------------------------------
# The decomposition itself
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decomposition:
    """Bias^2, variance and noise of one model class, and its directly measured error."""

    bias2: float
    variance: float
    noise: float
    expected_error: float

    @property
    def total(self) -> float:
        """bias^2 + variance + noise: what the identity says the expected error is."""
        return self.bias2 + self.variance + self.noise

    @property
    def relative_gap(self) -> float:
        """(expected error - total) / expected error: zero up to Monte Carlo error."""
        return (self.expected_error - self.total) / self.expected_error


def decompose(predictions: np.ndarray, true_values: np.ndarray, noise: float, *, seed: int = 0,
              n_targets: int = 500_000) -> Decomposition:
    """Decompose the test error of ``R`` fitted models, given as ``predictions`` ``(R, m)``.

    ``true_values`` ``(m,)`` holds ``f`` at the ``m`` test inputs. The expected error is
    measured directly: every prediction meets fresh noisy targets ``f(x) + noise * N(0, 1)``
    (drawn from ``seed``, never seen in training), at least ``n_targets`` of them in all
    and at least ten per prediction, so that its Monte Carlo error is a fraction of a percent.
    """
    predictions = np.asarray(predictions, dtype=float)
    true_values = np.asarray(true_values, dtype=float)
    if predictions.ndim != 2 or predictions.shape[1] != true_values.shape[-1]:
        raise ValueError(f"predictions must have shape (R, {true_values.shape[-1]}) (got {predictions.shape})")
    check_int("number of fitted models (rows of predictions)", predictions.shape[0], 2)
    noise = check_non_negative("noise", noise)
    mean_prediction = predictions.mean(axis=0)
    bias2 = float(np.mean((mean_prediction - true_values) ** 2))
    variance = float(np.mean(predictions.var(axis=0)))
    check_int("n_targets", n_targets, 1)
    targets_per_prediction = max(10, -(-n_targets // predictions.size))  # ceiling division
    rng = np.random.default_rng(seed)
    squared_errors = [np.mean((predictions - true_values - noise * rng.standard_normal(predictions.shape)) ** 2)
                      for _ in range(targets_per_prediction)]
    expected_error = float(np.mean(squared_errors))
    return Decomposition(bias2, variance, noise**2, expected_error)


def grid_inputs(n_test: int) -> np.ndarray:
    """``n_test`` evenly spaced test inputs in (0, 1): an average over them approximates
    the average over ``x ~ U(0, 1)``, the distribution the training inputs come from."""
    check_int("n_test", n_test, 2)
    return (np.arange(n_test) + 0.5) / n_test


def draw_training_sets(
    n_resamples: int, n_train: int = N_TRAIN, noise: float = NOISE, *, seed: int = 0,
    function: Callable[[np.ndarray], np.ndarray] = sine_function,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_resamples`` independent training sets from `make_regression_1d`, as ``(R, n)`` arrays."""
    check_int("n_resamples", n_resamples, 2)
    check_int("n_train", n_train, 1)
    check_non_negative("noise", noise)
    seeds = np.random.SeedSequence(seed).generate_state(n_resamples)
    pairs = [make_regression_1d(n_train, noise, seed=int(s), function=function) for s in seeds]
    return np.stack([x for x, _ in pairs]), np.stack([y for _, y in pairs])


# ----------------------------------------------------------------------------------------
# Polynomials
# ----------------------------------------------------------------------------------------
def legendre_design(x: np.ndarray, degree: int) -> np.ndarray:
    """Features ``P_0(t), ..., P_degree(t)`` with ``t = 2x - 1``: Legendre polynomials on [0, 1].

    The same functions as ``1, x, ..., x^degree`` (any polynomial is a combination of
    either), but far better conditioned, so least squares stays accurate at high degree.
    """
    check_int("degree", degree, 0)
    return legendre.legvander(2 * np.asarray(x, dtype=float) - 1, degree)


def fit_polynomials(x_train: np.ndarray, y_train: np.ndarray, degree: int) -> np.ndarray:
    """Least-squares coefficients ``(R, degree + 1)`` for ``R`` training sets ``(R, n)`` at once.

    ``pinv`` gives the least-squares solution (the smallest one when ``n <= degree``); for
    one training set, ``numpy.polynomial.Polynomial.fit`` would do the same job.
    """
    design = legendre_design(np.atleast_2d(x_train), degree)
    return np.einsum("rpn,rn->rp", np.linalg.pinv(design), np.atleast_2d(y_train))


def predict_polynomials(coefficients: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Values ``(R, len(x))`` of the ``R`` fitted polynomials at the inputs ``x``."""
    return coefficients @ legendre_design(x, coefficients.shape[-1] - 1).T


def polynomial_bias_variance(
    degrees: Sequence[int] = DEGREES,
    *,
    n_train: int = N_TRAIN,
    noise: float = NOISE,
    n_resamples: int = 500,
    n_test: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Bias^2, variance, noise, their sum and the directly measured expected test error
    of least-squares polynomials, one row per degree, over ``n_resamples`` training sets.

    Every degree is fitted to the same training sets, so the rows differ by the degree only.
    ``train_error`` is the mean squared error on the training sets themselves.
    """
    degrees = [check_int("degree", d, 0) for d in degrees]
    check_int("n_resamples", n_resamples, 2)
    x_train, y_train = draw_training_sets(n_resamples, n_train, noise, seed=seed)
    x_test = grid_inputs(n_test)
    rows = []
    for degree in degrees:
        coefficients = fit_polynomials(x_train, y_train, degree)
        parts = decompose(predict_polynomials(coefficients, x_test), sine_function(x_test), noise, seed=seed + 1)
        fitted = np.einsum("rnp,rp->rn", legendre_design(x_train, degree), coefficients)
        rows.append(_row("degree", degree, parts, float(np.mean((fitted - y_train) ** 2))))
    return pd.DataFrame(rows)


def _row(key: str, value, parts: Decomposition, train_error: float) -> dict:
    return {key: value, "bias2": parts.bias2, "variance": parts.variance, "noise": parts.noise,
            "total": parts.total, "expected_error": parts.expected_error,
            "relative_gap": parts.relative_gap, "train_error": train_error}


@dataclass(frozen=True)
class Trends:
    """How the terms of a decomposition table change from the low end to the high end.

    ``bias2_fall`` is mean bias^2 over the lower half of the rows divided by that over the
    upper half (> 1: bias^2 falls); ``variance_rise`` the reverse ratio for the variance
    (> 1: variance rises). ``best`` is the row (degree or width) with the lowest expected
    error, ``end_ratio`` the lower of (error at either end) / (lowest error), and
    ``max_gap`` the largest |relative gap| of the identity.
    """

    bias2_fall: float
    variance_rise: float
    best: int
    end_ratio: float
    max_gap: float


def trends(table: pd.DataFrame, key: str = "degree") -> Trends:
    """The `Trends` of a table from `polynomial_bias_variance` or `network_bias_variance`."""
    half = len(table) // 2
    low, high = table.iloc[:half], table.iloc[-half:]
    error = table["expected_error"].to_numpy()
    return Trends(
        bias2_fall=float(low["bias2"].mean() / high["bias2"].mean()),
        variance_rise=float(high["variance"].mean() / low["variance"].mean()),
        best=int(table[key].iloc[int(np.argmin(error))]),
        end_ratio=float(min(error[0], error[-1]) / error.min()),
        max_gap=float(table["relative_gap"].abs().max()),
    )


# ----------------------------------------------------------------------------------------
# Small neural networks, trained side by side
# ----------------------------------------------------------------------------------------
class StackedMLP(nn.Module):
    """``R`` independent one-hidden-layer ReLU networks for 1-D regression, run side by side.

    Member ``r`` is an exact copy of ``mlp(width, depth=1, n_inputs=1, n_classes=1)``
    (the course's network, same initialisation), reading column ``r`` of an ``(N, R)``
    input and writing column ``r`` of the ``(N, R)`` output. The members share no weights,
    so training the stack with `stacked_mse` trains each of them exactly as if alone, but
    with one call to `fit` instead of ``R``.
    """

    def __init__(self, networks: Sequence[nn.Sequential]):
        super().__init__()
        hidden = [net[1] for net in networks]   # Linear(1, width)
        output = [net[3] for net in networks]   # Linear(width, 1)
        self.hidden_weight = nn.Parameter(torch.stack([layer.weight[:, 0] for layer in hidden]).detach().clone())
        self.hidden_bias = nn.Parameter(torch.stack([layer.bias for layer in hidden]).detach().clone())
        self.output_weight = nn.Parameter(torch.stack([layer.weight[0] for layer in output]).detach().clone())
        self.output_bias = nn.Parameter(torch.stack([layer.bias[0] for layer in output]).detach().clone())

    @classmethod
    def build(cls, n_members: int, width: int, *, seed: int = 0) -> "StackedMLP":
        """``n_members`` freshly initialised copies of the 1-D ``mlp`` of this ``width``."""
        check_int("n_members", n_members, 1)
        seed_everything(seed)
        return cls([mlp(width, depth=1, n_inputs=1, n_classes=1) for _ in range(n_members)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(x[:, :, None] * self.hidden_weight + self.hidden_bias)  # (N, R, width)
        return (hidden * self.output_weight).sum(-1) + self.output_bias


def stacked_mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sum over the members (columns) of each member's mean squared error.

    Each member's gradient is then exactly what its own MSE would give it alone.
    """
    return ((output - target) ** 2).mean(dim=0).sum()


def train_networks(
    x_train: np.ndarray, y_train: np.ndarray, width: int, *, epochs: int, lr: float = 0.01,
    seed: int = 0,
) -> StackedMLP:
    """Train one 1-D MLP per training set (rows of ``x_train``, ``y_train``), full batch, Adam.

    Tiny networks train faster on the CPU than on a GPU, so this runs on the CPU.
    """
    check_int("width", width, 1)
    check_int("epochs", epochs, 1)
    check_positive("lr", lr)
    n_members, n_train = np.shape(x_train)
    model = StackedMLP.build(n_members, width, seed=seed)
    columns = [torch.tensor(np.asarray(array).T, dtype=torch.float32) for array in (x_train, y_train)]  # (N, R)
    fit(model, tuple(columns), epochs=epochs, batch_size=n_train, optimizer="adam", lr=lr,
        loss_fn=stacked_mse, seed=seed, progress=False)
    return model


@torch.no_grad()
def predict_networks(model: StackedMLP, x: np.ndarray) -> np.ndarray:
    """Values ``(R, len(x))`` of every member of the stack at the inputs ``x``."""
    n_members = model.hidden_weight.shape[0]
    inputs = torch.tensor(np.repeat(np.asarray(x, dtype=np.float32)[:, None], n_members, axis=1))
    return model(inputs).numpy().T.astype(float)


@torch.no_grad()
def predict_networks_on_own_data(model: StackedMLP, x_train: np.ndarray) -> np.ndarray:
    """Each member's predictions ``(R, n)`` on its own training inputs (row ``r`` of ``x_train``)."""
    return model(torch.tensor(np.asarray(x_train).T, dtype=torch.float32)).numpy().T.astype(float)


def network_bias_variance(
    widths: Sequence[int],
    *,
    n_train: int = N_TRAIN,
    noise: float = NOISE,
    n_resamples: int = 20,
    epochs: int = 1000,
    lr: float = 0.01,
    n_test: int = 200,
    vary: str = "both",
    seed: int = 0,
) -> pd.DataFrame:
    """Bias^2, variance, noise and the measured expected error of small MLPs, one row per width.

    ``vary="both"``: every network gets its own training set and its own initialisation
    (the usual decomposition). ``vary="init"``: all networks share one training set, so
    the variance measured is the part caused by the random initialisation alone.
    """
    widths = [check_int("width", w, 1) for w in widths]
    vary = check_choice("vary", vary, ("both", "init"))
    x_train, y_train = draw_training_sets(n_resamples, n_train, noise, seed=seed)
    if vary == "init":
        x_train, y_train = np.repeat(x_train[:1], n_resamples, 0), np.repeat(y_train[:1], n_resamples, 0)
    x_test = grid_inputs(n_test)
    rows = []
    for width in widths:
        model = train_networks(x_train, y_train, width, epochs=epochs, lr=lr, seed=seed + width)
        parts = decompose(predict_networks(model, x_test), sine_function(x_test), noise, seed=seed + 1)
        train_error = float(np.mean((predict_networks_on_own_data(model, x_train) - y_train) ** 2))
        rows.append({**_row("width", width, parts, train_error), "parameters": 3 * width + 1})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------
# Double descent with random ReLU features
# ----------------------------------------------------------------------------------------
def feature_counts(n_train: int) -> list[int]:
    """Numbers of random features to try: from n/20 to 20 n, dense around p = n."""
    check_int("n_train", n_train, 10)
    ratios = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.975, 1.0, 1.025, 1.05,
              1.1, 1.15, 1.2, 1.3, 1.5, 2, 3, 5, 10, 20]
    return sorted({max(1, round(r * n_train)) for r in ratios} | {n_train})


def _single_index_problem(n: int, n_dims: int, noise: float, rng: np.random.Generator, direction: np.ndarray):
    x = rng.standard_normal((n, n_dims))
    t = x @ direction
    f = t + 0.5 * np.sin(2 * t)  # a smooth, mildly non-linear function of one direction
    return x, f, f + noise * rng.standard_normal(n)


def double_descent(
    n_features: Sequence[int] | None = None,
    *,
    n_train: int = 40,
    n_dims: int = 5,
    noise: float = 0.5,
    n_test: int = 1000,
    n_seeds: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """Test and training error of min-norm least squares on ``p`` random ReLU features.

    Data: ``x ~ N(0, I)`` in ``n_dims`` dimensions, ``y = t + 0.5 sin(2t) + noise * N(0, 1)``
    with ``t`` the projection of ``x`` on a random unit direction. Features:
    ``relu(x . w_j) / sqrt(p)`` with random Gaussian ``w_j``, fixed (never trained); only the
    output weights are fitted, by ``np.linalg.lstsq``, which returns the solution of
    smallest norm once ``p >= n_train`` makes the fit exact. ``test_error`` is the expected
    squared error on fresh noisy targets (error against ``f`` plus ``noise^2``).
    One row per (seed, number of features).
    """
    check_int("n_train", n_train, 10)
    check_int("n_dims", n_dims, 1)
    noise = check_non_negative("noise", noise)
    check_int("n_test", n_test, 10)
    check_int("n_seeds", n_seeds, 1)
    n_features = feature_counts(n_train) if n_features is None else [check_int("n_features", p, 1) for p in n_features]
    rows = []
    for run in range(n_seeds):
        rng = np.random.default_rng([seed, run])
        direction = rng.standard_normal(n_dims)
        direction /= np.linalg.norm(direction)
        x_train, _, y_train = _single_index_problem(n_train, n_dims, noise, rng, direction)
        x_test, f_test, _ = _single_index_problem(n_test, n_dims, noise, rng, direction)
        weights = rng.standard_normal((n_dims, max(n_features)))
        train_features, test_features = np.maximum(x_train @ weights, 0), np.maximum(x_test @ weights, 0)
        for p in n_features:
            scale = 1 / np.sqrt(p)
            coefficients, *_ = np.linalg.lstsq(train_features[:, :p] * scale, y_train, rcond=None)
            train_error = np.mean((train_features[:, :p] * scale @ coefficients - y_train) ** 2)
            test_error = np.mean((test_features[:, :p] * scale @ coefficients - f_test) ** 2) + noise**2
            rows.append({"seed": run, "n_features": p, "n_train": n_train, "test_error": test_error,
                         "train_error": train_error, "norm": float(np.linalg.norm(coefficients))})
    return pd.DataFrame(rows)


def double_descent_summary(table: pd.DataFrame) -> dict[str, float]:
    """The averaged curve's landmarks: where it peaks (``peak_ratio`` = p / n), how high,
    how far it falls again by the largest ``p`` (``fall`` = peak / final error), where the
    fitted weights are largest (``norm_peak_ratio``) and the largest training error from
    ``p = n`` on (zero up to rounding: every such fit is exact)."""
    curve = table.groupby("n_features")["test_error"].mean()
    norms = table.groupby("n_features")["norm"].mean()
    n_train = int(table["n_train"].iloc[0])
    peak_p = int(curve.idxmax())
    under = curve[curve.index < n_train]
    return {"peak_features": peak_p, "peak_ratio": peak_p / n_train, "peak_error": float(curve.max()),
            "norm_peak_ratio": int(norms.idxmax()) / n_train,
            "final_error": float(curve.iloc[-1]), "fall": float(curve.max() / curve.iloc[-1]),
            "best_underparameterized": float(under.min()),
            "max_train_error_beyond_n": float(table.loc[table["n_features"] >= n_train, "train_error"].max())}


# ----------------------------------------------------------------------------------------
# Pictures
# ----------------------------------------------------------------------------------------
_COLOURS = dict(zip(("bias2", "variance", "noise", "error", "train"), sns.color_palette("colorblind", 5)))


def plot_decomposition(table: pd.DataFrame, key: str = "degree", *, title: str = "") -> Figure:
    """Left: bias^2, variance, noise, their sum, the measured expected error and the
    training error against ``key`` (log scale). Right: the identity's relative gap."""
    fig, (ax, ax_gap) = new_figure(ncols=2, width=5.4, height=3.9, gridspec_kw={"width_ratios": [1.6, 1]})
    xs = table[key]
    ax.plot(xs, table["bias2"], "o-", color=_COLOURS["bias2"], label="bias²")
    ax.plot(xs, table["variance"], "s-", color=_COLOURS["variance"], label="variance")
    ax.plot(xs, table["noise"], ":", color=_COLOURS["noise"], label="noise σ²")
    ax.plot(xs, table["total"], "-", color=_COLOURS["error"], linewidth=3, alpha=0.35,
            label="bias² + variance + noise")
    ax.plot(xs, table["expected_error"], "x", color=_COLOURS["error"], markersize=9, mew=2,
            label="expected test error (measured)")
    ax.plot(xs, table["train_error"], "--", color=_COLOURS["train"], label="training error")
    ax.set_yscale("log")
    label = {"degree": "polynomial degree", "width": "hidden units (width)"}.get(key, key)
    ax.set(xlabel=label, ylabel="mean squared error (log scale)", title=title or "Decomposition of the test error")
    if key == "width":
        ax.set_xscale("log", base=2)
    ax.set_xticks(list(xs), [str(v) for v in xs])
    ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    ax_gap.bar([str(v) for v in xs], 100 * table["relative_gap"], color=_COLOURS["error"])
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
        ax.plot(init_only["width"], init_only["variance"], "s--", color=_COLOURS["variance"], alpha=0.6,
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
        ax.plot(run["n_features"], run["test_error"], color=_COLOURS["error"], alpha=0.25, linewidth=0.8)
        ax_norm.plot(run["n_features"], run["norm"], color=_COLOURS["bias2"], alpha=0.25, linewidth=0.8)
    mean = table.groupby("n_features")[["test_error", "train_error", "norm"]].mean()
    ax.plot(mean.index, mean["test_error"], "o-", color=_COLOURS["error"], markersize=3,
            label=f"test error (mean of {table['seed'].nunique()} seeds; faint: each seed)")
    # Training error is exactly zero beyond p = n; draw it where the log scale can show it.
    shown = mean["train_error"] > 1e-12
    ax.plot(mean.index[shown], mean["train_error"][shown], "--", color=_COLOURS["train"], label="training error")
    ax_norm.plot(mean.index, mean["norm"], "o-", color=_COLOURS["bias2"], markersize=3, label="mean of the seeds")
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


def _draw_fits(ax, x_grid: np.ndarray, predictions: np.ndarray, x_one, y_one, *, colour) -> None:
    for row in predictions:
        ax.plot(x_grid, row, color=colour, alpha=min(0.5, 6 / len(predictions)), linewidth=0.8)
    ax.plot(x_grid, predictions.mean(axis=0), color=colour, linewidth=2.5, label="mean of the fits")
    ax.plot(x_grid, sine_function(x_grid), "k--", linewidth=2, label="true function sin(2πx)")
    ax.plot(x_one, y_one, "o", color="black", markersize=3.5, alpha=0.7, label="one training set")
    ax.set(xlabel="input x", ylabel="output y", ylim=(-2.2, 2.2), xlim=(0, 1))
    ax.legend(fontsize="x-small", loc="lower left")


def explore_polynomial_fits(degree: int = 3, n_train: int = N_TRAIN, noise: float = NOISE,
                            n_resamples: int = 40, seed: int = 0) -> Figure:
    """Slider: ``n_resamples`` polynomial fits, each to its own noisy training set, drawn at
    once (faint), with their mean (bold) and the true function (dashed). The spread of the
    faint lines is the variance; the gap between bold and dashed is the bias."""
    check_int("degree", degree, 0, 30)
    check_int("n_train", n_train, 2)
    x_train, y_train = draw_training_sets(n_resamples, n_train, noise, seed=seed)
    x_grid = np.linspace(0, 1, 300)
    predictions = predict_polynomials(fit_polynomials(x_train, y_train, degree), x_grid)
    parts = decompose(predictions, sine_function(x_grid), noise, seed=seed + 1)
    fig, ax = new_figure(width=7, height=4.2)
    _draw_fits(ax, x_grid, predictions, x_train[0], y_train[0], colour=_COLOURS["variance"])
    ax.set_title(f"Degree {degree}, n = {n_train}, noise σ = {noise:.2f}: {n_resamples} fits\n"
                 f"bias² = {parts.bias2:.3g}   variance = {parts.variance:.3g}   noise = {parts.noise:.3g}")
    return fig


def explore_network_fits(width: int = 8, epochs: int = 300, n_train: int = N_TRAIN, noise: float = NOISE,
                         n_resamples: int = 10, seed: int = 0) -> Figure:
    """Slider: the same picture as `explore_polynomial_fits` for 1-D MLPs of one ``width``."""
    check_int("n_train", n_train, 2)
    x_train, y_train = draw_training_sets(n_resamples, n_train, noise, seed=seed)
    model = train_networks(x_train, y_train, width, epochs=epochs, seed=seed)
    x_grid = np.linspace(0, 1, 300)
    predictions = predict_networks(model, x_grid)
    parts = decompose(predictions, sine_function(x_grid), noise, seed=seed + 1)
    fig, ax = new_figure(width=7, height=4.2)
    _draw_fits(ax, x_grid, predictions, x_train[0], y_train[0], colour=_COLOURS["bias2"])
    ax.set_title(f"MLP width {width}, {epochs} epochs, n = {n_train}: {n_resamples} networks\n"
                 f"bias² = {parts.bias2:.3g}   variance = {parts.variance:.3g}   noise = {parts.noise:.3g}")
    return fig


def explore_polynomial_fits_panel():
    """The slider panel for `explore_polynomial_fits` (fast: redraws on release)."""
    from ipywidgets import fixed

    from .widgets import float_slider, int_slider, slider_panel

    return slider_panel(explore_polynomial_fits, degree=int_slider("degree", 3, 0, 15),
                        n_train=int_slider("training samples n", N_TRAIN, 5, 200, 5),
                        noise=float_slider("noise σ", NOISE, 0.0, 1.0, 0.05), n_resamples=fixed(40), seed=fixed(0))


def explore_network_fits_panel():
    """The slider panel for `explore_network_fits` (trains networks: a Run button)."""
    from ipywidgets import fixed

    from .widgets import int_slider, slider_panel

    return slider_panel(explore_network_fits, manual=True, width=int_slider("width (hidden units)", 8, 1, 256),
                        epochs=int_slider("epochs (full batch)", 300, 50, 3000, 50),
                        n_train=int_slider("training samples n", N_TRAIN, 5, 200, 5),
                        noise=fixed(NOISE), n_resamples=fixed(10), seed=fixed(0))


# ----------------------------------------------------------------------------------------
# Exercises
# ----------------------------------------------------------------------------------------
EXERCISES = {
    "parametric": multiple_choice(
        "Which of these models is **non-parametric**, in the sense that the number of "
        "quantities it stores grows with the size of the training set?",
        {"a": "a polynomial of degree 5 fitted by least squares",
         "b": "an MLP with two hidden layers of 256 units",
         "c": "a decision tree grown until every leaf is pure",
         "d": "logistic regression on 784 pixels"},
        correct="c",
        hints={"a": "Count its coefficients: does the count change if you add 1,000 training points?",
               "b": "The network can be very flexible, but its weight count is fixed before it sees any data.",
               "d": "One weight per pixel plus a bias, whatever the number of images."},
        explanation="A fully grown tree keeps splitting until its leaves are pure, so with more "
                    "(distinct, noisy) data it grows more leaves: its size is decided by the data, not "
                    "fixed in advance. The other three are parametric, flexible or not.",
    ),
    "linear_regression": multiple_choice(
        "The article files 'regression' under high-bias 'linear parametric' algorithms. "
        "Your degree-8 polynomial fit above is:",
        {"a": "not linear regression, because the fitted curve is not a straight line",
         "b": "linear regression (linear in its coefficients), and its variance is high",
         "c": "non-parametric, because the degree can be made as large as we like",
         "d": "high-bias, because linear models always underfit"},
        correct="b",
        hints={"a": "Look at how the prediction depends on the coefficients, not on x.",
               "c": "Once you choose the degree, how many numbers does the fit have, whatever n is?",
               "d": "Look at the decomposition plot at degree 8: which term dominates?"},
        explanation="The model is a weighted sum of fixed features (1, x, x², ...), so least squares "
                    "solves it like any linear regression; with 9 coefficients and 30 noisy points its "
                    "variance dominates. 'Linear' says how the parameters enter, not how flexible the model is.",
    ),
    "irreducible": numeric(
        "The labels carry Gaussian noise with σ = 0.3. What is the lowest expected squared "
        "test error that *any* predictor could reach on this problem?",
        NOISE**2, rel_tol=0.02,
        hint_low="Even the true function sin(2πx) makes errors on noisy targets: how large are they on average?",
        hint_high="The true function itself is a valid predictor: what is its expected squared error?",
        explanation="The noise term σ² = 0.09: even the true function misses each noisy target by the "
                    "noise, whose mean square is σ². No amount of data or tuning removes it.",
    ),
    "more_data": multiple_choice(
        "Take the degree-8 polynomial (n = 30). You triple the training set to n = 90. "
        "Which term of its expected error falls the most? (Predict, then check with the slider.)",
        {"a": "bias²", "b": "variance", "c": "noise", "d": "all three fall by the same factor"},
        correct="b",
        hints={"a": "Bias is about the average fit. Did the average degree-8 fit miss the sine by much at n = 30?",
               "c": "The noise lives in the targets; does the training-set size change it?",
               "d": "One of the three does not depend on the training set at all."},
        explanation="More data pins each fit down, so the fits spread less: variance falls "
                    "sharply (roughly like 1/n once n is well above the number of coefficients). "
                    "Bias² was already tiny and the noise does not change.",
    ),
}


# --------------------------------------------------------------------------- coding exercise

def variance_term(predictions: np.ndarray) -> float:
    """The variance term of the decomposition for ``predictions`` of shape (R fits, m test points)."""
    mean_prediction = predictions.mean(axis=0)
    return float(np.mean((predictions - mean_prediction) ** 2))


def _variance_cases() -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng()
    cases = [(rng.normal(size=(r, m)) * rng.uniform(0.1, 3) + rng.normal(size=m) * 2,)
             for r, m in ((2, 1), (5, 8), (40, 50), (3, 200))]
    return cases + [(np.tile(rng.normal(size=6), (4, 1)),)]  # identical fits: no variance


EXERCISES["variance_term"] = function_exercise(
    "Write `variance_term(predictions)`: `predictions` is an array of shape (R, m), the predictions of R "
    "models, each fitted to its own training set, at m test inputs. Return the decomposition's variance "
    "term: how much the fits spread around their own average prediction, averaged over the test inputs.",
    variance_term, _variance_cases,
    mistakes=[
        (lambda predictions: float(np.mean(predictions.var(axis=0, ddof=1))),
         "You divided by R - 1. The identity error = bias² + variance + noise, for these R fits, holds with "
         "the plain mean over the R fits: divide by R (NumPy's default, `ddof=0`)."),
        (lambda predictions: float(np.var(predictions)),
         "You took the variance of all R x m numbers together, which also counts how the average prediction "
         "changes from one input to another. The variance term is the spread across the fits at each input, "
         "then averaged over the inputs."),
        (lambda predictions: float(np.mean(predictions.std(axis=0))),
         "You averaged standard deviations. The decomposition adds squared errors: use the variance (the mean "
         "squared distance from the average fit)."),
        (lambda predictions: float(np.mean(predictions.var(axis=1))),
         "You measured the spread across the test inputs, for each fit. The variance term is the spread "
         "across the R fits (axis 0), at each test input."),
    ],
    explanation="`predictions.var(axis=0).mean()`: at each test input, the mean squared distance of the R "
                "predictions from their average, then the mean over the inputs; exactly the line in `decompose`.",
)
