"""Least-squares polynomials of growing degree on many resampled training sets of the sine problem.

`polynomial_bias_variance` is the lesson's main experiment: bias^2, variance, noise and the
directly measured expected error per degree. How the coefficients are fitted is an argument
(``fitter``): least squares by default (`fit_polynomials`), or ridge (`fit_ridge_polynomials`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.polynomial import legendre

from ..data import sine_function
from ..validation import check_int, check_non_negative
from .decomposition import (
    N_TRAIN,
    NOISE,
    ResampledFits,
    decompose,
    decomposition_row,
    draw_training_sets,
    grid_inputs,
)

DEGREES = tuple(range(9))

# fitter(x_train (R, n), y_train (R, n), degree) -> Legendre coefficients (R, degree + 1), one fit per training set
Fitter = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


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


def fit_ridge_polynomials(x_train: np.ndarray, y_train: np.ndarray, degree: int, *,
                          penalty: float = 1e-3) -> np.ndarray:
    """Ridge coefficients ``(R, degree + 1)``: each minimises (mean squared training error)
    + ``penalty`` x (sum of squared Legendre coefficients). ``penalty = 0`` is least squares
    (then it needs ``n > degree``); a larger penalty pulls every fit toward zero."""
    check_non_negative("penalty", penalty)
    design = legendre_design(np.atleast_2d(x_train), degree)  # (R, n, degree + 1)
    n_train = design.shape[1]
    gram = np.einsum("rnp,rnq->rpq", design, design) / n_train + penalty * np.eye(degree + 1)
    moments = np.einsum("rnp,rn->rp", design, np.atleast_2d(y_train)) / n_train
    return np.linalg.solve(gram, moments[..., None])[..., 0]


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
    fitter: Fitter = fit_polynomials,
) -> pd.DataFrame:
    """Bias^2, variance, noise, their sum and the directly measured expected test error
    of polynomials fitted by ``fitter`` (least squares), one row per degree, over ``n_resamples``
    training sets. Every degree is fitted to the same training sets, so the rows differ by the
    degree only. ``train_error`` is the mean squared error on the training sets themselves.
    """
    degrees = [check_int("degree", d, 0) for d in degrees]
    check_int("n_resamples", n_resamples, 2)
    x_train, y_train = draw_training_sets(n_resamples, n_train, noise, seed=seed)  # (R, n) each
    x_test = grid_inputs(n_test)
    rows = []
    for degree in degrees:
        coefficients = fitter(x_train, y_train, degree)  # R fits, one per training set
        parts = decompose(predict_polynomials(coefficients, x_test), sine_function(x_test), noise, seed=seed + 1)
        fitted = np.einsum("rnp,rp->rn", legendre_design(x_train, degree), coefficients)
        rows.append(decomposition_row("degree", degree, parts, float(np.mean((fitted - y_train) ** 2))))
    return pd.DataFrame(rows)


def polynomial_fits(degree: int = 3, n_train: int = N_TRAIN, noise: float = NOISE, n_resamples: int = 40,
                    seed: int = 0, fitter: Fitter = fit_polynomials) -> ResampledFits:
    """``n_resamples`` polynomial fits of one ``degree``, each to its own training set, on 300
    inputs in [0, 1], with their decomposition there (what `explore_polynomial_fits` draws)."""
    check_int("degree", degree, 0)
    check_int("n_train", n_train, 2)
    x_train, y_train = draw_training_sets(n_resamples, n_train, noise, seed=seed)
    x_grid = np.linspace(0, 1, 300)
    predictions = predict_polynomials(fitter(x_train, y_train, degree), x_grid)
    parts = decompose(predictions, sine_function(x_grid), noise, seed=seed + 1)
    return ResampledFits(x_train, y_train, x_grid, predictions, parts)
