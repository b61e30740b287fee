"""One training loop, `fit`, that every lesson uses.

Mini-batches are slices of tensors that already sit on the device, so an epoch is a loop
of index-select, forward, backward and step: no DataLoader, no per-image Python work.
`fit` records every step (loss, learning rate, seconds) and every epoch (train and
validation loss and accuracy) in a `History` of pandas tables, stops cleanly when the loss
diverges, and returns what it has when interrupted (the notebook's stop button).

`train_mlp` builds a fresh `mlp` from a seed and trains it with `fit` (the lessons' usual run).
Also here, shared with the range test (`lr_finder`): `as_split`, `default_loss`, `evaluate`
and `train_step`. What `fit` records and its divergence rule are in `course_utils.fit_parts`.
The optimizers (`make_optimizer`, `build_optimizer`) are built in `course_utils.optimizers`,
the progress bars closed by `course_utils.progress`.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler
from tqdm.auto import tqdm

from .config import seed_everything
from .data import Data, Split
from .fit_parts import Clock, DivergenceWatch, Recorder, evaluation_steps, evaluation_subset
from .models import mlp
from .optimizers import OPTIMIZERS, build_optimizer, make_optimizer  # noqa: F401 (importable from training too)
from .progress import finish_bar, show_progress_default
from .schedules import SCHEDULE_NAMES, make_schedule
from .validation import check_choice, check_int, check_positive

TRAIN_EVAL_SIZE = 2048  # training samples scored at each evaluation (see fit's train_eval_size)


@dataclass
class History:
    """What one run of `fit` measured.

    ``steps``: one row per update (step, epoch, lr, loss, seconds of training so far).
    ``epochs``: one row per evaluation (train_loss, train_acc, val_loss, val_acc, seconds),
    at the end of every epoch, epoch 0 being the untrained model. ``train_loss`` and
    ``train_acc`` are measured on a fixed random subset of the training set (``fit``'s
    ``train_eval_size``, 2,048 images by default; all of them when the set is smaller),
    the validation scores on the whole validation split (``test_loss``, ``test_acc`` too when
    `fit` is given a ``test`` split). With ``fit(eval_every=...)``
    also rows inside epochs, with a fractional ``epoch`` (updates / updates per epoch)
    and an extra ``step`` column. ``diverged`` / ``interrupted`` say how the run ended early,
    and ``message`` says where.
    """

    steps: pd.DataFrame
    epochs: pd.DataFrame
    diverged: bool = False
    interrupted: bool = False
    message: str = ""

    def final(self, column: str) -> float:
        """The last epoch's value of ``column`` (e.g. ``"val_acc"``)."""
        return float(self.epochs[column].iloc[-1])

    def best(self, column: str = "val_acc") -> pd.Series:
        """The epoch row where ``column`` is best (highest accuracy, lowest loss)."""
        series = self.epochs[column]
        return self.epochs.loc[series.idxmax() if column.endswith("acc") else series.idxmin()]

    def __repr__(self) -> str:
        status = "diverged" if self.diverged else "interrupted" if self.interrupted else "completed"
        last = self.epochs.iloc[-1].to_dict() if len(self.epochs) else {}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items() if isinstance(v, float) and not math.isnan(v))
        return f"History({status}, {len(self.steps)} steps, last epoch: {shown})"


def as_split(data) -> Split:
    """``data`` as a `Split`: a `Split` as is, an ``(x, y)`` pair of tensors wrapped."""
    if isinstance(data, Split):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return Split(*data)
    raise TypeError(f"expected a Data, a Split or an (x, y) pair, got {type(data).__name__}")


def _is_classification(split: Split) -> bool:
    return not torch.is_floating_point(split.y)


