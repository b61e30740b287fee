"""Lesson 08 on Fashion-MNIST: momentum on a real (small) network.

Each function trains fresh copies of the course's MLP (`models.new_model`) with
`fit` and returns the histories and a table:

- `effective_lr_runs`: SGD with momentum ``beta`` at ``lr`` against plain SGD at
  ``lr / (1 - beta)`` and at ``lr`` (the effective learning rate);
- `tuned_momentum_runs`: momentum 0, 0.9, 0.99, each at the rate its own range test suggests;
- `cyclical_momentum_runs`: one-cycle with momentum cycled 0.95 -> 0.85 -> 0.95 (Smith 2018)
  against one-cycle with constant momentum;
- `constant_gradient_steps` and `adam_beta1_runs`: how Adam's ``beta1`` differs from momentum.

The piece a learner may want to swap is an argument: the optimizer factory, the rule that
turns a range test into a rate, the momentum range.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from .. import schedules
from ..data import Data
from ..lr_finder import RangeTestResult, lr_range_test
from ..models import new_model
from ..training import History, fit, make_optimizer
from ..validation import check_fraction, check_int, check_positive

OptimizerFactory = Callable[..., torch.optim.Optimizer]  # (params, lr, momentum) -> optimizer


def momentum_sgd(params, lr: float, momentum: float) -> torch.optim.Optimizer:
    """torch's SGD with heavy-ball momentum, built (and checked) by `make_optimizer`."""
    return make_optimizer("sgd", params, lr=lr, momentum=momentum)


def nesterov_sgd(params, lr: float, momentum: float) -> torch.optim.Optimizer:
    """torch's SGD with Nesterov momentum (plain SGD when ``momentum`` is 0)."""
    return make_optimizer("sgd", params, lr=lr, momentum=momentum, nesterov=momentum > 0)


def train(data: Data, *, lr: float, momentum: float = 0.0, epochs: int, width: int, batch_size: int = 128,
          seed: int = 0, make_optimizer: OptimizerFactory = momentum_sgd, scheduler=None) -> History:
    """Train a fresh lesson MLP (initialised from ``seed``) with ``make_optimizer(params, lr, momentum)``."""
    check_positive("lr", lr)
    check_fraction("momentum", momentum, include_one=False)
    model = new_model(width, seed=seed)
    return fit(model, data, epochs=epochs, batch_size=batch_size, seed=seed, scheduler=scheduler,
               optimizer=lambda params: make_optimizer(params, lr, momentum), progress=False, verbose=False)


# ------------------------------------------------------------------ effective learning rate

def effective_lr_runs(data: Data, *, lr: float, momentum: float, epochs: int, width: int, batch_size: int = 128,
                      seed: int = 0, make_optimizer: OptimizerFactory = momentum_sgd) -> dict[str, History]:
    """Three runs from the same initial weights and batch order: momentum ``beta`` at ``lr``,
    plain SGD at ``lr / (1 - beta)`` (the effective rate) and plain SGD at ``lr``."""
    check_positive("lr", lr)
    beta = check_fraction("momentum", momentum, include_one=False)
    if beta == 0:
        raise ValueError("momentum must be a number in (0, 1) here (got 0): with 0 all three runs are the same")
    common = dict(epochs=epochs, width=width, batch_size=batch_size, seed=seed)
    return {
        f"momentum {beta:g} at lr {lr:.3g}": train(data, lr=lr, momentum=beta, make_optimizer=make_optimizer,
                                                    **common),
        f"plain SGD at lr/(1-β) = {lr / (1 - beta):.3g}": train(data, lr=lr / (1 - beta), **common),
        f"plain SGD at lr {lr:.3g}": train(data, lr=lr, **common),
    }


def smoothed_step_loss(history: History, smooth: int = 20) -> np.ndarray:
    """The mini-batch losses of a run, as a moving average over ``smooth`` steps."""
    check_int("smooth", smooth, 1)
    return history.steps["loss"].rolling(smooth, min_periods=1).mean().to_numpy()


def curve_gap(first: History, second: History, smooth: int = 20) -> float:
    """Mean absolute difference between two runs' smoothed loss curves, step by step.

    The runs share their initial weights and their batch order, so the same step saw the
    same images in both: the gap measures the optimizers, not the data.
    """
    a, b = smoothed_step_loss(first, smooth), smoothed_step_loss(second, smooth)
    n = min(len(a), len(b))
    if n == 0:
        raise ValueError("both runs need at least one recorded step")
    return float(np.mean(np.abs(a[:n] - b[:n])))


