"""Lesson 08 on a quadratic: heavy ball and Nesterov where everything has a closed form.

The loss is ``f(x) = 1/2 (x - x*)^T A (x - x*)`` with eigenvalues of ``A`` between
``mu = L / kappa`` and ``L``. Gradient descent, heavy ball and Nesterov are all linear
recursions on it, so their speed (iterations to a tolerance) and their stability limit
are known in closed form; the functions here *run* the methods and measure both, so that
the lesson can compare measurement with theory. The seed chooses the rotation of the
valley and the starting point: the only random parts of these experiments.

One update rule, `momentum_step`, serves all three methods (it is torch's ``SGD``:
``momentum=0`` is gradient descent, ``nesterov=True`` Nesterov's variant), and
`matches_torch` checks it against ``torch.optim.SGD`` built by `make_optimizer`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..training import make_optimizer
from ..validation import check_int, check_positive

METHODS = ("gradient descent", "heavy ball", "nesterov")
TOLERANCE = 1e-6  # "converged": the distance to the minimum fell below 1e-6 of the starting distance
DIVERGED = 1e6    # a run whose distance grew a million-fold is counted as diverged


# ------------------------------------------------------------------ the problem

@dataclass(frozen=True)
class Quadratic:
    """``f(x) = 1/2 (x - minimum)^T hessian (x - minimum)`` with a symmetric positive-definite Hessian."""

    hessian: np.ndarray
    minimum: np.ndarray

    @property
    def eigenvalues(self) -> np.ndarray:
        return np.linalg.eigvalsh(self.hessian)

    @property
    def L(self) -> float:  # noqa: N802 (the standard name of the largest curvature)
        """Largest curvature (eigenvalue of the Hessian)."""
        return float(self.eigenvalues.max())

    @property
    def mu(self) -> float:
        """Smallest curvature."""
        return float(self.eigenvalues.min())

    @property
    def kappa(self) -> float:
        """Condition number ``L / mu``."""
        return self.L / self.mu

    def loss(self, x) -> np.ndarray:
        """The loss at ``x`` (shape ``(..., d)``: one point or a grid of points)."""
        delta = np.asarray(x, dtype=float) - self.minimum
        return 0.5 * np.einsum("...i,ij,...j->...", delta, self.hessian, delta)

    def gradient(self, x) -> np.ndarray:
        """``A (x - minimum)``, for one point or many (shape ``(..., d)``)."""
        return (np.asarray(x, dtype=float) - self.minimum) @ self.hessian


def check_kappa(kappa) -> float:
    """A condition number is ``L / mu >= 1``; anything else gets a clear error."""
    kappa = check_positive("kappa", kappa)
    if kappa < 1:
        raise ValueError(f"kappa (the condition number L / mu) must be a number >= 1 (got {kappa!r})")
    return kappa


def make_quadratic(kappa: float = 30.0, *, dim: int = 2, L: float = 1.0, angle: float | None = None,  # noqa: N803
                   seed: int = 0) -> Quadratic:
    """A valley with curvatures from ``L / kappa`` to ``L``, minimum at the origin.

    ``dim=2``: curvatures ``L / kappa`` and ``L``, long axis turned by ``angle`` radians
    (default: drawn from ``seed``), so the valley is not aligned with the axes. ``dim > 2``:
    the other ``dim - 2`` curvatures are drawn log-uniformly in between and the axes are
    turned at random (from ``seed``): a spectrum without gaps that a tuned method could exploit.
    """
    kappa = check_kappa(kappa)
    check_int("dim", dim, 2)
    L = check_positive("L", L)  # noqa: N806
    rng = np.random.default_rng(seed)
    if dim == 2:
        angle = float(rng.uniform(0, np.pi)) if angle is None else float(angle)
        rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        curvatures = np.array([L / kappa, L])
    else:
        rotation, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        inner = L / kappa ** rng.uniform(0, 1, dim - 2)
        curvatures = np.concatenate([[L / kappa, L], np.sort(inner)])
    hessian = rotation @ np.diag(curvatures) @ rotation.T
    return Quadratic(hessian=(hessian + hessian.T) / 2, minimum=np.zeros(dim))


def start_point(problem: Quadratic, seed: int = 0, radius: float = 1.0) -> np.ndarray:
    """A starting point at distance ``radius`` from the minimum, in a direction drawn from ``seed``."""
    check_positive("radius", radius)
    direction = np.random.default_rng(seed + 10_000).standard_normal(len(problem.minimum))
    return problem.minimum + radius * direction / np.linalg.norm(direction)


# ------------------------------------------------------------------ the update rule

def check_settings(lr, momentum, nesterov: bool = False) -> None:
    """The course's errors for bad hyperparameters, from `make_optimizer` itself.

    ``lr`` and ``momentum`` may be arrays (a grid): every pair is checked.
    """
    dummy = [torch.zeros(1, requires_grad=True)]
    pairs = {(float(a), float(b))
             for a, b in np.broadcast(np.asarray(lr, dtype=object), np.asarray(momentum, dtype=object))}
    for rate, beta in pairs:
        make_optimizer("sgd", dummy, lr=rate, momentum=beta, nesterov=nesterov)


def momentum_step(x, velocity, grad, lr, momentum, nesterov: bool = False):
    """One update of SGD with momentum, exactly as ``torch.optim.SGD`` does it.

    ``velocity <- momentum * velocity + grad`` (the velocity starts at 0), then
    ``x <- x - lr * velocity`` (heavy ball, Polyak 1964), or for Nesterov
    ``x <- x - lr * (grad + momentum * velocity)`` (a look-ahead, Sutskever et al. 2013).
    ``momentum = 0`` is plain gradient descent. Works on arrays: a grid of settings at once.
    Returns the new ``(x, velocity)``.
    """
    velocity = momentum * velocity + grad
    step = grad + momentum * velocity if nesterov else velocity
    return x - lr * step, velocity


def run_method(problem: Quadratic, start, *, lr: float, momentum: float = 0.0, nesterov: bool = False,
               n_steps: int = 100) -> np.ndarray:
    """The path ``x_0 .. x_n`` (one row per iterate) of `momentum_step` on ``problem``.

    A path that blows up stops early (the rows so far are returned).
    """
    check_settings(lr, momentum, nesterov)
    check_int("n_steps", n_steps, 1)
    x = np.asarray(start, dtype=float).copy()
    velocity = np.zeros_like(x)
    path = [x]
    scale = max(np.linalg.norm(x - problem.minimum), 1e-12)
    for _ in range(n_steps):
        x, velocity = momentum_step(x, velocity, problem.gradient(x), lr, momentum, nesterov)
        path.append(x)
        if not np.all(np.isfinite(x)) or np.linalg.norm(x - problem.minimum) > DIVERGED * scale:
            break
    return np.array(path)


def matches_torch(problem: Quadratic, start, *, lr: float, momentum: float, nesterov: bool = False,
                  n_steps: int = 50) -> float:
    """Largest difference between `run_method` and ``torch.optim.SGD`` (float64) on the same problem."""
    ours = run_method(problem, start, lr=lr, momentum=momentum, nesterov=nesterov, n_steps=n_steps)
    x = torch.tensor(np.asarray(start, dtype=float), requires_grad=True)
    optimizer = make_optimizer("sgd", [x], lr=lr, momentum=momentum, nesterov=nesterov)
    hessian, minimum = torch.tensor(problem.hessian), torch.tensor(problem.minimum)
    theirs = [x.detach().numpy().copy()]
    for _ in range(len(ours) - 1):
        optimizer.zero_grad()
        (0.5 * (x - minimum) @ hessian @ (x - minimum)).backward()
        optimizer.step()
        theirs.append(x.detach().numpy().copy())
    return float(np.abs(ours - np.array(theirs)).max())


# ------------------------------------------------------------------ closed forms

def optimal_settings(method: str, kappa: float, L: float = 1.0) -> dict[str, float]:  # noqa: N803
    """The classical best ``lr`` and ``momentum`` for a quadratic with curvatures in ``[L/kappa, L]``.

    Gradient descent: ``lr = 2 / (L + mu)``. Heavy ball (Polyak 1964):
    ``lr = 4 / (sqrt(L) + sqrt(mu))^2``, ``momentum = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2``.
    Nesterov (his constant-momentum scheme for strongly convex functions):
    ``lr = 1 / L``, ``momentum = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)``.
    """
    kappa, L = check_kappa(kappa), check_positive("L", L)  # noqa: N806
    mu, root = L / kappa, math.sqrt(kappa)
    if method == "gradient descent":
        return {"lr": 2 / (L + mu), "momentum": 0.0}
    if method == "heavy ball":
        return {"lr": 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, "momentum": ((root - 1) / (root + 1)) ** 2}
    if method == "nesterov":
        return {"lr": 1 / L, "momentum": (root - 1) / (root + 1)}
    raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))} (got {method!r})")


def stability_limit(momentum: float, L: float = 1.0, nesterov: bool = False) -> float:  # noqa: N803
    """Largest stable rate on a quadratic of top curvature ``L``: ``2 (1 + beta) / L`` for heavy ball,
    ``2 (1 + beta) / ((1 + 2 beta) L)`` for Nesterov (both ``2 / L`` at ``beta = 0``)."""
    beta = float(momentum)
    check_settings(1.0, beta)
    L = check_positive("L", L)  # noqa: N806
    return 2 * (1 + beta) / ((1 + 2 * beta) * L) if nesterov else 2 * (1 + beta) / L


def spectral_radius(lr, momentum, curvature: float, nesterov: bool = False) -> np.ndarray:
    """Largest |eigenvalue| of the 2x2 matrix that maps ``(x_t, x_{t-1})`` to ``(x_{t+1}, x_t)``
    along one eigen-direction of curvature ``curvature`` (below 1: that direction converges)."""
    lr, beta = np.broadcast_arrays(np.asarray(lr, dtype=float), np.asarray(momentum, dtype=float))
    a = lr * curvature
    # x_{t+1} = c1 x_t - c0 x_{t-1}: heavy ball c1 = 1 + beta - a, c0 = beta; Nesterov scales both by (1 - a).
    c1 = (1 + beta) * (1 - a) if nesterov else 1 + beta - a
    c0 = beta * (1 - a) if nesterov else beta
    matrices = np.stack([np.stack([c1, -c0], -1), np.stack([np.ones_like(c1), np.zeros_like(c1)], -1)], -2)
    return np.abs(np.linalg.eigvals(matrices)).max(-1)


# ------------------------------------------------------------------ measuring speed

def iterations_to_tolerance(problem: Quadratic, start, lr, momentum, *, nesterov: bool = False,
                            tol: float = TOLERANCE, max_steps: int = 100_000) -> np.ndarray:
    """Updates until ``|x_t - x*| <= tol |x_0 - x*|``, for every (lr, momentum) of a grid at once.

    ``lr`` and ``momentum`` broadcast together (scalars or arrays); the result has their
    shape, with ``-1`` where the run did not get there within ``max_steps`` (too slow or
    diverged). The runs are real `momentum_step` iterations, all grid points in one array.
    """
    check_settings(lr, momentum, nesterov)
    check_positive("tol", tol)
    check_int("max_steps", max_steps, 1)
    lr, beta = np.broadcast_arrays(np.asarray(lr, dtype=float), np.asarray(momentum, dtype=float))
    lr, beta = lr[..., None], beta[..., None]  # last axis: the coordinates of x
    x = np.broadcast_to(np.asarray(start, dtype=float), lr.shape[:-1] + (len(problem.minimum),)).copy()
    velocity = np.zeros_like(x)
    start_distance = np.linalg.norm(np.asarray(start, dtype=float) - problem.minimum)
    iterations = np.full(lr.shape[:-1], -1, dtype=int)
    active = np.ones(lr.shape[:-1], dtype=bool)
    for step in range(1, max_steps + 1):
        x, velocity = momentum_step(x, velocity, problem.gradient(x), lr, beta, nesterov)
        distance = np.linalg.norm(x - problem.minimum, axis=-1) / start_distance
        reached = active & (distance <= tol)
        iterations[reached] = step
        active &= ~reached & (distance < DIVERGED)
        if step % 64 == 0:
            if not active.any():
                break
            x[~active], velocity[~active] = 0.0, 0.0  # finished runs: keep them from overflowing
    return iterations


@dataclass(frozen=True)
class Grid:
    """The settings a grid search tries: rates in units of ``1/L``, and ``1 - momentum``."""

    lr_times_L: np.ndarray
    one_minus_momentum: np.ndarray


DEFAULT_GRID = Grid(lr_times_L=np.geomspace(0.1, 4.0, 49), one_minus_momentum=np.geomspace(0.005, 1.0, 41))
SPEED_DIM = 10  # the speed experiment's valley: 10 curvatures from L / kappa to L


def grid_search(problem: Quadratic, start, method: str, *, grid: Grid = DEFAULT_GRID, tol: float = TOLERANCE,
                max_steps: int = 100_000) -> dict[str, float]:
    """The (lr, momentum) of ``grid`` that reaches the tolerance in the fewest updates.

    Gradient descent searches the rates only; heavy ball and Nesterov the whole 2-D grid
    (momentum from 0 to 0.995). Returns the winner's ``lr``, ``momentum`` and ``iterations``
    (``-1`` if nothing on the grid got there within ``max_steps``).
    """
    check_method(method)
    lrs = np.asarray(grid.lr_times_L, dtype=float) / problem.L
    if method == "gradient descent":
        lr, beta = lrs, np.zeros_like(lrs)
    else:
        betas = 1 - np.asarray(grid.one_minus_momentum, dtype=float)
        betas = betas[betas > 0] if method == "nesterov" else betas  # Nesterov needs momentum > 0
        lr, beta = np.meshgrid(lrs, betas, indexing="ij")
    counts = iterations_to_tolerance(problem, start, lr, beta, nesterov=method == "nesterov", tol=tol,
                                     max_steps=max_steps)
    if (counts < 0).all():
        return {"lr": math.nan, "momentum": math.nan, "iterations": -1}
    best = np.unravel_index(np.argmin(np.where(counts < 0, np.iinfo(int).max, counts)), counts.shape)
    return {"lr": float(lr[best]), "momentum": float(beta[best]), "iterations": int(counts[best])}


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))} (got {method!r})")
    return method


def speed_against_kappa(kappas: Sequence[float], *, seed: int = 0, methods: Sequence[str] = METHODS,
                        grid: Grid = DEFAULT_GRID, tol: float = TOLERANCE, dim: int = SPEED_DIM) -> pd.DataFrame:
    """Iterations to ``tol`` against the condition number, each method at its best settings.

    For every ``kappa`` (a ``dim``-dimensional valley and a start drawn from ``seed``), one
    row per method with the closed-form settings (`optimal_settings`) and the updates they
    need, and the best settings of a `grid_search` and theirs. The grid search stops at 2x
    the updates the closed form needed: a setting slower than that is no contender.
    """
    kappas = [check_kappa(kappa) for kappa in kappas]
    if len(kappas) < 2:
        raise ValueError(f"kappas must hold at least 2 condition numbers to fit a slope (got {len(kappas)})")
    rows = []
    for kappa in kappas:
        problem = make_quadratic(kappa, dim=dim, seed=seed)
        start = start_point(problem, seed)
        for method in methods:
            best = optimal_settings(check_method(method), kappa, problem.L)
            closed = int(iterations_to_tolerance(problem, start, best["lr"], best["momentum"],
                                                 nesterov=method == "nesterov", tol=tol, max_steps=10_000_000))
            found = grid_search(problem, start, method, grid=grid, tol=tol, max_steps=2 * closed)
            rows.append({"kappa": kappa, "method": method, "closed_form_lr": best["lr"],
                         "closed_form_momentum": best["momentum"], "closed_form_iterations": closed,
                         "grid_lr": found["lr"], "grid_momentum": found["momentum"],
                         "grid_iterations": found["iterations"]})
    return pd.DataFrame(rows)


def fitted_slopes(speed: pd.DataFrame, column: str = "grid_iterations") -> pd.Series:
    """Slope of log(iterations) against log(kappa), per method (1: proportional to kappa)."""
    slopes = {}
    for method, rows in speed.groupby("method", sort=False):
        slopes[method] = float(np.polyfit(np.log(rows["kappa"]), np.log(rows[column].clip(lower=1)), 1)[0])
    return pd.Series(slopes, name=f"slope of {column}")


def regression_as_quadratic(problem) -> Quadratic:
    """Lesson 04's 2-D least-squares valley (`toy_regression.Regression2D`) as a `Quadratic`.

    Its loss ``mean((w x + b - y)^2) / 2`` has the Hessian ``[[mean x^2, mean x], [mean x, 1]]``
    and the same gradients as the quadratic below (the losses differ by a constant).
    """
    x = np.asarray(problem.x, dtype=float)
    hessian = np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    return Quadratic(hessian=hessian, minimum=np.asarray(problem.minimum(), dtype=float))