def default_loss(split: Split) -> nn.Module:
    """Cross-entropy for integer targets (classification), mean squared error otherwise."""
    return nn.CrossEntropyLoss() if _is_classification(split) else nn.MSELoss()


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, loss_fn: Callable | None = None,
             batch_size: int = 4096) -> tuple[float, float]:
    """Mean loss and accuracy (NaN for regression) of ``model`` on ``split``, in eval mode."""
    split = as_split(split)
    loss_fn = loss_fn or default_loss(split)
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    for start in range(0, len(split), batch_size):
        x, y = split.x[start:start + batch_size], split.y[start:start + batch_size]
        out = model(x)
        total_loss += float(loss_fn(out, y)) * len(y)
        if _is_classification(split):
            correct += int((out.argmax(1) == y).sum())
    model.train(was_training)
    accuracy = correct / len(split) if _is_classification(split) else float("nan")
    return total_loss / len(split), accuracy


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Predicted class of every row of ``x`` (argmax of the model's output), in eval mode."""
    was_training = model.training
    model.eval()
    predictions = torch.cat([model(x[start:start + batch_size]).argmax(1) for start in range(0, len(x), batch_size)])
    model.train(was_training)
    return predictions


def fit(
    model: nn.Module,
    data: Data | Split | tuple,
    *,
    epochs: int,
    lr: float | None = None,
    batch_size: int = 128,
    drop_last: bool = False,
    optimizer: str | torch.optim.Optimizer | Callable = "sgd",
    momentum: float = 0.0,
    weight_decay: float | None = None,
    nesterov: bool = False,
    scheduler: str | Callable | LRScheduler | None = None,
    scheduler_interval: str = "step",
    val: Split | None = None,
    test: Split | None = None,
    loss_fn: Callable | None = None,
    seed: int = 0,
    max_steps: int | None = None,
    eval_every: int | Sequence[int] | None = None,
    train_eval_size: int | None = TRAIN_EVAL_SIZE,
    divergence_factor: float = 10.0,
    progress: bool | None = None,
    live_plot: bool = False,
    callbacks: Sequence[Callable[[History], None]] = (),
    verbose: bool = True,
) -> History:
    """Train ``model`` with mini-batch gradient descent and return its `History`.

    Parameters
    ----------
    data: a `Data` (its ``train`` split is trained on, its ``val`` split evaluated), a
        `Split` or an ``(x, y)`` pair of tensors. The model is moved to their device.
    epochs: passes over the training data (``max_steps`` can stop earlier).
    batch_size, drop_last: images per update; with ``drop_last=True`` the last, smaller
        batch of each epoch is skipped (a batch of a few images at a high learning rate
        makes a noisy final step just before the epoch is evaluated).
    lr, momentum, weight_decay, nesterov: used when ``optimizer`` is a name (one of
        ``OPTIMIZERS``); ``lr=None`` and ``weight_decay=None`` keep torch's defaults.
    optimizer: a name, a ready ``torch.optim.Optimizer`` on the model's parameters, or a
        callable ``params -> Optimizer`` (e.g. ``functools.partial(torch.optim.SGD, lr=0.1)``).
    scheduler: a callable ``optimizer -> LRScheduler`` (any ``torch.optim.lr_scheduler``, or a
        `schedules.Schedule`), a ready scheduler built on the optimizer passed as ``optimizer``,
        or the name of a schedule in ``schedules.SCHEDULE_NAMES`` (e.g. ``"one-cycle"``,
        ``"cosine"``), sized by `schedules.make_schedule` to the steps this run takes (after
        ``drop_last`` and ``max_steps``). It is stepped after every update
        (``scheduler_interval="step"``) or after every epoch (``"epoch"``).
    val: a validation split (overrides ``data.val``); moved to the training data's device.
    test: a test split, scored at every evaluation too (``test_loss``, ``test_acc`` columns),
        for lessons that show how test accuracy moves during training; nothing in `fit`
        uses it (early stopping and callbacks should judge by ``val``).
    loss_fn: defaults to cross-entropy for integer targets, mean squared error otherwise.
    seed: seeds the order of the mini-batches (seed the model's initialisation yourself
        with `seed_everything` before building it).
    max_steps: stop after this many updates.
    eval_every: also evaluate (a row in ``History.epochs``) inside epochs, not only at
        their ends: every this many updates (an int), or after each of these update counts
        (a list, e.g. ``[1, 2, 4, 8, 16]`` for a log-scaled axis). Default: per epoch only.
    train_eval_size: the training scores of ``History.epochs`` are measured on a fixed
        random subset of this many training samples, drawn once from ``seed`` (``None``:
        the whole training set). A pass over 20,000 images at every evaluation would cost
        as much as a third of an epoch of training; 2,048 images give the accuracy within
        about one point (its standard error is below 1.1 points).
    divergence_factor: the run stops, flagged ``diverged``, when a step's loss is not
        finite, or when the mean loss of the last ``fit_parts.DIVERGENCE_WINDOW`` steps exceeds this
        multiple of the untrained model's loss on the training set.
    progress: show a tqdm progress bar (default: `show_progress_default`). It ends full (and
        disappears) when the run ends normally or a callback stops it; it stays red, saying
        why, only when the run diverges or is interrupted.
    live_plot: redraw the loss curves after every epoch (in a notebook).
    callbacks: functions called with the `History` so far after every epoch; one that
        returns ``True`` ends training there (early stopping, a target loss reached).
    verbose: print the message when a run diverges or is interrupted.
    """
    train = data.train if isinstance(data, Data) else as_split(data)
    val = val if val is not None else (data.val if isinstance(data, Data) else None)
    check_int("epochs", epochs, 1)
    check_int("batch_size", batch_size, 1, len(train), "the number of training samples")
    model.to(train.x.device)  # lessons build models on the CPU; the data sit on the fastest device
    val = _on_device_of(as_split(val), train) if val is not None else None
    test = _on_device_of(as_split(test), train) if test is not None else None
    if max_steps is not None:
        check_int("max_steps", max_steps, 1)
    eval_points = evaluation_steps(eval_every)
    if train_eval_size is not None:
        check_int("train_eval_size", train_eval_size, 1)
    check_positive("divergence_factor", divergence_factor)
    interval = check_choice("scheduler_interval", scheduler_interval, ("step", "epoch"))
    opt = build_optimizer(model, optimizer, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
    usable = len(train) - (len(train) % batch_size if drop_last else 0)  # the samples one epoch trains on
    steps_per_epoch = math.ceil(usable / batch_size)
    total_steps = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)
    sched = _build_scheduler(scheduler, opt, total_steps if interval == "step" else
                             math.ceil(total_steps / steps_per_epoch))
    loss_fn = loss_fn or default_loss(train)
    callbacks = list(callbacks)
    if live_plot:
        from .plots import LiveLossPlot
        callbacks.append(LiveLossPlot())
    if progress is None:
        progress = show_progress_default()

    record = Recorder(with_step=eval_every is not None, with_test=test is not None)
    train_scored = evaluation_subset(train, train_eval_size, seed)
    watch = DivergenceWatch(record, divergence_factor)
    clock = Clock(train.x.device)
    generator = torch.Generator().manual_seed(seed)
    evaluation = functools.partial(_record_evaluation, record, model, train_scored, val, test, loss_fn)
    epoch = step = 0
    interrupted, message = False, ""
    bar = tqdm(total=total_steps, disable=not progress, desc="training", unit="step", leave=False)
    try:
        evaluation(epoch=0, step=0, seconds=0.0)
        watch.start(record.epochs["train_loss"][0])
        model.train()
        for epoch in range(1, epochs + 1):
            clock.start()
            order = torch.randperm(len(train), generator=generator).to(train.y.device)
            for begin in range(0, usable, batch_size):
                index = order[begin:begin + batch_size]
                loss, step_lr = train_step(model, opt, loss_fn, train.x[index], train.y[index])
                if sched is not None and interval == "step":
                    sched.step()
                step += 1
                record.add_step(step=step, epoch=epoch, lr=step_lr, seconds=clock.read())
                if watch.add(loss):
                    break
                _advance(bar, step, record.steps["loss"])
                if max_steps is not None and step >= max_steps:
                    break
                if eval_points(step) and begin + batch_size < usable:  # the epoch's end is evaluated below
                    if watch.check():
                        break
                    evaluation(epoch=step / steps_per_epoch, step=step, seconds=clock.stop())
                    model.train()
                    clock.start()
            if watch.check():
                break
            if sched is not None and interval == "epoch":
                sched.step()
            evaluation(epoch=epoch, step=step, seconds=clock.stop())
            model.train()
            if _stop_requested(callbacks, record) or (max_steps is not None and step >= max_steps):
                break
    except KeyboardInterrupt:
        record.drop_partial_rows(watch.pending)  # the interrupt can land mid-step
        watch.check()
        interrupted = True
        message = f"Interrupted at step {step} (epoch {epoch}); returning the history so far."
    finally:
        failure = "diverged" if watch.diverged else "interrupted" if interrupted else ""
        finish_bar(bar, len(record.steps["step"]), f"{failure} at step {step}" if failure else "")
    message = message or watch.message
    if message and verbose:
        print(message)
    return History(*record.tables(), diverged=watch.diverged, interrupted=interrupted, message=message)


def train_mlp(data: Data | Split | tuple, width: int, depth: int, *, epochs: int, seed: int = 0,
              model: nn.Module | None = None, **settings) -> tuple[nn.Module, History]:
    """Train a fresh ``mlp(width, depth)`` with `fit`; return the model and its `History`.

    The network is initialised from ``seed`` (`seed_everything`), which also seeds the order of
    the mini-batches. ``model``, if given, is trained instead (``width`` and ``depth`` are then
    ignored). Every other setting (``lr``, ``optimizer``, ``batch_size``, ``val``, ``scheduler``,
    ``callbacks``, ``progress``, ...) goes to `fit` as it is, with `fit`'s defaults.
    """
    if model is None:
        seed_everything(seed)
        model = mlp(width, depth)
    history = fit(model, data, epochs=epochs, seed=seed, **settings)
    return model, history


def _record_evaluation(record: Recorder, model: nn.Module, train: Split, val: Split | None, test: Split | None,
                       loss_fn, *, epoch, step: int, seconds: float) -> None:
    """Evaluate ``model`` on the training split (and validation, test); add the row to ``record``."""
    val_scores, test_scores = ((evaluate(model, split, loss_fn) if split is not None else (math.nan, math.nan))
                               for split in (val, test))
    record.add_evaluation(evaluate(model, train, loss_fn), val_scores, epoch=epoch, step=step, seconds=seconds,
                          test=test_scores)


def _on_device_of(split: Split, train: Split) -> Split:
    """``split`` on the device of the training data (moved only when it is elsewhere)."""
    if split.x.device == train.x.device and split.y.device == train.y.device:
        return split
    return Split(split.x.to(train.x.device), split.y.to(train.y.device))


def _build_scheduler(scheduler, opt: torch.optim.Optimizer, n_steps: int):
    """The scheduler `fit` steps: from a schedule name (sized to ``n_steps`` scheduler steps),
    a factory ``optimizer -> scheduler``, or a ready scheduler that must drive ``opt``."""
    if scheduler is None:
        return None
    if isinstance(scheduler, str):
        name = check_choice("scheduler", scheduler, SCHEDULE_NAMES)
        try:
            scheduler = make_schedule(name, n_steps)
        except ValueError as error:
            raise ValueError(f"scheduler={name!r} is sized to the {n_steps} scheduler steps of this run: "
                             f"{error}") from None
    built = scheduler(opt) if callable(scheduler) and not isinstance(scheduler, LRScheduler) else scheduler
    if not hasattr(built, "step"):
        raise TypeError(f"scheduler must be a schedule name, a callable optimizer -> scheduler or a torch "
                        f"scheduler (got {type(scheduler).__name__})")
    if getattr(built, "optimizer", opt) is not opt:
        raise ValueError(
            "scheduler is built on another optimizer than the one fit trains with, so it would change nothing: "
            "pass a factory instead (scheduler=lambda optimizer: torch.optim.lr_scheduler.StepLR(optimizer, 10), "
            "a course_utils.schedules Schedule, or a name such as 'cosine'), which fit calls with its optimizer; "
            "or pass the optimizer your scheduler was built on as optimizer="
        )
    return built


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: Callable, x: torch.Tensor,
               y: torch.Tensor) -> tuple[torch.Tensor, float]:
    """One update on the mini-batch ``(x, y)``; returns its loss (detached, still on the device:
    reading it would wait for the device) and the learning rate the update used."""
    loss = loss_fn(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    lr = optimizer.param_groups[0]["lr"]
    optimizer.step()
    return loss.detach(), lr


def _advance(bar: tqdm, step: int, losses: list[float]) -> None:
    """Move the progress bar every 10 steps, showing the last loss read from the device."""
    if not bar.disable and step % 10 == 0:
        bar.update(10)
        if losses:
            bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)


def _stop_requested(callbacks: list, record: Recorder) -> bool:
    """Call every callback with the history so far; True when one of them returns True."""
    if not callbacks:
        return False
    snapshot = History(*record.tables())
    return any([bool(callback(snapshot)) for callback in callbacks])  # noqa: C419 (a list: call them all)
