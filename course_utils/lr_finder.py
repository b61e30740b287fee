"""The learning-rate range test, in one readable module.

The test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks"; popularised
by fastai's ``lr_find`` and the ``torch-lr-finder`` package) trains for about a hundred
mini-batches while the learning rate grows from tiny to huge, records the loss at every
step, and reads a good learning rate off the curve. Five pieces:

1. **Ramp** (`lr_ramp`): ``steps`` rates from ``start_lr`` to ``end_lr``, equally spaced on
   a log scale (exponential ramp, the default) or on a linear scale.
2. **Smoothing** (`smooth_losses`): an exponential moving average of the mini-batch losses
   with bias correction, so the first values are not pulled towards zero.
3. **Stopping rule**: the test stops as soon as the smoothed loss exceeds
   ``divergence_factor`` times the best smoothed loss so far, or stops being finite.
4. **Restore**: the model's parameters and buffers, its train/eval mode and the
   optimizer's state are put back afterwards, bit for bit; always, also when the test
   stops early, fails, or is interrupted.
5. **Suggestions** (`suggest_learning_rates`): the steepest descent of the smoothed loss
   against log(lr), fastai's "valley", and a tenth of the rate at the minimum.

`lr_range_test` runs it on any model, optimizer and loss with the course's in-memory data
(`Data`, `Split` or an ``(x, y)`` pair; mini-batches are slices, as in `fit`) and returns a
`RangeTestResult`: the curve as a pandas table, the suggestions, and ``plot()``.

``mode="val"`` (the source article's variant) stops and suggests on the loss of a fixed
validation subset after every step. Figures: `lr_finder_plots`; lesson 06: `lesson06`.
"""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn
from tqdm.auto import tqdm

from . import lr_finder_plots
from .data import Data, Split
from .lr_finder_plots import SUGGESTION_COLOURS, SUGGESTION_LABELS  # noqa: F401 (importable from here too)
from .optimizers import build_optimizer
from .progress import finish_bar, show_progress_default
from .training import as_split, default_loss, evaluate, train_step
from .validation import check_choice, check_fraction, check_int, check_positive

RAMPS = ("exponential", "linear")
MODES = ("train", "val")


# --------------------------------------------------------------------------------------
# The ramp, the smoothing and the suggestions: plain functions on arrays
# --------------------------------------------------------------------------------------

def lr_ramp(start_lr: float = 1e-7, end_lr: float = 10.0, steps: int = 100, ramp: str = "exponential") -> np.ndarray:
    """The ``steps`` learning rates of a range test, from ``start_lr`` to ``end_lr`` inclusive.

    ``"exponential"``: each rate is the previous one times ``(end_lr / start_lr) ** (1 / (steps - 1))``,
    so every decade gets the same number of steps. ``"linear"``: equal increments, so
    almost all steps land in the last decade.
    """
    start_lr, end_lr, steps, ramp = _check_ramp(start_lr, end_lr, steps, ramp)
    if ramp == "exponential":
        return np.geomspace(start_lr, end_lr, steps)
    return np.linspace(start_lr, end_lr, steps)


class MovingAverage:
    """Exponential moving average, one value at a time, optionally with bias correction.

    ``average_t = beta * average_{t-1} + (1 - beta) * loss_t`` starting from 0, and the
    bias-corrected value is ``average_t / (1 - beta ** t)`` (t = 1, 2, ...): the starting
    zero would otherwise drag the first values down (Adam uses the same correction).
    """

    def __init__(self, beta: float = 0.98, *, bias_correction: bool = True) -> None:
        self.beta = check_fraction("beta", beta, include_one=False)
        self.bias_correction = bias_correction
        self.average, self.t = 0.0, 0

    def update(self, loss: float) -> float:
        """Add ``loss`` (step t) and return the smoothed value at step t."""
        self.t += 1
        self.average = self.beta * self.average + (1 - self.beta) * float(loss)
        return self.average / (1 - self.beta ** self.t) if self.bias_correction else self.average


def smooth_losses(losses: Sequence[float], beta: float = 0.98, *, bias_correction: bool = True) -> np.ndarray:
    """`MovingAverage` of ``losses`` (the range test's smoothing, applied to a whole curve).

    ``beta = 0`` returns the losses unchanged.
    """
    average = MovingAverage(beta, bias_correction=bias_correction)
    return np.array([average.update(loss) for loss in losses], dtype=float)