def effective_lr_gaps(runs: dict[str, History], smooth: int = 20) -> dict[str, float]:
    """Gap of the momentum run to plain SGD at the effective rate, and to plain SGD at the same rate."""
    momentum_run, matched, same_lr = runs.values()
    return {"to_effective": curve_gap(momentum_run, matched, smooth),
            "to_same_lr": curve_gap(momentum_run, same_lr, smooth)}


# ------------------------------------------------------------------ tuned momentum

def steepest(result: RangeTestResult) -> float:
    """The range test's steepest-descent suggestion (lesson 06's choice for SGD)."""
    return result.suggestions["steepest"]


def tuned_momentum_runs(data: Data, *, momenta: Sequence[float] = (0.0, 0.9, 0.99), epochs: int, width: int,
                        batch_size: int = 128, seed: int = 0, suggest: Callable[[RangeTestResult], float] = steepest,
                        ) -> tuple[pd.DataFrame, dict[str, History], dict[str, RangeTestResult]]:
    """For each momentum: a range test with that momentum, then training at ``suggest(test)``.

    When ``momenta`` starts with 0, every other momentum ``beta`` also trains at the rate
    the rule ``lr / (1 - beta) = lr_0`` transfers from the momentum-free test:
    ``lr_0 * (1 - beta)``. Returns a table (momentum, how the rate was chosen, the rate, the
    effective rate ``lr / (1 - beta)``, final losses and accuracy, diverged), the
    histories and the range tests, keyed by label.
    """
    momenta = [check_fraction("momentum", beta, include_one=False) for beta in momenta]
    rows, histories, tests = [], {}, {}

    def run(beta: float, lr: float, how: str, label: str) -> None:
        history = train(data, lr=lr, momentum=beta, epochs=epochs, width=width, batch_size=batch_size, seed=seed)
        histories[label] = history
        rows.append({"momentum": beta, "rate from": how, "lr": lr, "effective_lr": lr / (1 - beta),
                     "train_loss": history.final("train_loss"), "val_loss": history.final("val_loss"),
                     "val_acc": history.final("val_acc"), "diverged": history.diverged})

    for beta in momenta:
        label = f"momentum {beta:g}"
        tests[label] = lr_range_test(new_model(width, seed=seed), data, momentum=beta, batch_size=batch_size,
                                     seed=seed, progress=False)
        run(beta, suggest(tests[label]), "range test", label)
    if momenta and momenta[0] == 0:
        lr_0 = rows[0]["lr"]
        for beta in momenta[1:]:
            run(beta, lr_0 * (1 - beta), "lr_0 × (1 - β)", f"momentum {beta:g}, lr_0 × (1 - β)")
    return pd.DataFrame(rows), histories, tests


def suggested_rates(table: pd.DataFrame) -> pd.Series:
    """The range test's rate per momentum (rows chosen by the test only)."""
    rows = table[table["rate from"] == "range test"]
    return pd.Series(rows["lr"].to_numpy(), index=rows["momentum"].to_numpy(), name="suggested lr")


# ------------------------------------------------------------------ cyclical momentum

def momentum_sequence(schedule: schedules.Schedule, n_steps: int, *, lr0: float = 1.0,
                      momentum: float = 0.9) -> pd.DataFrame:
    """The learning rate and the momentum torch's scheduler sets at steps ``0 .. n_steps - 1``
    (a dummy SGD optimizer stepped as `fit` steps it; `schedules.lr_sequence` does the rates only)."""
    check_int("n_steps", n_steps, 1)
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = make_optimizer("sgd", [parameter], lr=lr0, momentum=momentum)
    scheduler = schedule(optimizer)
    rows = []
    for step in range(n_steps):
        rows.append({"step": step, "lr": optimizer.param_groups[0]["lr"],
                     "momentum": optimizer.param_groups[0]["momentum"]})
        optimizer.step()
        scheduler.step()
    return pd.DataFrame(rows)


