"""Lesson 08's claims: one function per claim, and `run(seed, profile)` for the seed harness.

Checks (``kind="check"``) hold by construction: the update rule is torch's, the eigenvalue
analysis gives the closed-form stability limit, a steady gradient makes momentum's steps
grow to ``lr / (1 - beta)`` and leaves Adam's at ``lr``. The claims are measurements that
could have come out otherwise: the log-log slopes of speed against conditioning, the grid
search landing on the closed-form settings, the stability limit found by *running* the
methods, the effective learning rate on Fashion-MNIST, and the range test's answer with momentum.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..claims import Claim
from ..config import budget, get_device
from ..data import fashion_mnist
from ..training import History
from .experiments import (
    effective_lr_gaps,
    effective_lr_runs,
    steady_gradient_steps,
    suggested_rates,
    tuned_momentum_runs,
)
from .quadratic import fitted_slopes, make_quadratic, matches_torch, speed_against_kappa, start_point
from .stability import stability_table

EFFECTIVE_LR = 0.01        # small enough that momentum's velocity tracks the slowly changing gradient
EFFECTIVE_MOMENTUM = 0.9
STABILITY_KAPPA = 10.0
SLOPE_TOLERANCE = 0.12     # "near 1" and "near 0.5": within +-0.12
GRID_FACTOR = 1.5          # the grid search's best lr and 1 - beta within a factor 1.5 of the closed form
STABILITY_TOLERANCE = 0.01  # measured limit within 1% of the closed form
EFFECTIVE_GAP_RATIO = 0.4  # the momentum run sits at most 0.4x as far from SGD at lr/(1-beta) as from SGD at lr
RANGE_TEST_RATIO = 2.0     # momentum 0.9's suggested rate at least 2x below plain SGD's


def claim_update_matches_torch(difference: float) -> Claim:
    return Claim("update_matches_torch", "The NumPy update rule of this lesson makes exactly torch.optim.SGD's steps "
                 "(heavy ball and Nesterov).", "largest difference below 1e-10", f"{difference:.1e}",
                 1e-10 - difference, kind="check")


def claim_gd_slope(speed: pd.DataFrame) -> Claim:
    slope = fitted_slopes(speed)["gradient descent"]
    return Claim("gd_slope", "Tuned gradient descent needs updates about proportional to the condition number "
                 "kappa: the log-log slope is near 1.",
                 f"slope in [{1 - SLOPE_TOLERANCE:.2f}, {1 + SLOPE_TOLERANCE:.2f}]",
                 f"slope {slope:.3f}", SLOPE_TOLERANCE - abs(slope - 1))


def claim_momentum_slope(speed: pd.DataFrame, method: str = "heavy ball") -> Claim:
    slope = fitted_slopes(speed)[method]
    return Claim(f"{method.replace(' ', '_')}_slope", f"Tuned {method} needs updates about proportional to "
                 "sqrt(kappa): the log-log slope is near 0.5.",
                 f"slope in [{0.5 - SLOPE_TOLERANCE:.2f}, {0.5 + SLOPE_TOLERANCE:.2f}]", f"slope {slope:.3f}",
                 SLOPE_TOLERANCE - abs(slope - 0.5))


def claim_grid_finds_optimum(speed: pd.DataFrame) -> Claim:
    lr_ratio = np.abs(np.log(speed["grid_lr"] / speed["closed_form_lr"]))
    beta_ratio = np.abs(np.log((1 - speed["grid_momentum"]) / (1 - speed["closed_form_momentum"])))
    worst = float(np.exp(np.nanmax(np.maximum(lr_ratio, beta_ratio))))
    fewer = float((speed["grid_iterations"] / speed["closed_form_iterations"]).min())
    return Claim("grid_finds_optimum", f"For every kappa and method, the grid search's best learning rate and "
                 f"1 - momentum lie within a factor {GRID_FACTOR:g} of the closed-form optimum.",
                 f"largest factor below {GRID_FACTOR:g}",
                 f"largest factor {worst:.2f} (the grid's winner needs down to {fewer:.2f}x the closed form's updates)",
                 math.log(GRID_FACTOR) - math.log(worst) if math.isfinite(worst) else -math.inf)


def claim_stability_eigenvalues(table: pd.DataFrame) -> Claim:
    error = float((table["eigenvalues"] / table["closed_form"] - 1).abs().max())
    return Claim("stability_eigenvalues", "The eigenvalues of the iteration matrix put the stability limit exactly "
                 "at 2(1+beta)/L for heavy ball and 2(1+beta)/((1+2beta)L) for Nesterov.",
                 "relative difference below 1e-6", f"{error:.1e}", 1e-6 - error, kind="check")


def claim_stability_measured(table: pd.DataFrame) -> Claim:
    error = float((table["measured"] / table["closed_form"] - 1).abs().max())
    heavy = table[table["method"] == "heavy ball"]
    top = heavy.loc[heavy["momentum"].idxmax()]
    return Claim("stability_measured", "Running the methods finds the closed-form stability limits: heavy ball "
                 "converges up to lr = 2(1+beta)/L, not only 2/L (Nesterov up to 2(1+beta)/((1+2beta)L)).",
                 f"every measured limit within {STABILITY_TOLERANCE:.0%} of the closed form",
                 f"largest relative difference {error:.1e}; at beta = {top['momentum']:.2f} heavy ball is stable up "
                 f"to {top['measured'] / top['gd_limit']:.3f} x 2/L", STABILITY_TOLERANCE - error)


def claim_effective_lr(gaps: dict[str, float]) -> Claim:
    ratio = gaps["to_effective"] / gaps["to_same_lr"]
    return Claim("effective_lr", f"At a small rate, SGD with momentum {EFFECTIVE_MOMENTUM:g} follows plain SGD at "
                 "lr / (1 - beta): its loss curve lies much closer to that run than to plain SGD at the same lr.",
                 f"gap to SGD at lr/(1-beta) at most {EFFECTIVE_GAP_RATIO:g} x the gap to SGD at lr",
                 f"gaps {gaps['to_effective']:.3f} and {gaps['to_same_lr']:.3f} (ratio {ratio:.2f})",
                 EFFECTIVE_GAP_RATIO - ratio)


def claim_range_test_momentum(table: pd.DataFrame) -> Claim:
    rates = suggested_rates(table)
    ratio = float(rates[0.0] / rates[0.9])
    return Claim("range_test_momentum", "With momentum 0.9 the range test suggests a rate several times smaller "
                 "than without momentum (the effective-rate rule predicts 10x).",
                 f"ratio lr(0) / lr(0.9) of at least {RANGE_TEST_RATIO:g}",
                 f"lr(0) = {rates[0.0]:.3g}, lr(0.9) = {rates[0.9]:.3g} (ratio {ratio:.2f})",
                 math.log(ratio / RANGE_TEST_RATIO) if ratio > 0 and math.isfinite(ratio) else -math.inf)


def claim_steady_steps(steps: dict[str, np.ndarray], lr: float) -> Claim:
    errors = []
    for label, sizes in steps.items():
        beta = float(label.split()[-1])
        target = lr / (1 - beta) if label.startswith("SGD") else lr
        errors.append(abs(sizes[-1] / target - 1))
    error = float(max(errors))
    return Claim("steady_steps", "Under a steady gradient, SGD's steps grow to lr / (1 - beta) while Adam's stay at "
                 "lr whatever beta1.", "every final step within 1% of its limit", f"largest relative error {error:.1e}",
                 0.01 - error, kind="check")


def claim_trains(histories: dict[str, History]) -> Claim:
    """Sanity bound: the effective-rate runs all train (no divergence, loss below its start)."""
    worst = max(h.final("train_loss") / h.epochs["train_loss"].iloc[0] for h in histories.values())
    diverged = any(h.diverged for h in histories.values())
    return Claim("runs_train", "Every effective-rate run trains: none diverges and each ends below its starting loss.",
                 "no divergence, final/initial training loss below 1", f"largest ratio {worst:.2f}"
                 + (", one diverged" if diverged else ""), -1.0 if diverged else 1 - worst, kind="check")


def run(seed: int, profile: str) -> list[Claim]:
    """Every claim of lesson 08 for one seed at ``profile``'s budget.

    The seed draws the valleys' rotation and extra curvatures, the starting points, the
    top curvature L of the stability problem, the Fashion-MNIST subset, the initial
    weights and the batch order.
    """
    cfg = budget("08", profile)
    speed = speed_against_kappa(cfg.kappas, seed=seed)
    top_curvature = float(10 ** np.random.default_rng(seed).uniform(-1, 1))
    problem = make_quadratic(STABILITY_KAPPA, L=top_curvature, seed=seed)
    start = start_point(problem, seed)
    table = stability_table(problem, start, np.linspace(0, 0.99, cfg.stability_points), n_steps=cfg.stability_steps)
    difference = max(matches_torch(problem, start, lr=1.5 / top_curvature, momentum=0.9),
                     matches_torch(problem, start, lr=0.5 / top_curvature, momentum=0.9, nesterov=True))
    data = fashion_mnist(cfg.n_train, cfg.n_val, cfg.n_test, seed=seed, device=get_device())
    runs = effective_lr_runs(data, lr=EFFECTIVE_LR, momentum=EFFECTIVE_MOMENTUM, epochs=cfg.epochs,
                             width=cfg.width, batch_size=cfg.batch_size, seed=seed)
    tuned, _, _ = tuned_momentum_runs(data, momenta=(0.0, 0.9), epochs=1, width=cfg.width,
                                      batch_size=cfg.batch_size, seed=seed)
    return [
        claim_update_matches_torch(difference),
        claim_gd_slope(speed),
        claim_momentum_slope(speed, "heavy ball"),
        claim_momentum_slope(speed, "nesterov"),
        claim_grid_finds_optimum(speed),
        claim_stability_eigenvalues(table),
        claim_stability_measured(table),
        claim_trains(runs),
        claim_effective_lr(effective_lr_gaps(runs)),
        claim_range_test_momentum(tuned),
        claim_steady_steps(steady_gradient_steps(lr=0.01), lr=0.01),
    ]
