"""Learning-rate schedules built on ``torch.optim.lr_scheduler``, with their closed forms.

Each builder returns a `Schedule`: call it with an optimizer to get a torch scheduler, so
it plugs straight into ``fit(..., scheduler=cosine(total_steps=300))``. Every schedule is
a *shape* applied to the optimizer's own learning rate ``lr0`` (the ``lr`` given to `fit`):
the decays start at ``lr0``, warm-up climbs to it, and one-cycle peaks at it.

``schedule.lr(steps, lr0)`` evaluates the textbook formula, which is what the lesson and
the tests compare torch's recursive implementation against. Step ``t`` counts scheduler
steps: `fit` steps the scheduler after every update, so ``t`` is the number of updates
made so far and ``lr(t)`` is the rate used by update ``t + 1``.

==================  ===========================================  =======================
schedule            learning rate at step t                      torch class
==================  ===========================================  =======================
constant            lr0                                          LambdaLR
time-based decay    lr0 / (1 + k t)                              LambdaLR (no torch class)
step decay          lr0 * gamma ** floor(t / step_size)          StepLR
exponential decay   lr0 * gamma ** t                             ExponentialLR
cosine              lr_min + (lr0 - lr_min) (1 + cos(pi t / T)) / 2   CosineAnnealingLR
linear warm-up      lr0 * (f + (1 - f) min(t, T) / T)            LinearLR
one-cycle           up lr0/div -> lr0, then down to lr0/(div*final_div), cosine  OneCycleLR
==================  ===========================================  =======================
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.optim import lr_scheduler

from .validation import check_choice, check_fraction, check_int, check_positive

SCHEDULE_NAMES = ("constant", "time-based", "step", "exponential", "cosine", "warm-up", "one-cycle")


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: ``schedule(optimizer)`` builds the torch scheduler.

    ``formula(steps, lr0)`` is the closed form; ``description`` is a one-line summary
    used in plot legends and tables.
    """

    name: str
    description: str
    build: Callable[[torch.optim.Optimizer], lr_scheduler.LRScheduler]
    formula: Callable[[np.ndarray, float], np.ndarray]

    def __call__(self, optimizer: torch.optim.Optimizer) -> lr_scheduler.LRScheduler:
        return self.build(optimizer)

    def lr(self, steps, lr0: float) -> np.ndarray:
        """The closed-form learning rate at scheduler step(s) ``steps`` for base rate ``lr0``."""
        check_positive("lr0", lr0)
        steps = np.asarray(steps, dtype=float)
        if np.any(steps < 0):
            raise ValueError(f"steps must be >= 0 (got min {steps.min()})")
        return np.asarray(self.formula(steps, lr0), dtype=float)


# ---------------------------------------------------------------- closed forms
def constant_lr(steps, lr0: float) -> np.ndarray:
    """``lr0`` at every step."""
    return np.full_like(np.asarray(steps, dtype=float), lr0)


def time_based_lr(steps, lr0: float, k: float) -> np.ndarray:
    """Time-based (inverse-time) decay: ``lr0 / (1 + k t)``."""
    return lr0 / (1.0 + k * np.asarray(steps, dtype=float))


def step_decay_lr(steps, lr0: float, step_size: int, gamma: float) -> np.ndarray:
    """Step decay: multiply by ``gamma`` every ``step_size`` steps."""
    return lr0 * gamma ** np.floor(np.asarray(steps, dtype=float) / step_size)


def exponential_lr(steps, lr0: float, gamma: float) -> np.ndarray:
    """Exponential decay: ``lr0 * gamma ** t``."""
    return lr0 * gamma ** np.asarray(steps, dtype=float)


def cosine_lr(steps, lr0: float, total_steps: int, min_factor: float = 0.0) -> np.ndarray:
    """Cosine annealing from ``lr0`` at t=0 to ``min_factor * lr0`` at ``t = total_steps``.

    Past ``total_steps`` torch's CosineAnnealingLR climbs back up (it is periodic); so does this.
    """
    lr_min = min_factor * lr0
    t = np.asarray(steps, dtype=float)
    return lr_min + (lr0 - lr_min) * (1.0 + np.cos(np.pi * t / total_steps)) / 2.0


def warmup_lr(steps, lr0: float, warmup_steps: int, start_factor: float) -> np.ndarray:
    """Linear warm-up from ``start_factor * lr0`` to ``lr0`` over ``warmup_steps``, then constant."""
    t = np.minimum(np.asarray(steps, dtype=float), warmup_steps)
    return lr0 * (start_factor + (1.0 - start_factor) * t / warmup_steps)


