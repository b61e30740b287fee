"""Lesson 06, section 9: a problem whose divergence point is known in closed form.

On linear least squares with full-batch steps, gradient descent at a constant rate diverges
exactly above ``2/L``, and the loss before every step of a range test has a closed form
(`LeastSquares.loss_curve`). `predicted_stop` applies the test's smoothing and stopping rule
to any curve of losses, so the closed form predicts the step where the test stops;
`regrowth_factor` says why that step lies far beyond ``2/L``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..config import seed_everything
from ..data import Split
from ..lr_finder import RangeTestResult, lr_ramp, lr_range_test, smooth_losses
from ..validation import check_int, check_non_negative


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


def predicted_stop(losses: np.ndarray, smoothing: float = 0.98, divergence_factor: float = 4.0, *,
                   bias_correction: bool = True) -> int | None:
    """Index of the step where the stopping rule fires on ``losses`` (None: never).

    The rule of `lr_range_test`, applied to a whole recorded curve: stop at the first step
    whose smoothed loss is not finite or exceeds ``divergence_factor`` x the lowest smoothed
    loss so far.
    """
    smoothed = smooth_losses(np.where(np.isnan(losses), np.inf, losses), smoothing, bias_correction=bias_correction)
    best = np.minimum.accumulate(np.where(np.isfinite(smoothed), smoothed, np.inf))
    fired = np.nonzero(~np.isfinite(smoothed) | (smoothed > divergence_factor * best))[0]
    return int(fired[0]) if len(fired) else None


def least_squares_range_test(problem: LeastSquares, *, seed: int = 0,
                             **test_options) -> tuple[RangeTestResult, int | None]:
    """The range test with full-batch steps, and the stop step predicted in closed form."""
    options = dict(start_lr=1e-7, end_lr=10.0, steps=100, ramp="exponential", smoothing=0.98, divergence_factor=4.0)
    options.update(test_options)
    model = problem.model(seed)
    lrs = lr_ramp(options["start_lr"], options["end_lr"], options["steps"], options["ramp"])
    expected = predicted_stop(problem.loss_curve(model, lrs), options["smoothing"], options["divergence_factor"])
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
