"""Lesson 09's training experiments: weight decay against over-fitting, with and without label noise.

The set-up is lesson 03's over-fitting regime: a wide one-hidden-layer MLP (`models.mlp`) on a
small subset of Fashion-MNIST, optionally with a fraction of the training labels replaced by
wrong ones (`data.fashion_mnist(label_noise=...)`). Every run goes through the course's one
loop, `training.fit`, with a cosine learning-rate schedule (`schedules.cosine`) so that the
last epoch is not a noisy snapshot, and with an optimizer built by an `OptimizerFactory`:
a function ``(params, lr, weight_decay) -> Optimizer``. Pass your own to change how decay
works (e.g. `sgd_no_bias_decay`, which leaves biases alone).

- `train_with_decay`: one run; weight norm, accuracies and a sample of the weights.
- `decay_sweep`: one run per decay on the same data (Smith's grid and beyond).
- `lr_decay_grid`: learning rate x weight decay, for the heat map.
- `size_sweep`: the best decay on a small and a large training set, at equal numbers of updates.
- `optimizer_runs`: the runs the slider chooses among (SGD + L2, Adam + L2, AdamW).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..config import seed_everything
from ..data import Data, fashion_mnist
from ..models import mlp
from ..schedules import Schedule, cosine
from ..training import History, evaluate, fit, make_optimizer
from ..validation import check_fraction, check_int, check_non_negative, check_positive

OptimizerFactory = Callable[[Iterable[nn.Parameter], float, float], torch.optim.Optimizer]

SMITH_GRID = (0.0, 1e-5, 1e-4, 1e-3)  # Smith (2018), section 4.4: the values to try first
DECAY_GRID = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1)  # Smith's grid and three larger values
SGD_MOMENTUM = 0.9
WEIGHT_SAMPLE = 4096  # weights kept per run for the histograms (a fixed random subset)


def sgd(momentum: float = SGD_MOMENTUM, nesterov: bool = False) -> OptimizerFactory:
    """SGD (with ``momentum``) whose ``weight_decay`` is L2; checked now by `make_optimizer`."""
    make_optimizer("sgd", [torch.zeros(1, requires_grad=True)], lr=1.0, momentum=momentum, nesterov=nesterov)
    return functools.partial(_build, "sgd", momentum=momentum, nesterov=nesterov)


def adam_l2() -> OptimizerFactory:
    """torch's Adam: its ``weight_decay`` adds ``wd * w`` to the gradient (L2, coupled)."""
    return functools.partial(_build, "adam")


def adamw() -> OptimizerFactory:
    """torch's AdamW: decay decoupled from the adaptive step (Loshchilov & Hutter 2019)."""
    return functools.partial(_build, "adamw")


def _build(name: str, params, lr: float, weight_decay: float, momentum: float = 0.0,
           nesterov: bool = False) -> torch.optim.Optimizer:
    return make_optimizer(name, params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)


