"""Training at a given batch size with the full training loss recorded against epochs, updates and seconds.

- `train_variant`: plain SGD at one batch size for some epochs; the loss on the *whole*
  training set is measured many times per epoch (also inside epochs), so that runs with very
  different batch sizes can be compared on any of three x-axes;
- `VariantRun`: its result, the curve of (updates, epoch, seconds, train_loss) with
  `loss_at` / `mean_loss_between` to read it at any point of an axis;
- `evaluation_points`: the update counts at which the loss is measured;
- `scaled_lr`: the learning rate for another batch size (linear or square-root rule).

Lesson 04 compares full-batch, mini-batch and stochastic descent with them; lesson 07 sweeps
the batch size.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from torch import nn

from .data import Split
from .training import History, fit
from .validation import check_choice, check_int, check_positive

DIVERGENCE_FACTOR = 10.0  # fit's rule: the last 32 batch losses average above 10x the starting loss


@dataclass
class VariantRun:
    """One training run of `train_variant`.

    ``curve`` has one row per evaluation point: ``updates`` (parameter updates so far),
    ``epoch`` (passes over the data so far, fractional), ``seconds`` (measured training
    time so far, evaluation excluded) and ``train_loss`` (mean loss on the whole training
    set). ``history`` is `fit`'s `History`: ``steps`` the loss of every update's own batch,
    ``epochs`` the whole-set evaluations (``epoch`` fractional, ``updates`` = ``step``). ``model`` is the trained model.
    """

    name: str
    batch_size: int
    lr: float
    n_train: int
    curve: pd.DataFrame
    history: History
    model: nn.Module

    @property
    def updates_per_epoch(self) -> int:
        return math.ceil(self.n_train / self.batch_size)

    @property
    def seconds_per_epoch(self) -> float:
        """Measured training seconds divided by the epochs run."""
        last = self.curve.iloc[-1]
        return float(last["seconds"] / last["epoch"])

    @property
    def median_seconds_per_update(self) -> float:
        """The typical cost of one update: the median of the measured per-update times.

        A moment when another program held the CPU stretches a few updates, not the median.
        """
        seconds = self.history.steps["seconds"].to_numpy()
        return float(np.median(np.diff(seconds, prepend=0.0)))

    def loss_at(self, column: str, value: float) -> float:
        """The full training loss at ``value`` of ``column`` (linear interpolation).

        ``column`` is ``"updates"``, ``"epoch"`` or ``"seconds"``; ``value`` must lie within
        the run (a ValueError says the range otherwise).
        """
        xs = self.curve[column].to_numpy()
        if not xs[0] <= value <= xs[-1] * (1 + 1e-9):
            raise ValueError(f"{column}={value} lies outside this run ({xs[0]:.4g} to {xs[-1]:.4g})")
        return float(np.interp(value, xs, self.curve["train_loss"].to_numpy()))

    def mean_loss_between(self, column: str, low: float, high: float, points: int = 64) -> float:
        """The full training loss averaged over ``[low, high]`` of ``column`` (smooths a noisy curve)."""
        return float(np.mean([self.loss_at(column, value) for value in np.linspace(low, high, points)]))


def evaluation_points(n_train: int, batch_size: int, epochs: int, per_epoch: int = 16) -> list[int]:
    """Update counts at which to measure the full training loss.

    Every epoch end, ``per_epoch`` evenly spaced points inside each epoch, and powers of
    two in the first epoch, so that a log-scaled axis of updates has points from 1 on.
    """
    check_int("n_train", n_train, 1)
    check_int("batch_size", batch_size, 1, n_train, "the number of training samples")
    check_int("epochs", epochs, 1)
    check_int("per_epoch", per_epoch, 1)
    steps_per_epoch = math.ceil(n_train / batch_size)
    points = {steps_per_epoch * epoch for epoch in range(1, epochs + 1)}
    for epoch in range(epochs):
        points |= {epoch * steps_per_epoch + round(k * steps_per_epoch / per_epoch) for k in range(1, per_epoch)}
    points |= {2 ** k for k in range(int(math.log2(steps_per_epoch)) + 1)}
    return sorted(p for p in points if 0 < p <= epochs * steps_per_epoch)


def train_variant(
    model: nn.Module,
    train: Split,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    seed: int = 0,
    name: str = "",
    per_epoch: int = 16,
    extra_points: Sequence[int] = (),
) -> VariantRun:
    """Plain SGD with ``batch_size`` for ``epochs`` epochs, measuring the full training loss.

    One call of `fit`: each epoch shuffles the training set once and walks through it in
    batches; ``eval_every`` asks `fit` to measure the loss on the *whole* training set
    (``train_eval_size=None``) after each update count of `evaluation_points` (plus
    ``extra_points``), inside epochs too. The seconds are `fit`'s measured training time,
    evaluations excluded; a run that diverges (`fit`'s rule, ``DIVERGENCE_FACTOR``) ends
    there, its curve at the last evaluation before it.
    """
    check_int("batch_size", batch_size, 1, len(train), "the number of training samples")
    check_positive("lr", lr)
    check_int("epochs", epochs, 1)
    n_train = len(train)
    total = epochs * math.ceil(n_train / batch_size)
    points = sorted(set(evaluation_points(n_train, batch_size, epochs, per_epoch))
                    | {int(p) for p in extra_points if 0 < p <= total})
    history = fit(model, train, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, eval_every=points,
                  train_eval_size=None, divergence_factor=DIVERGENCE_FACTOR, progress=False, verbose=False)
    table = history.epochs
    curve = pd.DataFrame({"updates": table["step"].astype(int), "epoch": table["epoch"].astype(float),
                          "seconds": table["seconds"].astype(float), "train_loss": table["train_loss"]})
    message = history.message and f"{name or 'run'} (batch size {batch_size}, lr {lr:g}): {history.message}"
    history = History(history.steps, history.epochs.assign(updates=curve["updates"]), diverged=history.diverged,
                      interrupted=history.interrupted, message=message)
    return VariantRun(name=name, batch_size=batch_size, lr=lr, n_train=n_train, curve=curve, history=history,
                      model=model)


def scaled_lr(base_lr: float, batch_size: int, base_batch: int, rule: str = "linear") -> float:
    """The learning rate for ``batch_size`` when ``base_lr`` suits ``base_batch``.

    ``rule="linear"`` (Goyal et al. 2017): multiply by ``batch_size / base_batch``;
    ``"sqrt"`` (Hoffer et al. 2017): by its square root; ``"none"``: keep ``base_lr``.
    """
    check_positive("base_lr", base_lr)
    check_int("batch_size", batch_size, 1)
    check_int("base_batch", base_batch, 1)
    rule = check_choice("rule", rule, ("linear", "sqrt", "none"))
    ratio = batch_size / base_batch
    return base_lr * {"linear": ratio, "sqrt": math.sqrt(ratio), "none": 1.0}[rule]