def one_cycle_lr(steps, lr0: float, total_steps: int, pct_start: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4) -> np.ndarray:
    """One-cycle as torch's ``OneCycleLR`` draws it by default: cosine up from ``lr0/div_factor``
    to the peak ``lr0``, then cosine down to ``lr0 / (div_factor * final_div_factor)`` at the last
    step ``total_steps - 1``. (Smith's 2018 policy is linear: two equal phases, then a short
    annihilation far below the start.)

    The peak is reached at step ``pct_start * total_steps - 1``, as in torch's OneCycleLR.
    """
    t = np.asarray(steps, dtype=float)
    start, peak = lr0 / div_factor, lr0
    end = start / final_div_factor
    peak_step = pct_start * total_steps - 1.0

    def anneal(high_at_0, low_at_1, fraction):
        return low_at_1 + (high_at_0 - low_at_1) * (1.0 + np.cos(np.pi * fraction)) / 2.0

    rising = anneal(start, peak, t / peak_step)
    falling = anneal(peak, end, (t - peak_step) / (total_steps - 1.0 - peak_step))
    return np.where(t <= peak_step, rising, falling)


# ---------------------------------------------------------------- builders
def constant() -> Schedule:
    """The baseline: the learning rate never changes."""
    return Schedule(
        "constant", "constant lr0",
        build=lambda optimizer: lr_scheduler.LambdaLR(optimizer, lambda step: 1.0),
        formula=constant_lr,
    )


def time_based_decay(k: float) -> Schedule:
    """``lr0 / (1 + k t)``: halves after ``1/k`` steps. Torch has no class, so LambdaLR."""
    k = check_positive("k", k)
    return Schedule(
        "time-based", f"lr0/(1+{k:.3g} t)",
        build=lambda optimizer: lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1.0 + k * step)),
        formula=lambda steps, lr0: time_based_lr(steps, lr0, k),
    )


def step_decay(step_size: int, gamma: float = 0.1) -> Schedule:
    """Multiply the rate by ``gamma`` (in (0, 1)) every ``step_size`` steps (StepLR)."""
    step_size = check_int("step_size", step_size, 1)
    gamma = _check_factor("gamma", gamma)
    return Schedule(
        "step", f"x{gamma:.3g} every {step_size} steps",
        build=lambda optimizer: lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma),
        formula=lambda steps, lr0: step_decay_lr(steps, lr0, step_size, gamma),
    )


def exponential_decay(gamma: float) -> Schedule:
    """Multiply the rate by ``gamma`` (in (0, 1)) after every step (ExponentialLR)."""
    gamma = _check_factor("gamma", gamma)
    return Schedule(
        "exponential", f"lr0 x {gamma:.4g}^t",
        build=lambda optimizer: lr_scheduler.ExponentialLR(optimizer, gamma=gamma),
        formula=lambda steps, lr0: exponential_lr(steps, lr0, gamma),
    )


def cosine(total_steps: int, min_factor: float = 0.0) -> Schedule:
    """Half a cosine from ``lr0`` down to ``min_factor * lr0`` over ``total_steps`` (CosineAnnealingLR)."""
    total_steps = check_int("total_steps", total_steps, 1)
    min_factor = check_fraction("min_factor", min_factor)

    def build(optimizer):
        eta_min = min_factor * optimizer.param_groups[0]["lr"]
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps, eta_min=eta_min)

    return Schedule(
        "cosine", f"cosine to {min_factor:g} lr0 in {total_steps} steps",
        build=build,
        formula=lambda steps, lr0: cosine_lr(steps, lr0, total_steps, min_factor),
    )


def linear_warmup(warmup_steps: int, start_factor: float = 0.1) -> Schedule:
    """Climb linearly from ``start_factor * lr0`` to ``lr0`` in ``warmup_steps``, then hold (LinearLR)."""
    warmup_steps = check_int("warmup_steps", warmup_steps, 1)
    start_factor = _check_factor("start_factor", start_factor)
    return Schedule(
        "warm-up", f"linear warm-up from {start_factor:g} lr0 in {warmup_steps} steps",
        build=lambda optimizer: lr_scheduler.LinearLR(
            optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps),
        formula=lambda steps, lr0: warmup_lr(steps, lr0, warmup_steps, start_factor),
    )


