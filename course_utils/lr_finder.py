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
   ``diverge_factor`` times the best smoothed loss so far, or stops being finite.
4. **Restore**: the model's parameters and buffers, its train/eval mode and the
   optimizer's state are put back afterwards, bit for bit; always, also when the test
   stops early, fails, or is interrupted.
5. **Suggestions** (`suggest_learning_rates`): the steepest descent of the smoothed loss
   against log(lr), fastai's "valley", and a tenth of the rate at the minimum.

`lr_range_test` runs it on any model, optimizer and loss with the course's in-memory data
(`Data`, `Split` or an ``(x, y)`` pair; mini-batches are slices, as in `fit`) and returns a
`RangeTestResult`: the curve as a pandas table, the suggestions, and ``plot()``.

``mode="val"`` is the variant the source article describes: after every step the model
is evaluated on a fixed validation subset, and the stopping rule and the suggestions use
the validation loss instead of the training loss.

Lesson 06's experiments, plots, slider and exercises are in `course_utils.lr_finder_lesson`.
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

from .data import Data, Split
from .plots import new_figure
from .training import _as_split, _default_loss, evaluate, finish_bar, make_optimizer, show_progress_default
from .validation import check_choice, check_fraction, check_int, check_positive

RAMPS = ("exponential", "linear")
MODES = ("train", "val")
SUGGESTION_LABELS = {
    "steepest": "steepest descent",
    "valley": "valley",
    "min/10": "minimum / 10",
}
# One colour per suggestion, in every figure of the lesson: no other curve uses these three.
SUGGESTION_COLOURS = {"steepest": "C2", "valley": "C3", "min/10": "C4"}


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


