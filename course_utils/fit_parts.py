"""The bookkeeping inside `training.fit`: what it records, and when it calls a run diverged.

- `Recorder`: the columns of the two tables of a `History` (one row per update, one per
  evaluation), filled as the run goes.
- `DivergenceWatch`: the divergence rule. Step losses stay on the device and are read in
  groups (one sync each); a non-finite loss, or a mean over the last ``DIVERGENCE_WINDOW``
  steps above a multiple of the untrained model's loss, ends the run.
- `evaluation_steps`, `evaluation_subset`: when `fit` evaluates inside epochs, and the fixed
  subset of training samples it scores.
- `Clock`: seconds of training, evaluations left out (waits for a GPU before reading).

Nothing here trains; `fit` (in `course_utils.training`) is the loop that uses them.
"""
from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import torch

from .config import synchronize
from .data import Split
from .validation import check_int

DIVERGENCE_WINDOW = 32  # steps averaged before comparing with the starting loss
CHECK_EVERY = 32  # step losses stay on the device and are read (one sync) in groups of this many
STEP_COLUMNS = ("step", "epoch", "lr", "loss", "seconds")
EVAL_COLUMNS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")


@dataclass
class Recorder:
    """Columns of the two tables, filled as the run goes (``with_step``: a ``step`` column in
    ``epochs``; ``with_test``: ``test_loss`` and ``test_acc`` columns)."""

    with_step: bool = False
    with_test: bool = False
    steps: dict = field(default_factory=lambda: {key: [] for key in STEP_COLUMNS})
    epochs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        extra = (("step",) if self.with_step else ()) + (("test_loss", "test_acc") if self.with_test else ())
        self.epochs = {key: [] for key in EVAL_COLUMNS + extra}

    def add_step(self, **values) -> None:
        for key, value in values.items():
            self.steps[key].append(value)

    def add_evaluation(self, train: tuple[float, float], val: tuple[float, float], *, epoch, step: int,
                       seconds: float, test: tuple[float, float] = (math.nan, math.nan)) -> None:
        """Add a row to ``epochs``: ``train``, ``val`` and ``test`` are (loss, accuracy) pairs."""
        row = dict(zip(EVAL_COLUMNS, (epoch, *train, *val, seconds), strict=True), step=step,
                   test_loss=test[0], test_acc=test[1])
        for key, column in self.epochs.items():
            column.append(row[key])

    def drop_partial_rows(self, pending: list) -> None:
        """After an interrupt: keep the steps recorded in every column (``pending``: losses not
        yet in the ``loss`` column, trimmed in place) and the complete evaluation rows."""
        columns = [self.steps[key] for key in STEP_COLUMNS if key != "loss"]
        complete = min(len(self.steps["loss"]) + len(pending), *map(len, columns))
        del pending[complete - len(self.steps["loss"]):]
        for column in columns:
            del column[complete:]
        evaluated = min(map(len, self.epochs.values()))
        for column in self.epochs.values():
            del column[evaluated:]

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The steps and epochs tables so far (what a `History` holds)."""
        return pd.DataFrame(self.steps), pd.DataFrame(self.epochs)


class DivergenceWatch:
    """The divergence rule: a non-finite step loss, or the mean of the last ``DIVERGENCE_WINDOW``
    step losses above ``factor`` x the untrained model's loss (one hard example is not a blow-up).

    Step losses wait on the device in ``pending`` and are read in groups (one sync each), then
    moved to the record's ``loss`` column; on divergence the step tables end at that step.
    """

    def __init__(self, record: Recorder, factor: float) -> None:
        self.record, self.factor = record, factor
        self.pending: list[torch.Tensor] = []
        self.recent: collections.deque = collections.deque(maxlen=DIVERGENCE_WINDOW)
        self.start_loss = self.threshold = math.nan
        self.diverged, self.message = False, ""

    def start(self, start_loss: float) -> None:
        self.start_loss = start_loss
        self.threshold = self.factor * (start_loss if math.isfinite(start_loss) and start_loss > 0 else 1.0)

    def add(self, loss: torch.Tensor) -> bool:
        """Queue one step's loss; True when a check (every ``CHECK_EVERY`` steps) finds divergence."""
        self.pending.append(loss)
        return len(self.pending) >= CHECK_EVERY and self.check()

    def check(self) -> bool:
        """Read the pending losses into the record; True once the run has diverged."""
        if not self.pending:
            return self.diverged
        steps = self.record.steps
        values = torch.stack(self.pending).float().cpu().tolist()
        first = len(steps["loss"])
        steps["loss"].extend(values)
        self.pending.clear()
        for offset, value in enumerate(values):
            self.recent.append(value)
            if not math.isfinite(value) or sum(self.recent) / len(self.recent) > self.threshold:
                index = first + offset
                for column in steps.values():
                    del column[index + 1:]
                self.diverged = True
                self.message = (
                    f"Training diverged at step {index + 1} (epoch {steps['epoch'][index]}) "
                    f"with learning rate {steps['lr'][index]:.3g}: the loss reached {value:.3g} "
                    f"(it started at {self.start_loss:.3g}). Try a smaller learning rate."
                )
                break
        return self.diverged


def evaluation_steps(eval_every: int | Sequence[int] | None) -> Callable[[int], bool]:
    """``eval_every`` as a test ``step -> evaluate after it?`` (every k updates, or a list of update counts)."""
    if eval_every is None:
        return lambda step: False
    if isinstance(eval_every, int):
        check_int("eval_every", eval_every, 1)
        return lambda step: step % eval_every == 0
    steps = set()
    for step in eval_every:
        check_int("eval_every (each update count)", int(step), 1)
        steps.add(int(step))
    return steps.__contains__


def evaluation_subset(train: Split, size: int | None, seed: int) -> Split:
    """A fixed random subset of ``size`` training samples (all of them when ``size`` is None or
    not smaller), drawn with its own generator so that the mini-batch order stays the same."""
    if size is None or size >= len(train):
        return train
    index = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed + 7919))[:size]
    index = index.to(train.y.device)
    return Split(train.x[index], train.y[index])


class Clock:
    """Seconds of training, evaluations left out. CUDA and MPS queue work and return at
    once, so on those devices it waits for the work before reading the clock."""

    def __init__(self, device: torch.device) -> None:
        self.device = device if device.type != "cpu" else None
        self.elapsed, self.since = 0.0, 0.0

    def start(self) -> None:
        self.since = time.perf_counter()

    def read(self) -> float:
        if self.device is not None:
            synchronize(self.device)
        return self.elapsed + time.perf_counter() - self.since

    def stop(self) -> float:
        self.elapsed = self.read()
        return self.elapsed