def one_cycle(total_steps: int, pct_start: float = 0.3, div_factor: float = 25.0,
              final_div_factor: float = 1e4, *, cycle_momentum: bool = False,
              base_momentum: float = 0.85, max_momentum: float = 0.95) -> Schedule:
    """One-cycle policy peaking at the optimizer's ``lr0`` (OneCycleLR).

    By default momentum is left alone (torch's own default would cycle it), so that this is
    a pure learning-rate schedule and plain SGD stays plain. ``cycle_momentum=True`` moves
    momentum (or Adam's beta1) from ``max_momentum`` down to ``base_momentum`` while the
    rate rises, and back while it falls (Smith 2018). ``total_steps`` must equal the number
    of updates of the run (torch raises past it).
    """
    total_steps = check_int("total_steps", total_steps, 3)
    pct_start = check_fraction("pct_start", pct_start)
    if not 1.0 < pct_start * total_steps < total_steps - 1:
        raise ValueError(
            f"pct_start * total_steps must lie in (1, total_steps - 1) so that both phases have "
            f"steps (got pct_start={pct_start}, total_steps={total_steps})"
        )
    div_factor = check_positive("div_factor", div_factor)
    final_div_factor = check_positive("final_div_factor", final_div_factor)
    check_fraction("base_momentum", base_momentum, include_one=False)
    check_fraction("max_momentum", max_momentum, include_one=False)

    def build(optimizer):
        peaks = [group["lr"] for group in optimizer.param_groups]
        return lr_scheduler.OneCycleLR(
            optimizer, max_lr=peaks, total_steps=total_steps, pct_start=float(pct_start),
            div_factor=div_factor, final_div_factor=final_div_factor, cycle_momentum=bool(cycle_momentum),
            base_momentum=base_momentum, max_momentum=max_momentum)

    return Schedule(
        "one-cycle", f"one-cycle, peak lr0 at {pct_start:.0%} of {total_steps} steps",
        build=build,
        formula=lambda steps, lr0: one_cycle_lr(steps, lr0, total_steps, pct_start, div_factor, final_div_factor),
    )


def _check_factor(name: str, value) -> float:
    """A multiplicative factor strictly between 0 and 1."""
    value = check_positive(name, value)
    if value >= 1:
        raise ValueError(f"{name} must be a number in (0, 1) (got {value!r})")
    return value


# ---------------------------------------------------------------- helpers
def standard_schedules(total_steps: int, final_factor: float = 0.05) -> dict[str, Schedule]:
    """One of each schedule, sized for a run of ``total_steps`` updates.

    The decays end near ``final_factor * lr0`` (time-based, exponential and step decay)
    or at 0 (cosine); warm-up takes the first 10% of the run; one-cycle peaks at 30%.
    """
    total_steps = check_int("total_steps", total_steps, 10)
    final_factor = _check_factor("final_factor", final_factor)
    n_drops = 3  # step decay: three drops spread evenly over the run
    return {
        "constant": constant(),
        "time-based": time_based_decay(k=(1.0 / final_factor - 1.0) / total_steps),
        "step": step_decay(step_size=math.ceil(total_steps / (n_drops + 1)), gamma=final_factor ** (1 / n_drops)),
        "exponential": exponential_decay(gamma=final_factor ** (1.0 / total_steps)),
        "cosine": cosine(total_steps),
        "warm-up": linear_warmup(warmup_steps=max(1, total_steps // 10), start_factor=0.1),
        "one-cycle": one_cycle(total_steps),
    }


def make_schedule(name: str, total_steps: int) -> Schedule:
    """The schedule called ``name`` (one of ``SCHEDULE_NAMES``) sized for ``total_steps`` updates."""
    name = check_choice("schedule", name, SCHEDULE_NAMES)
    return standard_schedules(total_steps)[name]


def lr_sequence(schedule: Schedule, n_steps: int, lr0: float = 1.0) -> np.ndarray:
    """The learning rates torch's scheduler sets at steps ``0 .. n_steps - 1``.

    Builds a dummy optimizer (one parameter, no gradients needed), reads its rate, steps
    the scheduler, and repeats: exactly what `fit` does between updates.
    """
    n_steps = check_int("n_steps", n_steps, 1)
    lr0 = check_positive("lr0", lr0)
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=lr0)
    scheduler = schedule(optimizer)
    rates = []
    for _ in range(n_steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # no gradient: a no-op, but keeps torch's "step order" check quiet
        scheduler.step()
    return np.array(rates, dtype=float)


def plot_schedules(schedules: dict[str, Schedule], n_steps: int, lr0: float = 1.0, *, log_y: bool = False):
    """Learning rate against step for each schedule: torch's values (solid) and the closed
    form (dots on top), one small panel per schedule."""
    from .plots import new_figure

    check_int("n_steps", n_steps, 1)
    ncols = min(4, len(schedules))
    nrows = math.ceil(len(schedules) / ncols)
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=3.4, height=2.6, sharey=not log_y)
    axes = np.atleast_1d(axes)
    steps = np.arange(n_steps)
    every = max(1, n_steps // 25)
    for index, (ax, (name, schedule)) in enumerate(zip(axes, schedules.items(), strict=False)):
        ax.plot(steps, lr_sequence(schedule, n_steps, lr0), label="torch scheduler")
        ax.plot(steps[::every], schedule.lr(steps[::every], lr0), "o", markersize=3, label="closed form")
        ax.set(title=name, xlabel="update (step)", ylabel="learning rate" if index % ncols == 0 else "")
        if log_y:
            ax.set_yscale("log")
    for ax in axes[len(schedules):]:
        ax.axis("off")
    axes[0].legend(fontsize="small")
    fig.suptitle(f"Learning-rate schedules over {n_steps} updates (base rate lr0 = {lr0:g})")
    return fig
