"""One training loop, `fit`, that every lesson uses.

Mini-batches are slices of tensors that already sit on the device, so an epoch is a loop
of index-select, forward, backward and step: no DataLoader, no per-image Python work.
`fit` records every step (loss, learning rate, seconds) and every epoch (train and
validation loss and accuracy) in a `History` of pandas tables, stops cleanly when the loss
diverges, and returns what it has when interrupted (the notebook's stop button).
"""
from __future__ import annotations

import collections
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from .config import get_profile, synchronize
from .data import Data, Split
from .validation import check_choice, check_fraction, check_int, check_non_negative, check_positive

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
_OPTIMIZER_CLASSES = {
    "sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad,
}
_TAKES_MOMENTUM = ("sgd", "rmsprop")
DIVERGENCE_WINDOW = 32  # steps averaged before comparing with the starting loss


def make_optimizer(
    name: str,
    params,
    lr: float | None = None,
    momentum: float = 0.0,
    weight_decay: float | None = None,
    nesterov: bool = False,
) -> torch.optim.Optimizer:
    """Build a torch optimizer by name, checking every hyperparameter first.

    ``lr=None`` and ``weight_decay=None`` keep torch's own defaults for that optimizer
    (AdamW's default decay is 0.01, the others' 0). ``momentum`` applies to SGD and
    RMSprop only; ``nesterov`` to SGD only.
    """
    name = check_choice("optimizer", name, OPTIMIZERS)
    kwargs: dict = {}
    if weight_decay is not None:
        kwargs["weight_decay"] = check_non_negative("weight_decay", weight_decay)
    if lr is not None:
        kwargs["lr"] = check_positive("lr", lr)
    check_fraction("momentum", momentum, include_one=False)
    if momentum and name not in _TAKES_MOMENTUM:
        raise ValueError(
            f"momentum applies to {' and '.join(_TAKES_MOMENTUM)} only (got momentum={momentum} "
            f"with optimizer={name!r}); Adam-type optimizers set theirs through betas"
        )
    if name in _TAKES_MOMENTUM:
        kwargs["momentum"] = momentum
    if nesterov:
        if name != "sgd" or not momentum:
            raise ValueError("nesterov=True needs optimizer='sgd' and momentum in (0, 1)")
        kwargs["nesterov"] = True
    return _OPTIMIZER_CLASSES[name](params, **kwargs)


