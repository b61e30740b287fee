"""Lesson 06 on Fashion-MNIST: the range test on the course's MLP, and training at what it suggests.

Each function builds fresh copies of the lesson's MLP (`models.new_model`) and runs the range test
(`course_utils.lr_finder.lr_range_test`) or trains with `fit`:

- `run_range_test`: one range test with plain SGD; the model is an argument (``make_model``);
- `compare_rates`: the suggested rate against 10x smaller and larger, same budget;
- `one_cycle_vs_constant`: one-cycle up to the suggested rate against a constant rate;
- `suggestion_spread` and `spread_ratio`: one range test per seed, and how far the
  suggestions move.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pandas as pd
from torch import nn

from .. import schedules
from ..data import Data
from ..lr_finder import RangeTestResult, lr_range_test
from ..models import new_model
from ..training import History, fit
from ..validation import check_positive

ModelFactory = Callable[[int], nn.Module]  # seed -> a fresh, initialised model


def run_range_test(data: Data, *, width: int = 256, seed: int = 0, make_model: ModelFactory | None = None,
                   **test_options) -> RangeTestResult:
    """A range test with plain SGD on a fresh model (``test_options`` go to `lr_range_test`).

    The model is ``make_model(seed)``; by default the lesson's MLP, ``new_model(width, seed=seed)``.
    """
    model = new_model(width, seed=seed) if make_model is None else make_model(seed)
    return lr_range_test(model, data, seed=seed, **test_options)


def train_at(data: Data, lr: float, *, epochs: int, width: int = 256, batch_size: int = 128,
             seed: int = 0, scheduler: Callable | None = None) -> History:
    """Train a fresh lesson MLP with plain SGD at ``lr`` (or a scheduler built on it)."""
    return fit(new_model(width, seed=seed), data, epochs=epochs, lr=lr, batch_size=batch_size,
               scheduler=scheduler, seed=seed, progress=False, verbose=False)


def compare_rates(data: Data, lr: float, *, epochs: int, factors: Sequence[float] = (0.1, 1.0, 10.0),
                  width: int = 256, batch_size: int = 128, seed: int = 0) -> tuple[pd.DataFrame, dict[str, History]]:
    """Train at ``lr`` times each factor for the same budget; final validation numbers per rate.

    A run that diverges (`fit` stops it) keeps the validation loss and accuracy of its
    last finished epoch and is flagged ``diverged``.
    """
    check_positive("lr", lr)
    histories, rows = {}, []
    for factor in factors:
        label = f"{factor:g} x suggestion"
        history = train_at(data, lr * factor, epochs=epochs, width=width, batch_size=batch_size, seed=seed)
        histories[label] = history
        rows.append({"rate": label, "factor": factor, "lr": lr * factor,
                     "val_loss": history.final("val_loss"), "val_acc": history.final("val_acc"),
                     "train_loss": history.final("train_loss"), "diverged": history.diverged})
    return pd.DataFrame(rows), histories


def one_cycle_vs_constant(data: Data, max_lr: float, constant_lr: float, *, epochs: int, width: int = 256,
                          batch_size: int = 128, seed: int = 0) -> dict[str, History]:
    """One-cycle (`schedules.one_cycle`, up to ``max_lr``) against a constant rate, same epochs and seed.

    Momentum stays off (``cycle_momentum=False``) so that the schedule of the rate is the
    only difference between the two runs; lesson 08 adds cyclical momentum.
    """
    check_positive("max_lr", max_lr)
    check_positive("constant_lr", constant_lr)
    # The shared one-cycle schedule peaks at the rate the run is given, here max_lr.
    one_cycle = schedules.one_cycle(total_steps=epochs * math.ceil(len(data.train) / batch_size))

    return {
        f"constant {constant_lr:.2g}": train_at(data, constant_lr, epochs=epochs, width=width,
                                                 batch_size=batch_size, seed=seed),
        f"one-cycle, max {max_lr:.2g}": train_at(data, max_lr, epochs=epochs, width=width, batch_size=batch_size,
                                                  seed=seed, scheduler=one_cycle),
    }


def suggestion_spread(data: Data, seeds: Sequence[int], *, width: int = 256, **test_options) -> pd.DataFrame:
    """One range test per seed (model initialisation and batch order change); a row each."""
    rows = []
    for seed in seeds:
        result = run_range_test(data, width=width, seed=seed, **test_options)
        rows.append({"seed": seed, **result.suggestions, "min_loss_lr": result.min_loss_lr,
                     "stop_lr": result.stop_lr, "stop_reason": result.stop_reason})
    return pd.DataFrame(rows)


def spread_ratio(table: pd.DataFrame, columns: Sequence[str] = ("steepest", "valley", "min/10")) -> pd.Series:
    """Largest over smallest value of each suggestion across seeds (1 = perfectly stable)."""
    return pd.Series({column: table[column].max() / table[column].min() for column in columns})


def compare_rates_over_seeds(data: Data, lr: float, *, epochs: int, seeds: Sequence[int] = (0, 1, 2),
                             known: dict[int, pd.DataFrame] | None = None, **options) -> pd.DataFrame:
    """`compare_rates` for each model seed (initial weights and batch order); one row per seed and rate.

    ``known`` maps seeds to tables already computed with the same ``lr`` and ``epochs`` (the
    notebook's first run), which are reused instead of trained again. ``options`` go to `compare_rates`.
    """
    tables = []
    for seed in seeds:
        table = (known or {}).get(seed)
        if table is None:
            table, _ = compare_rates(data, lr, epochs=epochs, seed=seed, **options)
        tables.append(table.assign(seed=seed))
    return pd.concat(tables, ignore_index=True)


def mean_over_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """Mean validation loss and accuracy per rate over the seeds of `compare_rates_over_seeds`."""
    means = table.groupby(["factor", "rate"], sort=True)[["val_loss", "val_acc"]].mean().reset_index("rate")
    means["seeds"] = table.groupby("factor")["seed"].nunique()
    means["diverged"] = table.groupby("factor")["diverged"].sum()
    return means
