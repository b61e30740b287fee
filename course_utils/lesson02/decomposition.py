"""The decomposition itself: bias^2, variance and noise of ``R`` models fitted to ``R`` training sets.

Definitions used throughout the lesson, at a test input ``x`` (then averaged over the test
inputs), with ``f`` the true function, ``f_hat_r`` the model fitted to training set ``r`` and
``mean_f_hat`` the average of the ``R`` fitted models:

- ``bias^2     = (mean_f_hat(x) - f(x))^2``
- ``variance   = mean over r of (f_hat_r(x) - mean_f_hat(x))^2``
- ``noise      = sigma^2`` (the variance of the label noise; no model can remove it)
- ``expected error = mean over r and fresh noisy targets y of (f_hat_r(x) - y)^2``

The lesson's fixed problem: ``n = 30`` noisy samples of one sine period, noise ``sigma = 0.3``
(`course_utils.data.make_regression_1d`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..data import make_regression_1d, sine_function
from ..validation import check_int, check_non_negative

N_TRAIN = 30
NOISE = 0.3


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


def decomposition_row(key: str, value, parts: Decomposition, train_error: float) -> dict:
    """One row of a decomposition table: ``key`` (degree or width), the terms, the identity's gap."""
    return {key: value, "bias2": parts.bias2, "variance": parts.variance, "noise": parts.noise,
            "total": parts.total, "expected_error": parts.expected_error,
            "relative_gap": parts.relative_gap, "train_error": train_error}


@dataclass(frozen=True)
class ResampledFits:
    """``R`` fits, each to its own training set, evaluated on a grid: what the "try it" pictures draw.

    ``x_train``, ``y_train``: the ``(R, n)`` training sets; ``predictions``: ``(R, len(x_grid))``;
    ``parts``: their decomposition on the grid.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_grid: np.ndarray
    predictions: np.ndarray
    parts: Decomposition