@dataclass
class History:
    """What one run of `fit` measured.

    ``steps``: one row per update (step, epoch, lr, loss, seconds of training so far).
    ``epochs``: one row per epoch, epoch 0 being the untrained model (train_loss,
    train_acc, val_loss, val_acc, seconds). ``diverged`` / ``interrupted`` say how the run
    ended early, and ``message`` says where.
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


@dataclass
class _Recorder:
    """Columns of the two tables, filled as the run goes."""

    steps: dict = field(default_factory=lambda: {k: [] for k in ("step", "epoch", "lr", "loss", "seconds")})
    epochs: dict = field(default_factory=lambda: {k: [] for k in
                                                  ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds")})

    def history(self, **flags) -> History:
        return History(pd.DataFrame(self.steps), pd.DataFrame(self.epochs), **flags)


def _as_split(data) -> Split:
    if isinstance(data, Split):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return Split(*data)
    raise TypeError(f"expected a Data, a Split or an (x, y) pair, got {type(data).__name__}")


def _is_classification(split: Split) -> bool:
    return not torch.is_floating_point(split.y)


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, loss_fn: Callable | None = None, batch_size: int = 4096) -> tuple[float, float]:
    """Mean loss and accuracy (NaN for regression) of ``model`` on ``split``, in eval mode."""
    split = _as_split(split)
    loss_fn = loss_fn or _default_loss(split)
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


def _default_loss(split: Split) -> nn.Module:
    return nn.CrossEntropyLoss() if _is_classification(split) else nn.MSELoss()


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
    scheduler: Callable | torch.optim.lr_scheduler.LRScheduler | None = None,
    scheduler_interval: str = "step",
    val: Split | None = None,
    loss_fn: Callable | None = None,
    seed: int = 0,
    max_steps: int | None = None,
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
    scheduler: a callable ``optimizer -> LRScheduler`` (any ``torch.optim.lr_scheduler``)
        or a ready scheduler; stepped after every update (``scheduler_interval="step"``)
        or after every epoch (``"epoch"``).
    val: a validation split (overrides ``data.val``).
    loss_fn: defaults to cross-entropy for integer targets, mean squared error otherwise.
    seed: seeds the order of the mini-batches (seed the model's initialisation yourself
        with `seed_everything` before building it).
    divergence_factor: the run stops, flagged ``diverged``, when a step's loss is not
        finite, or when the mean loss of the last ``DIVERGENCE_WINDOW`` steps exceeds this
        multiple of the untrained model's loss on the training set.
    progress: show a tqdm progress bar (default: `show_progress_default`). It ends full (and
        disappears) when the run ends normally or a callback stops it; it stays red, saying
        why, only when the run diverges or is interrupted.
    live_plot: redraw the loss curves after every epoch (in a notebook).
    callbacks: functions called with the `History` so far after every epoch; one that
        returns ``True`` ends training there (early stopping, a target loss reached).
    verbose: print the message when a run diverges or is interrupted.
    """
    train = data.train if isinstance(data, Data) else _as_split(data)
    val = val if val is not None else (data.val if isinstance(data, Data) else None)
    check_int("epochs", epochs, 1)
    check_int("batch_size", batch_size, 1, len(train), "the number of training samples")
    model.to(train.x.device)  # lessons build models on the CPU; the data sit on the fastest device
    if max_steps is not None:
        check_int("max_steps", max_steps, 1)
    check_positive("divergence_factor", divergence_factor)
    interval = check_choice("scheduler_interval", scheduler_interval, ("step", "epoch"))
    opt = _build_optimizer(model, optimizer, lr, momentum, weight_decay, nesterov)
    sched = scheduler(opt) if callable(scheduler) and not isinstance(
        scheduler, torch.optim.lr_scheduler.LRScheduler) else scheduler
    loss_fn = loss_fn or _default_loss(train)
    callbacks = list(callbacks)
    if live_plot:
        from .plots import LiveLossPlot
        callbacks.append(LiveLossPlot())
    if progress is None:
        progress = show_progress_default()

    record = _Recorder()
    generator = torch.Generator().manual_seed(seed)
    usable = len(train) - (len(train) % batch_size if drop_last else 0)
    steps_per_epoch = math.ceil(usable / batch_size)
    total_steps = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)

    def log_epoch(epoch: int, seconds: float) -> None:
        train_loss, train_acc = evaluate(model, train, loss_fn)
        val_loss, val_acc = evaluate(model, val, loss_fn) if val is not None else (math.nan, math.nan)
        for key, value in zip(record.epochs, (epoch, train_loss, train_acc, val_loss, val_acc, seconds)):
            record.epochs[key].append(value)

    log_epoch(0, 0.0)
    model.train()
    # Divergence is judged against the untrained model's loss on the whole training set, and
    # on a moving average of the last steps: one hard example (batch size 1) is not a blow-up.
    start_loss = record.epochs["train_loss"][0]
    threshold = divergence_factor * (start_loss if math.isfinite(start_loss) and start_loss > 0 else 1.0)
    recent = collections.deque(maxlen=DIVERGENCE_WINDOW)
    # CUDA and MPS queue work and return at once: wait for it before reading the clock.
    timed_device = train.x.device if train.x.device.type != "cpu" else None
    step, elapsed = 0, 0.0
    pending: list[torch.Tensor] = []  # losses not yet checked, kept on the device to avoid syncs
    flags = {"diverged": False, "interrupted": False, "message": ""}
    bar = tqdm(total=total_steps, disable=not progress, desc="training", unit="step", leave=False)

    def check_pending() -> bool:
        """Move pending losses to the record; True when one of them diverged."""
        if not pending:
            return False
        values = torch.stack(pending).float().cpu().tolist()
        first = len(record.steps["loss"])
        record.steps["loss"].extend(values)
        pending.clear()
        for offset, value in enumerate(values):
            recent.append(value)
            if not math.isfinite(value) or sum(recent) / len(recent) > threshold:
                index = first + offset
                for column in record.steps.values():
                    del column[index + 1:]
                flags["diverged"] = True
                flags["message"] = (
                    f"Training diverged at step {index + 1} (epoch {record.steps['epoch'][index]}) "
                    f"with learning rate {record.steps['lr'][index]:.3g}: the loss reached {value:.3g} "
                    f"(it started at {start_loss:.3g}). Try a smaller learning rate."
                )
                return True
        return False

    try:
        for epoch in range(1, epochs + 1):
            epoch_start = time.perf_counter()
            order = torch.randperm(len(train), generator=generator).to(train.y.device)
            for begin in range(0, usable, batch_size):
                index = order[begin:begin + batch_size]
                loss = loss_fn(model(train.x[index]), train.y[index])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                step_lr = opt.param_groups[0]["lr"]
                opt.step()
                if sched is not None and interval == "step":
                    sched.step()
                step += 1
                if timed_device is not None:
                    synchronize(timed_device)
                for key, value in (("step", step), ("epoch", epoch), ("lr", step_lr),
                                   ("seconds", elapsed + time.perf_counter() - epoch_start)):
                    record.steps[key].append(value)
                pending.append(loss.detach())
                if len(pending) >= 32 and check_pending():
                    break
                if progress and step % 10 == 0:
                    bar.update(10)
                    if record.steps["loss"]:
                        bar.set_postfix(loss=f"{record.steps['loss'][-1]:.3f}", refresh=False)
                if max_steps is not None and step >= max_steps:
                    break
            if check_pending() or flags["diverged"]:
                break
            if sched is not None and interval == "epoch":
                sched.step()
            if timed_device is not None:
                synchronize(timed_device)
            elapsed += time.perf_counter() - epoch_start
            log_epoch(epoch, elapsed)
            model.train()
            if callbacks:
                snapshot = record.history(**flags)
                if any([bool(callback(snapshot)) for callback in callbacks]):  # a list: call them all
                    break
            if max_steps is not None and step >= max_steps:
                break
    except KeyboardInterrupt:
        # The interrupt can land mid-step: keep only the steps recorded in every column.
        complete = min(len(record.steps["loss"]) + len(pending),
                       *(len(record.steps[key]) for key in ("step", "epoch", "lr", "seconds")))
        del pending[complete - len(record.steps["loss"]):]
        for key in ("step", "epoch", "lr", "seconds"):
            del record.steps[key][complete:]
        check_pending()
        flags["interrupted"] = True
        flags["message"] = f"Interrupted at step {step} (epoch {epoch}); returning the history so far."
    finally:
        failure = ("diverged" if flags["diverged"] else "interrupted" if flags["interrupted"] else "")
        finish_bar(bar, len(record.steps["step"]), f"{failure} at step {step}" if failure else "")
    if flags["message"] and verbose:
        print(flags["message"])
    return record.history(**flags)


