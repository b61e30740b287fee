"""Double descent: min-norm least squares on ``p`` random ReLU features.

The test error peaks where the number of features equals the number of training samples
(the interpolation threshold, ``p = n``) and falls again beyond it.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..validation import check_int, check_non_negative


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


def fit_random_features(train_features: np.ndarray, y_train: np.ndarray, test_features: np.ndarray,
                        f_test: np.ndarray, p: int, noise: float) -> dict[str, float]:
    """Fit the output weights on the first ``p`` random features (scaled by 1/sqrt(p)) and score them.

    ``np.linalg.lstsq`` returns the least-squares weights. At ``p = n`` exactly one weight vector
    fits the training set exactly; beyond ``p = n`` infinitely many do, and it returns the one of
    smallest norm. ``test_error`` is the expected squared error on fresh noisy targets: the error
    against ``f`` plus ``noise^2``.
    """
    scale = 1 / np.sqrt(p)
    coefficients, *_ = np.linalg.lstsq(train_features[:, :p] * scale, y_train, rcond=None)
    train_error = np.mean((train_features[:, :p] * scale @ coefficients - y_train) ** 2)
    test_error = np.mean((test_features[:, :p] * scale @ coefficients - f_test) ** 2) + noise**2
    return {"test_error": test_error, "train_error": train_error, "norm": float(np.linalg.norm(coefficients))}


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
    output weights are fitted, by `fit_random_features`. One row per (seed, number of features).
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
            scores = fit_random_features(train_features, y_train, test_features, f_test, p, noise)
            rows.append({"seed": run, "n_features": p, "n_train": n_train, **scores})
    return pd.DataFrame(rows)