def smooth_losses(losses: Sequence[float], beta: float = 0.98, *, bias_correction: bool = True) -> np.ndarray:
    """Exponential moving average of ``losses``, optionally with bias correction.

    ``average_t = beta * average_{t-1} + (1 - beta) * loss_t`` starting from 0, and the
    bias-corrected value is ``average_t / (1 - beta ** t)`` (t = 1, 2, ...): the starting
    zero would otherwise drag the first values down (Adam uses the same correction).
    ``beta = 0`` returns the losses unchanged.
    """
    beta = check_fraction("beta", beta, include_one=False)
    smoothed = np.empty(len(losses))
    average = 0.0
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * float(loss)
        smoothed[t - 1] = average / (1 - beta ** t) if bias_correction else average
    return smoothed


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
    loss above ``diverge_factor`` x best), ``"non-finite"`` or ``"interrupted"``.
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
        """Loss against learning rate (log scale) with the suggestions marked.

        Training mode: raw mini-batch loss (faint) and smoothed loss. Validation mode: a
        second panel shows the validation accuracy, as the article describes.
        """
        val_mode = self.monitor == "smoothed_val_loss"
        fig, axes = new_figure(ncols=2 if val_mode else 1, width=6.0 if val_mode else 7.0, height=4.0)
        self.draw_losses(axes[0] if val_mode else axes)
        if val_mode:
            self.draw_val_accuracy(axes[1])
        if title:
            fig.suptitle(title)
        return fig

    def draw_losses(self, ax) -> None:
        """The loss curves, the suggestions and the stop, on the matplotlib axes ``ax``."""
        curve, val_mode = self.curve, self.monitor == "smoothed_val_loss"
        if val_mode:  # the watched curve in full, the training loss only as a faint reference
            ax.plot(curve["lr"], curve["smoothed_loss"], color="C0", alpha=0.5, linestyle="--",
                    label="training loss (smoothed)")
            ax.plot(curve["lr"], curve["val_loss"], color="C1", alpha=0.35, linewidth=0.8, label="validation loss")
            ax.plot(curve["lr"], curve["smoothed_val_loss"], color="C1", label="validation loss (smoothed)")
        else:
            ax.plot(curve["lr"], curve["loss"], color="C0", alpha=0.3, linewidth=0.8,
                    label="training loss (mini-batch)")
            ax.plot(curve["lr"], curve["smoothed_loss"], color="C0", label="training loss (smoothed)")
        markers = {name: (shape, SUGGESTION_COLOURS[name]) for name, shape in
                   (("steepest", "v"), ("valley", "o"), ("min/10", "s"))}
        for name, lr in self.suggestions.items():
            if math.isfinite(lr):
                marker, colour = markers[name]
                ax.axvline(lr, color=colour, linestyle="--", linewidth=1)
                ax.plot([lr], [np.interp(np.log(lr), np.log(curve["lr"]), curve[self.monitor])], marker,
                        color=colour, markersize=8, label=f"{SUGGESTION_LABELS[name]}: {lr:.2g}")
        if self.stop_reason in ("diverged", "non-finite"):
            ax.axvline(self.stop_lr, color="black", linestyle=":", linewidth=1.2,
                       label=f"stopped ({self.stop_reason}) at {self.stop_lr:.2g}")
        ax.set_xscale("log")
        ax.set_ylim(*self._loss_limits())
        monitored = "validation" if val_mode else "training"
        ax.set(xlabel="learning rate (log scale)", ylabel=f"loss ({self.settings.get('loss', 'as given')})",
               title=f"Range test on the {monitored} loss")
        ax.legend(fontsize="small", loc="upper left")

    def draw_val_accuracy(self, ax) -> None:
        """Validation accuracy against the learning rate (``mode="val"`` only)."""
        ax.plot(self.curve["lr"], 100 * self.curve["val_acc"], color="C1", label="validation accuracy")
        for name, lr in self.suggestions.items():
            if math.isfinite(lr):
                ax.axvline(lr, color=SUGGESTION_COLOURS[name], linestyle="--",
                           linewidth=1, label=SUGGESTION_LABELS[name])
        ax.set_xscale("log")
        ax.set(xlabel="learning rate (log scale)", ylabel="validation accuracy (%)",
               title="Validation accuracy during the test")
        ax.legend(fontsize="small", loc="upper left")

    def _loss_limits(self) -> tuple[float, float]:
        """Y limits that show the descent and the start of the blow-up, not its tail."""
        columns = ["smoothed_loss"] + (["smoothed_val_loss"] if "smoothed_val_loss" in self.curve else [])
        values = self.curve[columns].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if not len(values):
            return 0.0, 1.0
        raw = self.curve["loss"].to_numpy(dtype=float)
        low = min(values.min(), np.nanmin(np.where(np.isfinite(raw), raw, np.nan)))
        first = self.curve[columns].iloc[0].max()
        high = min(values.max(), max(first, low) * 1.6, self.settings.get("diverge_factor", 4) * self.best_loss * 1.05)
        high = max(high, low * 1.1 + 1e-12)
        return low - 0.08 * (high - low), high + 0.05 * (high - low)


# --------------------------------------------------------------------------------------
# The range test itself: ramp, record, smooth, stop, restore
# --------------------------------------------------------------------------------------

