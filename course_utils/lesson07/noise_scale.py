"""The gradient noise scale (McCandlish et al. 2018) and the steps/examples trade-off.

``B_simple = tr(Sigma) / |G|^2``: how many examples a batch needs before its noise
(variance ``tr(Sigma) / B``) is as large as the signal ``|G|^2``. Two estimates:

- `b_simple_per_example`: exact, from every per-example gradient of a data set, through
  lesson 04's `per_sample_gradient_variance`;
- `b_simple_two_batch`: the paper's cheap estimator, from the squared norms of mini-batch
  gradients at a small and a large batch size (what a data-parallel job sees for free).

`steps_to_target_sweep` measures, for each batch size, the fewest updates (over a few
rates) to reach a training loss; `fit_tradeoff` fits the paper's
``S = S_min (1 + B_crit / B)``, equivalently ``(S/S_min - 1)(E/E_min - 1) = 1``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..config import cpu_threads
from ..data import Split
from ..gradients import flat_gradient, per_sample_gradient_variance
from ..models import new_model
from ..training import evaluate, fit
from ..validation import check_int, check_positive
from .experiments import check_batch_size


def b_simple_per_example(model: nn.Module, data: Split) -> dict[str, float]:
    """``tr(Sigma)``, ``|G|^2`` and their ratio ``b_simple`` from exact per-example gradients."""
    if len(data) < 2:
        raise ValueError(f"data must hold at least 2 examples (got {len(data)})")
    trace_sigma, g_squared = per_sample_gradient_variance(model, data)
    return {"trace_sigma": trace_sigma, "g_squared": g_squared, "b_simple": trace_sigma / g_squared}


def two_batch_estimates(norm_sq_small: float, norm_sq_big: float, b_small: int, b_big: int) -> tuple[float, float]:
    """Unbiased ``(|G|^2, tr Sigma)`` from mean squared gradient norms at two batch sizes.

    For batches drawn with replacement, ``E|g_B|^2 = |G|^2 + tr(Sigma) / B``. Two batch
    sizes give two equations (McCandlish et al. 2018, appendix A):
    ``|G|^2 = (B_big |g_big|^2 - B_small |g_small|^2) / (B_big - B_small)`` and
    ``tr Sigma = (|g_small|^2 - |g_big|^2) / (1/B_small - 1/B_big)``.
    """
    check_int("b_small", b_small, 1)
    check_int("b_big", b_big, b_small + 1)
    g_squared = (b_big * norm_sq_big - b_small * norm_sq_small) / (b_big - b_small)
    trace_sigma = (norm_sq_small - norm_sq_big) / (1 / b_small - 1 / b_big)
    return g_squared, trace_sigma


def b_simple_two_batch(model: nn.Module, data: Split, *, b_small: int, b_big: int, n_batches: int,
                       seed: int = 0) -> dict[str, float]:
    """The paper's estimator: mean ``|g_B|^2`` over ``n_batches`` batches of each size, then `two_batch_estimates`.

    Batches are drawn *with* replacement, which makes ``E|g_B|^2 = |G|^2 + tr Sigma / B``
    exact, with the same ``Sigma`` (population covariance of the per-example gradients)
    that `b_simple_per_example` computes. The model is left in training mode as it was.
    """
    check_batch_size(b_small, len(data), "b_small")
    check_batch_size(b_big, len(data), "b_big")
    if b_big <= b_small:
        raise ValueError(f"b_big must be larger than b_small (got {b_big} <= {b_small})")
    check_int("n_batches", n_batches, 1)
    generator = torch.Generator().manual_seed(seed)
    means = []
    for b in (b_small, b_big):
        total = 0.0
        for _ in range(n_batches):
            index = torch.randint(len(data), (b,), generator=generator).to(data.y.device)
            g = flat_gradient(model, data.x[index], data.y[index])
            total += float(g.detach().cpu().double().pow(2).sum())
        means.append(total / n_batches)
    g_squared, trace_sigma = two_batch_estimates(means[0], means[1], b_small, b_big)
    return {"trace_sigma": trace_sigma, "g_squared": g_squared, "b_simple": trace_sigma / g_squared,
            "norm_sq_small": means[0], "norm_sq_big": means[1]}


def noise_scale_during_training(
    train: Split,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    b_small: int,
    b_big: int,
    n_batches: int,
    n_examples: int,
    width: int = 64,
    seed: int = 0,
    threads: int | None = 1,
) -> pd.DataFrame:
    """``B_simple`` by both estimators before training and after every epoch of one run.

    Both use the same ``n_examples`` training examples (a fixed subset; the per-example
    computation needs all their gradients). Columns: ``epoch``, ``train_loss``,
    ``per_example``, ``two_batch``, ``trace_sigma``, ``g_squared`` (per-example).
    """
    check_batch_size(batch_size, len(train))
    check_positive("lr", lr)
    check_int("epochs", epochs, 1)
    probe = train.subset(check_batch_size(n_examples, len(train), "n_examples"), seed=seed)
    rows = []
    with cpu_threads(threads):
        model = new_model(width, depth=1, seed=seed, device=train.x.device)
        for epoch in range(epochs + 1):
            if epoch:
                fit(model, train, epochs=1, lr=lr, batch_size=batch_size, seed=seed + epoch, progress=False,
                    verbose=False)
            exact = b_simple_per_example(model, probe)
            cheap = b_simple_two_batch(model, probe, b_small=b_small, b_big=b_big, n_batches=n_batches,
                                       seed=seed + epoch)
            rows.append({"epoch": epoch, "train_loss": evaluate(model, train)[0], "per_example": exact["b_simple"],
                         "two_batch": cheap["b_simple"], "trace_sigma": exact["trace_sigma"],
                         "g_squared": exact["g_squared"]})
    return pd.DataFrame(rows)


def b_simple_at_loss(noise: pd.DataFrame, target_loss: float) -> float:
    """B_simple (per-example) interpolated at the point of the run where the training loss crossed ``target_loss``."""
    loss, b = noise["train_loss"].to_numpy(), np.log(noise["per_example"].to_numpy())
    order = np.argsort(loss)  # np.interp needs increasing x; the loss falls along the run
    return float(np.exp(np.interp(target_loss, loss[order], b[order])))


def steps_to_target(
    train: Split,
    *,
    batch_size: int,
    lr: float,
    target_loss: float,
    max_steps: int,
    monitor: Split | None = None,
    growth: float = 1.15,
    width: int = 64,
    seed: int = 0,
) -> float:
    """Updates until the training loss (on ``monitor``, default ``train``) first falls to ``target_loss``.

    Training goes in chunks of `fit` (one shuffled pass cut at checkpoints growing by
    ``growth``), the loss measured between chunks; the crossing is interpolated linearly in
    log(updates) between the two checkpoints around it. Returns ``inf`` if the target is
    not reached within ``max_steps`` or the run diverges.
    """
    check_batch_size(batch_size, len(train))
    check_positive("lr", lr)
    check_positive("target_loss", target_loss)
    check_int("max_steps", max_steps, 1)
    if growth <= 1:
        raise ValueError(f"growth must be a number > 1 (got {growth!r})")
    monitor = monitor if monitor is not None else train
    model = new_model(width, depth=1, seed=seed, device=train.x.device)
    generator = torch.Generator().manual_seed(seed)
    previous_steps, previous_loss = 0, evaluate(model, monitor)[0]
    steps, stream = 0, torch.empty(0, dtype=torch.long)
    while steps < max_steps:
        chunk = min(max_steps - steps, max(1, math.ceil(steps * (growth - 1))))
        # the chunk's examples come from a stream of shuffled passes over the data, as fit's epochs do
        while len(stream) < chunk * batch_size:
            stream = torch.cat([stream, torch.randperm(len(train), generator=generator)])
        index, stream = stream[:chunk * batch_size].to(train.y.device), stream[chunk * batch_size:]
        history = fit(model, Split(train.x[index], train.y[index]), epochs=1, lr=lr, batch_size=batch_size,
                      seed=seed + steps, progress=False, verbose=False)
        steps += len(history.steps)
        loss = evaluate(model, monitor)[0]
        if history.diverged or not math.isfinite(loss):
            return math.inf
        if loss <= target_loss:
            # interpolate in log(steps) between the last checkpoint above the target and this one
            low = math.log(max(previous_steps, 1))
            fraction = (previous_loss - target_loss) / max(previous_loss - loss, 1e-12)
            return float(math.exp(low + fraction * (math.log(steps) - low)))
        previous_steps, previous_loss = steps, loss
    return math.inf


def steps_to_target_sweep(
    train: Split,
    *,
    batch_sizes: Sequence[int],
    lrs: Sequence[float],
    target_loss: float,
    max_examples: int,
    monitor_size: int = 1024,
    width: int = 64,
    seed: int = 0,
    threads: int | None = 1,
) -> pd.DataFrame:
    """For every batch size, the fewest updates to ``target_loss`` over the rates ``lrs``.

    McCandlish et al.'s model assumes each batch size trains at its own best rate, so each
    is tried at every rate in ``lrs`` and the fastest kept. A run stops after
    ``max_examples`` examples. The loss is monitored on a fixed subset of ``monitor_size``
    training examples. Columns: ``batch_size``, ``steps``, ``examples`` (= steps x B),
    ``best_lr``, and ``steps_at_<lr>`` for every rate.
    """
    sizes = [check_batch_size(int(b), len(train), "batch_sizes") for b in batch_sizes]
    rates = [check_positive("lrs", lr) for lr in lrs]
    check_int("max_examples", max_examples, 1)
    monitor = train.subset(check_int("monitor_size", monitor_size, 1, len(train)), seed=seed + 1)
    rows = []
    with cpu_threads(threads):
        for b in sizes:
            row = {"batch_size": b}
            fewest = math.inf
            for lr in rates:
                # a rate that has not arrived within the best rate's steps cannot win: stop it there
                limit = max(1, min(max_examples // b, math.ceil(fewest * 1.01) if math.isfinite(fewest) else 10 ** 9))
                steps = steps_to_target(train, batch_size=b, lr=lr, target_loss=target_loss, max_steps=limit,
                                        monitor=monitor, width=width, seed=seed)
                row[f"steps_at_{lr:g}"] = steps
                fewest = min(fewest, steps)
            best = min(rates, key=lambda lr: row[f"steps_at_{lr:g}"])
            row.update(steps=row[f"steps_at_{best:g}"], best_lr=best)
            row["examples"] = row["steps"] * b
            rows.append(row)
    columns = ["batch_size", "steps", "examples", "best_lr"] + [f"steps_at_{lr:g}" for lr in rates]
    return pd.DataFrame(rows)[columns]


@dataclass(frozen=True)
class Tradeoff:
    """``S = S_min + E_min / B``: the paper's steps/examples trade-off, fitted."""

    s_min: float
    e_min: float

    @property
    def b_crit(self) -> float:
        """The critical batch: twice ``S_min`` steps and twice ``E_min`` examples; the knee."""
        return self.e_min / self.s_min

    def steps(self, batch_sizes) -> np.ndarray:
        return self.s_min + self.e_min / np.asarray(batch_sizes, dtype=float)

    def product(self, steps, examples) -> np.ndarray:
        """``(S/S_min - 1)(E/E_min - 1)``: 1 on the model's curve."""
        return (np.asarray(steps) / self.s_min - 1) * (np.asarray(examples) / self.e_min - 1)


def fit_tradeoff(sweep: pd.DataFrame) -> Tradeoff:
    """Least-squares fit of ``S = S_min + E_min / B`` on relative errors, over the finite rows.

    Raises ValueError if fewer than three batch sizes reached the target, or if the fit
    gives a non-positive ``S_min`` or ``E_min`` (no knee within the measured batch sizes).
    """
    rows = sweep[np.isfinite(sweep["steps"])]
    if len(rows) < 3:
        raise ValueError(f"fit_tradeoff needs at least 3 batch sizes that reached the target (got {len(rows)})")
    b, s = rows["batch_size"].to_numpy(float), rows["steps"].to_numpy(float)
    design = np.stack([np.ones_like(b), 1 / b], 1) / s[:, None]
    (s_min, e_min), *_ = np.linalg.lstsq(design, np.ones_like(s), rcond=None)
    if s_min <= 0 or e_min <= 0:
        raise ValueError(f"the fit found no knee (S_min={s_min:.3g}, E_min={e_min:.3g}); widen the batch sizes")
    return Tradeoff(float(s_min), float(e_min))