def _trimmed(lrs, losses, skip_start: int, skip_end: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The part of the curve the suggestions look at: without the first ``skip_start``
    (noisy) and last ``skip_end`` (exploding) points, and without non-finite losses."""
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    end = len(losses) - skip_end
    lrs, losses = lrs[skip_start:end], losses[skip_start:end]
    finite = np.isfinite(losses)
    if not finite.all():  # keep the prefix before the first non-finite loss
        stop = int(np.argmin(finite))
        lrs, losses = lrs[:stop], losses[:stop]
    return lrs, losses, skip_start


def steepest_descent(lrs, losses, skip_start: int = 0, skip_end: int = 0) -> float:
    """The rate where the loss falls fastest per unit of log(lr).

    The slope is ``np.gradient(losses, log(lrs))`` (central differences, correct for any
    spacing, so it works for linear ramps too); the most negative slope wins.
    """
    lrs, losses, _ = _trimmed(lrs, losses, skip_start, skip_end)
    if len(losses) < 3:
        return math.nan
    slope = np.gradient(losses, np.log(lrs))
    return float(lrs[int(np.argmin(slope))])


def valley(lrs, losses, skip_start: int = 0, skip_end: int = 0) -> float:
    """fastai's "valley": about halfway along the longest descending stretch of the curve.

    The stretch is the longest decreasing subsequence of the losses (it may skip over
    small bumps); fastai picks the point ``1/3 + 1/6`` of the way from its start to its
    end, which reads as "in the middle of the valley, before the bottom".
    """
    lrs, losses, _ = _trimmed(lrs, losses, skip_start, skip_end)
    n = len(losses)
    if n < 3:
        return math.nan
    # longest[i]: length of the longest strictly decreasing subsequence that ends at i.
    longest = np.ones(n, dtype=int)
    for i in range(1, n):
        higher_before = losses[:i] > losses[i]
        if higher_before.any():
            longest[i] = longest[:i][higher_before].max() + 1
    end = int(np.argmax(longest))  # the first index where the longest stretch ends
    start = max(end - longest[end] + 1, 0)
    sections = (end - start) / 3
    return float(lrs[start + int(sections) + int(sections / 2)])


def minimum_over_ten(lrs, losses, skip_start: int = 0, skip_end: int = 0) -> float:
    """A tenth of the rate at which the loss is lowest (fastai's ``minimum``)."""
    lrs, losses, _ = _trimmed(lrs, losses, skip_start, skip_end)
    if len(losses) < 1:
        return math.nan
    return float(lrs[int(np.argmin(losses))] / 10)


def suggest_learning_rates(lrs, losses, skip_start: int = 10, skip_end: int = 5) -> dict[str, float]:
    """All three suggestions for one (smoothed) curve; NaN where the curve is too short."""
    skip_start = check_int("skip_start", skip_start, 0)
    skip_end = check_int("skip_end", skip_end, 0)
    return {
        "steepest": steepest_descent(lrs, losses, skip_start, skip_end),
        "valley": valley(lrs, losses, skip_start, skip_end),
        "min/10": minimum_over_ten(lrs, losses, skip_start, skip_end),
    }


# --------------------------------------------------------------------------------------
# The result of a test
# --------------------------------------------------------------------------------------

@dataclass
class RangeTestResult:
    """What one range test measured.

    ``curve``: one row per step with ``step``, ``lr`` (the rate of that update), ``loss``
    (the mini-batch loss, computed just before the update) and ``smoothed_loss``; in
    ``mode="val"`` also ``val_loss``, ``val_acc`` (after the update, on the fixed validation
    subset) and ``smoothed_val_loss``. ``monitor`` names the column the stopping rule and
    the suggestions used. ``stop_reason`` is ``"completed"``, ``"diverged"`` (smoothed
    loss above ``divergence_factor`` x best), ``"non-finite"`` or ``"interrupted"``.
    """

    curve: pd.DataFrame
    suggestions: dict[str, float]
    monitor: str
    stop_reason: str
    best_loss: float
    seconds: float
    settings: dict = field(default_factory=dict)

    @property
    def suggestion(self) -> float:
        """The steepest-descent rate: for plain SGD in lesson 06 it trained better than the
        other two rules and moved least from seed to seed (fastai defaults to the valley).
        Compare the three on your own set-up."""
        return self.suggestions["steepest"]

    @property
    def stopped_early(self) -> bool:
        return self.stop_reason != "completed"

    @property
    def stop_lr(self) -> float:
        """The rate of the last step taken (where the stopping rule fired, if it did)."""
        return float(self.curve["lr"].iloc[-1]) if len(self.curve) else math.nan

    @property
    def min_loss_lr(self) -> float:
        """The rate at which the monitored smoothed loss was lowest."""
        column = self.curve[self.monitor]
        return float(self.curve["lr"].loc[column.idxmin()]) if column.notna().any() else math.nan

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value:.3g}" for name, value in self.suggestions.items())
        return (f"RangeTestResult({self.stop_reason} after {len(self.curve)} steps at lr={self.stop_lr:.3g}, "
                f"suggestions: {shown})")

    def plot(self, *, title: str = "") -> Figure:
        """Loss against learning rate with the suggestions marked (see `lr_finder_plots.plot_range_test`)."""
        return lr_finder_plots.plot_range_test(self, title=title)

    def draw_losses(self, ax) -> None:
        """The loss curves, the suggestions and the stop, on the matplotlib axes ``ax``."""
        lr_finder_plots.draw_losses(ax, self)

    def draw_val_accuracy(self, ax) -> None:
        """Validation accuracy against the learning rate (``mode="val"`` only)."""
        lr_finder_plots.draw_val_accuracy(ax, self)


# --------------------------------------------------------------------------------------
# The range test itself: ramp, record, smooth, stop, restore
# --------------------------------------------------------------------------------------

def lr_range_test(
    model: nn.Module,
    data: Data | Split | tuple,
    *,
    optimizer: str | torch.optim.Optimizer | Callable = "sgd",
    momentum: float = 0.0,
    weight_decay: float | None = None,
    loss_fn: Callable | None = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    steps: int = 100,
    ramp: str = "exponential",
    batch_size: int = 128,
    smoothing: float = 0.98,
    divergence_factor: float = 4.0,
    mode: str = "train",
    val: Split | None = None,
    val_size: int = 1000,
    skip_start: int | None = None,
    skip_end: int = 5,
    seed: int = 0,
    progress: bool | None = None,
) -> RangeTestResult:
    """Run a learning-rate range test and put the model and optimizer back as they were.

    Parameters
    ----------
    model: any ``nn.Module``; it is moved to the data's device, like `fit` does.
    data: a `Data` (its ``train`` split is used, its ``val`` split in ``mode="val"``), a
        `Split` or an ``(x, y)`` pair of tensors. Mini-batches of ``batch_size`` are slices
        of a random order (seeded by ``seed``); a new order starts when one runs out, and a
        last, smaller batch is skipped so that every step sees ``batch_size`` examples.
    optimizer, momentum, weight_decay: as in `fit` (see `optimizers.build_optimizer`): a name
        from ``OPTIMIZERS`` built with ``momentum`` and ``weight_decay`` (``None``: torch's
        default), a ready ``torch.optim.Optimizer`` on the model's parameters (its state is
        restored afterwards), or a callable ``params -> Optimizer``. Only its learning rate is
        changed, the same in every parameter group.
    loss_fn: defaults to cross-entropy for integer targets, mean squared error otherwise.
    start_lr, end_lr, steps, ramp: the ramp, see `lr_ramp` (fastai's defaults: 1e-7 to 10
        in 100 exponential steps).
    smoothing: beta of the bias-corrected moving average (0 = no smoothing).
    divergence_factor: stop when the smoothed loss exceeds this multiple of the best one.
    mode: ``"train"`` watches the training loss; ``"val"`` evaluates the model on a fixed
        subset of ``val_size`` validation examples after every step and watches that loss.
    skip_start, skip_end: points left out at each end when suggesting (default
        ``steps // 10`` and 5, as fastai does): the start is noisy, the end explodes.
    progress: a tqdm progress bar (default: `progress.show_progress_default`); it ends full when
        the test stops by design (divergence is how a range test ends), red only when interrupted.

    The model and the optimizer are restored in a ``finally`` block, so also when the test
    stops early or raises. A ``KeyboardInterrupt`` (the notebook's stop button) is *not*
    re-raised: the test restores, then returns the steps done so far with
    ``stop_reason="interrupted"`` (as `fit` does).
    """
    start_lr, end_lr, steps, ramp = _check_ramp(start_lr, end_lr, steps, ramp)
    smoothing = check_fraction("smoothing", smoothing, include_one=False)
    divergence_factor = check_positive("divergence_factor", divergence_factor)
    if divergence_factor <= 1:
        raise ValueError(f"divergence_factor must be a number > 1 (got {divergence_factor!r}): "
                         "the test stops when the smoothed loss exceeds divergence_factor x the best loss")
    mode = check_choice("mode", mode, MODES)
    train = data.train if isinstance(data, Data) else as_split(data)
    check_int("batch_size", batch_size, 1, len(train), "the number of training samples")
    skip_start = steps // 10 if skip_start is None else check_int("skip_start", skip_start, 0)
    skip_end = check_int("skip_end", skip_end, 0)
    val_subset = _validation_subset(data, val, val_size, seed) if mode == "val" else None
    model.to(train.x.device)  # as fit does: the model follows the data (CUDA, MPS or CPU)
    loss_fn = loss_fn or default_loss(train)
    if progress is None:
        progress = show_progress_default()

    # A named optimizer starts at start_lr; every step sets the rate of every group anyway.
    opt = build_optimizer(model, optimizer, lr=start_lr if isinstance(optimizer, str) else None,
                          momentum=momentum, weight_decay=weight_decay)
    saved_model = {name: value.detach().clone() for name, value in model.state_dict().items()}
    saved_optimizer = copy.deepcopy(opt.state_dict())
    was_training = model.training

    lrs = lr_ramp(start_lr, end_lr, steps, ramp)
    rows: dict[str, list[float]] = {"step": [], "lr": [], "loss": [], "smoothed_loss": []}
    if val_subset is not None:
        rows.update(val_loss=[], val_acc=[], smoothed_val_loss=[])
    monitor = "smoothed_val_loss" if val_subset is not None else "smoothed_loss"
    watched_names = ("loss", "val_loss") if val_subset is not None else ("loss",)
    averages = {name: MovingAverage(smoothing) for name in watched_names}  # bias-corrected, as smooth_losses
    best, stop_reason = math.inf, "completed"
    generator = torch.Generator().manual_seed(seed)
    batches = _batches(train, batch_size, generator)
    began = time.perf_counter()
    bar = tqdm(total=steps, disable=not progress, desc="range test", unit="step", leave=False)
    try:
        model.train()
        for step, lr in enumerate(lrs, start=1):
            index = next(batches)
            for group in opt.param_groups:
                group["lr"] = float(lr)
            loss, _ = train_step(model, opt, loss_fn, train.x[index], train.y[index])
            values = {"step": step, "lr": float(lr), "loss": loss.item()}
            if val_subset is not None:
                values["val_loss"], values["val_acc"] = evaluate(model, val_subset, loss_fn)
            for name in watched_names:
                values[f"smoothed_{name}"] = averages[name].update(values[name])
            for name, value in values.items():
                rows[name].append(value)
            bar.update(1)
            watched = values[monitor]
            if not math.isfinite(watched):
                stop_reason = "non-finite"
                break
            best = min(best, watched)
            if watched > divergence_factor * best:
                stop_reason = "diverged"
                break
    except KeyboardInterrupt:
        stop_reason = "interrupted"
        length = min(len(column) for column in rows.values())
        for column in rows.values():  # drop a half-recorded last step
            del column[length:]
    finally:
        # Stopping when the loss diverges is how a range test ends by design: only an interrupt is a failure.
        finish_bar(bar, len(rows["step"]), "interrupted" if stop_reason == "interrupted" else "")
        model.load_state_dict(saved_model)
        opt.load_state_dict(saved_optimizer)
        model.train(was_training)

    curve = pd.DataFrame(rows)
    suggestions = suggest_learning_rates(curve["lr"], curve[monitor], skip_start, skip_end)
    settings = {"start_lr": start_lr, "end_lr": end_lr, "steps": steps, "ramp": ramp, "batch_size": batch_size,
                "smoothing": smoothing, "divergence_factor": divergence_factor, "mode": mode,
                "skip_start": skip_start, "skip_end": skip_end, "seed": seed, "loss": _loss_name(loss_fn)}
    return RangeTestResult(curve=curve, suggestions=suggestions, monitor=monitor, stop_reason=stop_reason,
                           best_loss=best, seconds=time.perf_counter() - began, settings=settings)


def _check_ramp(start_lr, end_lr, steps, ramp) -> tuple[float, float, int, str]:
    start_lr = check_positive("start_lr", start_lr)
    end_lr = check_positive("end_lr", end_lr)
    if start_lr >= end_lr:
        raise ValueError(f"end_lr must be greater than start_lr (got start_lr={start_lr!r}, end_lr={end_lr!r})")
    steps = check_int("steps", steps, 2, why="a ramp needs a start and an end")
    ramp = check_choice("ramp", ramp, RAMPS)
    return start_lr, end_lr, steps, ramp


def _validation_subset(data, val: Split | None, val_size: int, seed: int) -> Split:
    val = val if val is not None else (data.val if isinstance(data, Data) else None)
    if val is None:
        raise ValueError("mode='val' needs a validation split: pass a Data with a val split, or val=Split(...)")
    val = as_split(val)
    check_int("val_size", val_size, 1)
    return val.subset(min(val_size, len(val)), seed=seed) if val_size < len(val) else val


def _loss_name(loss_fn) -> str:
    names = {nn.CrossEntropyLoss: "cross-entropy", nn.MSELoss: "mean squared error"}
    return names.get(type(loss_fn), getattr(loss_fn, "__name__", type(loss_fn).__name__))


def _batches(train: Split, batch_size: int, generator: torch.Generator):
    """Endless mini-batch indices: slices of a random order, a new order per pass (a
    smaller remainder is skipped: its noisier loss would show up as a spike in the curve)."""
    while True:
        order = torch.randperm(len(train), generator=generator).to(train.y.device)
        for begin in range(0, len(train) - batch_size + 1, batch_size):
            yield order[begin:begin + batch_size]