def lr_range_test(
    model: nn.Module,
    data: Data | Split | tuple,
    *,
    optimizer: str | torch.optim.Optimizer | Callable = "sgd",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    loss_fn: Callable | None = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    steps: int = 100,
    ramp: str = "exponential",
    batch_size: int = 128,
    smoothing: float = 0.98,
    diverge_factor: float = 4.0,
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
    optimizer: a name from ``OPTIMIZERS`` (built with ``momentum`` and ``weight_decay``),
        a ready ``torch.optim.Optimizer`` on the model's parameters (its state is restored
        afterwards), or a callable ``params -> Optimizer``. Only its learning rate is changed,
        the same in every parameter group.
    loss_fn: defaults to cross-entropy for integer targets, mean squared error otherwise.
    start_lr, end_lr, steps, ramp: the ramp, see `lr_ramp` (fastai's defaults: 1e-7 to 10
        in 100 exponential steps).
    smoothing: beta of the bias-corrected moving average (0 = no smoothing).
    diverge_factor: stop when the smoothed loss exceeds this multiple of the best one.
    mode: ``"train"`` watches the training loss; ``"val"`` evaluates the model on a fixed
        subset of ``val_size`` validation examples after every step and watches that loss.
    skip_start, skip_end: points left out at each end when suggesting (default
        ``steps // 10`` and 5, as fastai does): the start is noisy, the end explodes.
    progress: a tqdm progress bar (default: `training.show_progress_default`); it ends full when
        the test stops by design (divergence is how a range test ends), red only when interrupted.

    The model and the optimizer are restored in a ``finally`` block, so also when the test
    stops early or raises. A ``KeyboardInterrupt`` (the notebook's stop button) is *not*
    re-raised: the test restores, then returns the steps done so far with
    ``stop_reason="interrupted"`` (as `fit` does).
    """
    start_lr, end_lr, steps, ramp = _check_ramp(start_lr, end_lr, steps, ramp)
    smoothing = check_fraction("smoothing", smoothing, include_one=False)
    diverge_factor = check_positive("diverge_factor", diverge_factor)
    if diverge_factor <= 1:
        raise ValueError(f"diverge_factor must be a number > 1 (got {diverge_factor!r}): "
                         "the test stops when the smoothed loss exceeds diverge_factor x the best loss")
    mode = check_choice("mode", mode, MODES)
    train = data.train if isinstance(data, Data) else _as_split(data)
    check_int("batch_size", batch_size, 1, len(train), "the number of training samples")
    skip_start = steps // 10 if skip_start is None else check_int("skip_start", skip_start, 0)
    skip_end = check_int("skip_end", skip_end, 0)
    val_subset = _validation_subset(data, val, val_size, seed) if mode == "val" else None
    model.to(train.x.device)  # as fit does: the model follows the data (CUDA, MPS or CPU)
    loss_fn = loss_fn or _default_loss(train)
    if progress is None:
        progress = show_progress_default()

    opt = _build_optimizer(model, optimizer, start_lr, momentum, weight_decay)
    saved_model = {name: value.detach().clone() for name, value in model.state_dict().items()}
    saved_optimizer = copy.deepcopy(opt.state_dict())
    was_training = model.training

    lrs = lr_ramp(start_lr, end_lr, steps, ramp)
    rows: dict[str, list[float]] = {"step": [], "lr": [], "loss": [], "smoothed_loss": []}
    if val_subset is not None:
        rows.update(val_loss=[], val_acc=[], smoothed_val_loss=[])
    monitor = "smoothed_val_loss" if val_subset is not None else "smoothed_loss"
    averages = {"loss": 0.0, "val_loss": 0.0}
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
            loss = loss_fn(model(train.x[index]), train.y[index])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            values = {"step": step, "lr": float(lr), "loss": loss.item()}
            if val_subset is not None:
                values["val_loss"], values["val_acc"] = evaluate(model, val_subset, loss_fn)
            # Bias-corrected moving averages (see smooth_losses), updated one step at a time.
            for name in ("loss", "val_loss") if val_subset is not None else ("loss",):
                averages[name] = smoothing * averages[name] + (1 - smoothing) * values[name]
                values[f"smoothed_{name}"] = averages[name] / (1 - smoothing ** step)
            for name, value in values.items():
                rows[name].append(value)
            bar.update(1)
            watched = values[monitor]
            if not math.isfinite(watched):
                stop_reason = "non-finite"
                break
            best = min(best, watched)
            if watched > diverge_factor * best:
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
    settings = dict(start_lr=start_lr, end_lr=end_lr, steps=steps, ramp=ramp, batch_size=batch_size,
                    smoothing=smoothing, diverge_factor=diverge_factor, mode=mode,
                    skip_start=skip_start, skip_end=skip_end, seed=seed,
                    loss=_loss_name(loss_fn))
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


def _build_optimizer(model, optimizer, start_lr, momentum, weight_decay) -> torch.optim.Optimizer:
    if isinstance(optimizer, str):
        return make_optimizer(optimizer, model.parameters(), start_lr, momentum, weight_decay)
    if momentum or weight_decay:
        raise ValueError("momentum and weight_decay go either with an optimizer name or into your own optimizer")
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        return optimizer(model.parameters())
    raise ValueError(f"optimizer must be a name, a torch optimizer or a callable (got {optimizer!r})")


def _validation_subset(data, val: Split | None, val_size: int, seed: int) -> Split:
    val = val if val is not None else (data.val if isinstance(data, Data) else None)
    if val is None:
        raise ValueError("mode='val' needs a validation split: pass a Data with a val split, or val=Split(...)")
    val = _as_split(val)
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