def show_progress_default() -> bool:
    """Whether `fit` and the range test show a progress bar when not told: yes, except in the smoke profile.

    ``COURSE_PROGRESS=1`` (or ``0``) overrides the profile (the browser test turns bars on in smoke).
    """
    forced = os.environ.get("COURSE_PROGRESS", "").strip()
    if forced:
        return forced.lower() not in ("0", "false", "no", "off")
    return get_profile().name != "smoke"


def finish_bar(bar: tqdm, done: int, failure: str = "") -> None:
    """Close a progress bar after ``done`` steps.

    A run that ended by design (all steps, an early stop, a target reached) ends full: the
    total becomes ``done``, so tqdm draws it finished (in a notebook it disappears with
    ``leave=False``). A ``failure`` ("diverged at step 57", "interrupted at step 12") is
    written on the bar, which is left short: in a notebook tqdm draws it red.
    """
    if bar.disable:
        bar.close()
        return
    if failure:
        bar.n = min(done, max(int(bar.total or 0) - 1, 0))  # short of the total: drawn as an error
        bar.set_description(failure, refresh=False)
    else:
        bar.reset(total=max(done, 1))  # reset also resizes a notebook bar
        bar.update(max(done, 1))
    bar.close()


def _build_optimizer(model, optimizer, lr, momentum, weight_decay, nesterov) -> torch.optim.Optimizer:
    if isinstance(optimizer, str):
        return make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay, nesterov)
    if lr is not None or momentum or weight_decay is not None or nesterov:
        raise ValueError(
            "lr, momentum, weight_decay and nesterov go either to fit (with an optimizer name) "
            "or into your own optimizer, not both"
        )
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        return optimizer(model.parameters())
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, a torch optimizer or a callable (got {optimizer!r})")