def sgd_no_bias_decay(params, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """SGD with momentum that decays weight matrices only: biases (1-D tensors) get no decay."""
    params = list(params)
    matrices = [p for p in params if p.ndim > 1]
    others = [p for p in params if p.ndim <= 1]
    opt = make_optimizer("sgd", matrices, lr=lr, momentum=SGD_MOMENTUM, weight_decay=weight_decay)
    opt.add_param_group({"params": others, "weight_decay": 0.0})
    return opt


OPTIMIZERS: dict[str, tuple[OptimizerFactory, float]] = {
    # label -> (factory, learning rate that trains this set-up well without decay)
    "SGD + L2": (sgd(), 0.05),
    "Adam + L2": (adam_l2(), 1e-3),
    "AdamW": (adamw(), 1e-3),
}


@dataclass
class DecayRun:
    """One training run: its `History`, final weight norm, test accuracy and a weight sample."""

    weight_decay: float
    lr: float
    history: History
    train_acc: float  # after the last epoch, against the (possibly noisy) training labels
    val_acc: float
    val_loss: float
    test_acc: float
    weight_norm: float
    exposure: float  # weight_decay * sum of the learning rates used: the decay's total "dose"
    weights: np.ndarray  # WEIGHT_SAMPLE weights of the first layer, for histograms

    @property
    def gap(self) -> float:
        """Training minus test accuracy after the last epoch."""
        return self.train_acc - self.test_acc

    def row(self) -> dict:
        return {"weight_decay": self.weight_decay, "lr": self.lr, "train_acc": self.train_acc,
                "val_acc": self.val_acc, "val_loss": self.val_loss, "test_acc": self.test_acc,
                "gap": self.gap, "weight_norm": self.weight_norm, "exposure": self.exposure,
                "diverged": self.history.diverged}


def weight_norm(model: nn.Module) -> float:
    """Euclidean norm of all parameters together (on the CPU, in float64)."""
    return float(torch.sqrt(sum((p.detach().cpu().double() ** 2).sum() for p in model.parameters())))


def train_with_decay(
    data: Data,
    weight_decay: float,
    *,
    lr: float,
    epochs: int,
    width: int = 512,
    batch_size: int = 50,
    optimizer: OptimizerFactory | None = None,
    schedule: Callable[[int], Schedule] | None = cosine,
    max_steps: int | None = None,
    curves: bool = True,
    seed: int = 0,
) -> DecayRun:
    """Train ``mlp(width, 1)`` from ``seed`` on ``data`` with ``optimizer(params, lr, weight_decay)``.

    ``optimizer`` defaults to `sgd` (momentum 0.9). ``schedule(total_steps)`` gives the
    learning-rate schedule (default: cosine to zero; ``None``: constant). ``curves=False``
    skips the validation pass after every epoch (a fifth faster; the final validation
    numbers are still measured). A run that diverges is reported in its history
    (``history.diverged``), not raised.
    """
    check_non_negative("weight_decay", weight_decay)
    check_positive("lr", lr)
    check_int("epochs", epochs, 1)
    check_int("width", width, 1)
    check_int("batch_size", batch_size, 1, len(data.train), "the number of training images")
    optimizer = optimizer or sgd()
    steps_per_epoch = math.ceil(len(data.train) / batch_size)
    total = epochs * steps_per_epoch if max_steps is None else min(check_int("max_steps", max_steps, 1),
                                                                   epochs * steps_per_epoch)
    seed_everything(seed)
    model = mlp(width, 1)
    history = fit(model, data if curves else data.train, epochs=epochs, batch_size=batch_size,
                  max_steps=max_steps, seed=seed,
                  optimizer=lambda params: optimizer(params, lr, weight_decay),
                  scheduler=schedule(total) if schedule is not None else None, progress=False, verbose=False)
    train_acc = evaluate(model, data.train)[1]
    val_loss, val_acc = evaluate(model, data.val) if data.val is not None else (math.nan, math.nan)
    test_acc = evaluate(model, data.test)[1] if data.test is not None else math.nan
    first = model[1].weight.detach().cpu().reshape(-1)
    pick = torch.randperm(len(first), generator=torch.Generator().manual_seed(0))[:WEIGHT_SAMPLE]
    return DecayRun(weight_decay, lr, history, train_acc, val_acc, val_loss, test_acc, weight_norm(model),
                    weight_decay * float(history.steps["lr"].sum()), first[pick].numpy())


@dataclass
class DecaySweep:
    """What `decay_sweep` measured: one table row and one `DecayRun` per decay."""

    table: pd.DataFrame  # weight_decay, train_acc, val_acc, val_loss, test_acc, gap, weight_norm, exposure
    runs: dict[float, DecayRun]

    def best(self, among: Sequence[float] | None = None) -> pd.Series:
        """The row with the highest *validation* accuracy (among ``among``; ties: the smaller decay)."""
        table = self.table if among is None else self.table[self.table["weight_decay"].isin(among)]
        if table.empty:
            raise ValueError(f"among must name decays of this sweep {list(self.table['weight_decay'])} (got {among})")
        return table.loc[table["val_acc"].idxmax()]

    def at(self, weight_decay: float) -> pd.Series:
        """The row of one decay."""
        return self.table.set_index("weight_decay").loc[weight_decay]


def _check_decays(decays: Sequence[float]) -> list[float]:
    if len(decays) == 0:
        raise ValueError("decays must name at least one weight decay (got an empty sequence)")
    return sorted({check_non_negative("weight_decay", d) for d in decays})


def decay_sweep(data: Data, decays: Sequence[float] = DECAY_GRID, **train_kwargs) -> DecaySweep:
    """One `train_with_decay` run per decay, all from the same seed on the same data."""
    runs = {d: train_with_decay(data, d, **train_kwargs) for d in _check_decays(decays)}
    return DecaySweep(pd.DataFrame([run.row() for run in runs.values()]), runs)


def lr_decay_grid(data: Data, lrs: Sequence[float], decays: Sequence[float], **train_kwargs) -> pd.DataFrame:
    """Validation accuracy and loss of one run per (learning rate, weight decay); long format."""
    if len(lrs) == 0:
        raise ValueError("lrs must name at least one learning rate (got an empty sequence)")
    lrs = sorted({check_positive("lr", lr) for lr in lrs})
    rows = []
    for lr in lrs:
        for decay in _check_decays(decays):
            rows.append(train_with_decay(data, decay, lr=lr, curves=False, **train_kwargs).row())
    return pd.DataFrame(rows)


def best_decay_per_lr(grid: pd.DataFrame) -> pd.DataFrame:
    """For each learning rate of an `lr_decay_grid`: the decay with the best validation accuracy,
    and the gain over no decay (in accuracy, a fraction)."""
    rows = []
    for lr, part in grid.groupby("lr"):
        best = part.loc[part["val_acc"].idxmax()]
        zero = part[part["weight_decay"] == 0]
        gain = best["val_acc"] - float(zero["val_acc"].iloc[0]) if len(zero) else math.nan
        rows.append({"lr": lr, "best_decay": best["weight_decay"], "best_val_acc": best["val_acc"], "gain": gain})
    return pd.DataFrame(rows)


def size_sweep(
    sizes: Sequence[int],
    decays: Sequence[float],
    *,
    steps: int,
    batch_size: int = 50,
    n_val: int = 1000,
    n_test: int = 1000,
    label_noise: float = 0.0,
    seed: int = 0,
    **train_kwargs,
) -> pd.DataFrame:
    """`decay_sweep` on training sets of each size, every run with the same number of updates.

    Equal ``steps`` keep the decay's total dose (``wd * sum of lr``) the same for every size,
    so a difference in the best decay comes from the amount of data, not from longer training.
    Returns the sweeps' tables stacked, with a column ``n_train``.
    """
    if len(sizes) == 0:
        raise ValueError("sizes must name at least one training-set size (got an empty sequence)")
    check_int("steps", steps, 1)
    check_fraction("label_noise", label_noise, include_one=False)
    tables = []
    for n_train in sorted({check_int("n_train", n, 1) for n in sizes}):
        data = fashion_mnist(n_train, n_val, n_test, label_noise=label_noise, seed=seed)
        epochs = math.ceil(steps / math.ceil(n_train / batch_size))
        sweep = decay_sweep(data, decays, epochs=epochs, max_steps=steps, batch_size=min(batch_size, n_train),
                            seed=seed, curves=False, **train_kwargs)
        tables.append(sweep.table.assign(n_train=n_train))
    return pd.concat(tables, ignore_index=True)


def best_decay_per_size(table: pd.DataFrame) -> pd.DataFrame:
    """For each ``n_train`` of a `size_sweep`: the decay with the best validation accuracy."""
    rows = []
    for n_train, part in table.groupby("n_train"):
        best = part.loc[part["val_acc"].idxmax()]
        zero = part[part["weight_decay"] == 0]
        rows.append({"n_train": n_train, "best_decay": best["weight_decay"], "best_val_acc": best["val_acc"],
                     "test_acc_at_best": best["test_acc"],
                     "test_gain": best["test_acc"] - float(zero["test_acc"].iloc[0]) if len(zero) else math.nan})
    return pd.DataFrame(rows)


def optimizer_runs(
    data: Data,
    decays: Sequence[float],
    optimizers: Mapping[str, tuple[OptimizerFactory, float]] = OPTIMIZERS,
    **train_kwargs,
) -> dict[tuple[str, float], DecayRun]:
    """One run per (optimizer label, decay): what the slider chooses among.

    ``optimizers`` maps a label to ``(factory, learning rate)``.
    """
    if not optimizers:
        raise ValueError("optimizers must name at least one (label -> (factory, lr)) pair")
    runs = {}
    for label, (factory, lr) in optimizers.items():
        for decay in _check_decays(decays):
            runs[(label, decay)] = train_with_decay(data, decay, lr=lr, optimizer=factory, **train_kwargs)
    return runs
