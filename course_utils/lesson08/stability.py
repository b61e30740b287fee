"""Lesson 08: where heavy ball and Nesterov stop converging on a quadratic.

Three ways to the same limit: *run* the method and bisect on the rate
(`measured_stability_limit`), bisect on the eigenvalues of its 2x2 iteration matrix
(`eigenvalue_stability_limit`), and the closed form (`quadratic.stability_limit`).
`convergence_map` colours the whole (lr, momentum) plane by how fast a run converges.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..validation import check_int, check_positive
from .quadratic import Quadratic, check_settings, momentum_step, spectral_radius, stability_limit


def _scaled_runs(problem: Quadratic, start, lr: np.ndarray, beta: np.ndarray, nesterov: bool, n_steps: int,
                 every: int = 20):
    """Run every (lr, beta) of a grid and yield ``(step, log10 of |x_t - x*|)`` after each update.

    The iteration is linear in ``x - x*``, so it runs on that difference and rescales it
    every ``every`` steps: diverging runs do not overflow, and the logarithm stays exact.
    """
    delta = np.broadcast_to(np.asarray(start, dtype=float) - problem.minimum, lr.shape + (len(problem.minimum),)).copy()
    velocity = np.zeros_like(delta)
    log_scale = np.zeros(lr.shape)
    for step in range(1, n_steps + 1):
        delta, velocity = momentum_step(delta, velocity, delta @ problem.hessian, lr[..., None], beta[..., None],
                                        nesterov)
        size = np.maximum(np.linalg.norm(delta, axis=-1), 1e-300)
        yield step, np.log10(size) + log_scale
        if step % every == 0:
            delta, velocity = delta / size[..., None], velocity / size[..., None]
            log_scale += np.log10(size)


def _grows(problem: Quadratic, start, lr: np.ndarray, beta: np.ndarray, nesterov: bool, n_steps: int) -> np.ndarray:
    """Whether the distance to the minimum is still growing after ``n_steps`` (one entry per setting).

    Compares the larger of the last two distances with the same halfway: by then only the
    slowest mode is left, so 'growing' means that mode has modulus >= 1.
    """
    previous = halfway = late = None
    for step, log_distance in _scaled_runs(problem, start, lr, beta, nesterov, n_steps):
        if previous is not None:
            pair = np.maximum(previous, log_distance)  # two steps: an oscillation's sign flip does not matter
            if step == n_steps // 2:
                halfway = pair
            late = pair
        previous = log_distance
    return late >= halfway


def measured_stability_limit(problem: Quadratic, start, momenta: Sequence[float], *, nesterov: bool = False,
                             n_steps: int = 1000, bisections: int = 30) -> np.ndarray:
    """The largest stable rate for each momentum, found by running the method (bisection on lr).

    A rate is stable when the distance to the minimum is no longer growing after
    ``n_steps`` updates. The search brackets ``[0, 10 / L]`` and halves it ``bisections`` times.
    """
    momenta = np.asarray(momenta, dtype=float)
    check_settings(1.0, momenta, nesterov)
    check_int("n_steps", n_steps, 10)
    check_int("bisections", bisections, 1)
    low, high = np.zeros_like(momenta), np.full_like(momenta, 10.0 / problem.L)
    for _ in range(bisections):
        middle = (low + high) / 2
        unstable = _grows(problem, start, middle, momenta, nesterov, n_steps)
        low, high = np.where(unstable, low, middle), np.where(unstable, middle, high)
    return (low + high) / 2


def eigenvalue_stability_limit(momenta: Sequence[float], L: float = 1.0, nesterov: bool = False,  # noqa: N803
                               bisections: int = 60) -> np.ndarray:
    """The largest rate with spectral radius < 1 along the top curvature ``L`` (bisection on the
    eigenvalues of the 2x2 iteration matrix, no formula for the boundary used)."""
    momenta = np.asarray(momenta, dtype=float)
    check_settings(1.0, momenta, nesterov)
    low, high = np.zeros_like(momenta), np.full_like(momenta, 10.0 / check_positive("L", L))
    for _ in range(bisections):
        middle = (low + high) / 2
        unstable = spectral_radius(middle, momenta, L, nesterov) >= 1
        low, high = np.where(unstable, low, middle), np.where(unstable, middle, high)
    return (low + high) / 2


def stability_table(problem: Quadratic, start, momenta: Sequence[float], *, n_steps: int = 1000) -> pd.DataFrame:
    """Per momentum and method: the measured limit, the eigenvalue analysis and the closed form."""
    rows = []
    for nesterov, method in ((False, "heavy ball"), (True, "nesterov")):
        shown = [beta for beta in momenta if beta > 0] if nesterov else list(momenta)
        measured = measured_stability_limit(problem, start, shown, nesterov=nesterov, n_steps=n_steps)
        eigen = eigenvalue_stability_limit(shown, problem.L, nesterov)
        for beta, found, by_eigen in zip(shown, measured, eigen, strict=True):
            rows.append({"method": method, "momentum": float(beta), "measured": float(found),
                         "eigenvalues": float(by_eigen), "closed_form": stability_limit(beta, problem.L, nesterov),
                         "gd_limit": 2 / problem.L})
    return pd.DataFrame(rows)


def convergence_map(problem: Quadratic, start, lrs: Sequence[float], momenta: Sequence[float], *,
                    nesterov: bool = False, n_steps: int = 300) -> np.ndarray:
    """``log10(|x_n - x*| / |x_0 - x*|) / n`` on a grid (rows: momenta, columns: rates):
    below 0 the run converged, above 0 it diverged; the more negative, the faster."""
    lr, beta = np.meshgrid(np.asarray(lrs, dtype=float), np.asarray(momenta, dtype=float))
    check_settings(lr, beta, nesterov)
    check_int("n_steps", n_steps, 1)
    start_log = np.log10(np.linalg.norm(np.asarray(start, dtype=float) - problem.minimum))
    *_, (_, last) = _scaled_runs(problem, start, lr, beta, nesterov, n_steps)
    return (last - start_log) / n_steps