def cyclical_momentum_runs(data: Data, *, max_lr: float, epochs: int, width: int, batch_size: int = 128,
                           seed: int = 0, base_momentum: float = 0.85, max_momentum: float = 0.95,
                           constant_momentum: float = 0.9) -> dict[str, History]:
    """One-cycle up to ``max_lr`` twice: momentum cycled from ``max_momentum`` down to
    ``base_momentum`` (while the rate rises) and back, against a constant ``constant_momentum``."""
    check_positive("max_lr", max_lr)
    for name, value in (("base_momentum", base_momentum), ("max_momentum", max_momentum),
                        ("constant_momentum", constant_momentum)):
        check_fraction(name, value, include_one=False)
    if base_momentum > max_momentum:
        raise ValueError(f"base_momentum must not exceed max_momentum (got {base_momentum} > {max_momentum})")
    total = epochs * math.ceil(len(data.train) / batch_size)
    cycled = schedules.one_cycle(total, cycle_momentum=True, base_momentum=base_momentum, max_momentum=max_momentum)
    fixed = schedules.one_cycle(total)
    common = dict(lr=max_lr, epochs=epochs, width=width, batch_size=batch_size, seed=seed)
    return {
        f"cyclical momentum {max_momentum:g} → {base_momentum:g}": train(
            data, momentum=constant_momentum, scheduler=cycled, **common),  # the schedule overrides this momentum
        f"constant momentum {constant_momentum:g}": train(data, momentum=constant_momentum, scheduler=fixed, **common),
    }


def runs_table(histories: dict[str, History]) -> pd.DataFrame:
    """Final training loss, validation loss and accuracy of each run."""
    return pd.DataFrame([{"run": label, "train_loss": h.final("train_loss"), "val_loss": h.final("val_loss"),
                          "val_acc": h.final("val_acc"), "diverged": h.diverged} for label, h in histories.items()])


# ------------------------------------------------------------------ Adam's beta1

def constant_gradient_steps(make: Callable[[list[torch.Tensor]], torch.optim.Optimizer],
                            n_steps: int = 100) -> np.ndarray:
    """Size of each update of the optimizer ``make(params)`` when the gradient is always 1.

    On the loss ``f(x) = x`` the gradient never changes, so the steps show what the
    optimizer does with a steady gradient: SGD with momentum ``beta`` builds up to
    ``lr / (1 - beta)``, Adam stays at ``lr``.
    """
    check_int("n_steps", n_steps, 1)
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)  # one float64 scalar on the CPU
    optimizer = make([x])
    steps = []
    for _ in range(n_steps):
        before = x.item()
        optimizer.zero_grad()
        x.sum().backward()
        optimizer.step()
        steps.append(before - x.item())
    return np.array(steps)


def adam_beta1_runs(data: Data, *, lr: float = 1e-3, betas1: Sequence[float] = (0.0, 0.9, 0.99), epochs: int,
                    width: int, batch_size: int = 128, seed: int = 0) -> dict[str, History]:
    """Adam at the same ``lr`` with each ``beta1`` (``beta2`` stays 0.999)."""
    check_positive("lr", lr)
    runs = {}
    for beta1 in betas1:
        beta1 = check_fraction("beta1", beta1, include_one=False)
        model = new_model(width, seed=seed)
        runs[f"Adam, beta1 = {beta1:g}"] = fit(
            model, data, epochs=epochs, batch_size=batch_size, seed=seed, progress=False, verbose=False,
            optimizer=lambda params, b=beta1: torch.optim.Adam(params, lr=lr, betas=(b, 0.999)))
    return runs


def steady_gradient_steps(lr: float = 0.01, momenta: Sequence[float] = (0.9, 0.99),
                          betas1: Sequence[float] = (0.9, 0.99), n_steps: int = 1000) -> dict[str, np.ndarray]:
    """`constant_gradient_steps` for SGD with each momentum and for Adam with each ``beta1``, at ``lr``."""
    check_positive("lr", lr)
    steps = {}
    for beta in momenta:
        steps[f"SGD, momentum {beta:g}"] = constant_gradient_steps(lambda p, b=beta: momentum_sgd(p, lr, b), n_steps)
    for beta1 in betas1:
        check_fraction("beta1", beta1, include_one=False)
        steps[f"Adam, beta1 {beta1:g}"] = constant_gradient_steps(
            lambda p, b=beta1: torch.optim.Adam(p, lr=lr, betas=(b, 0.999)), n_steps)
    return steps
