"""Lesson 05's training experiments on Fashion-MNIST: rates, schedules, optimizers, the sweep, generalization.

Every function trains a fresh two-hidden-layer MLP with the toolkit's `training.train_mlp`
(through `train_tracking_test`, which tracks test accuracy per epoch) and returns `History`
objects or pandas tables of their numbers. The parabola
lives in `quadratic`; the sentences and statistics the claims are worded from in `claims`.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch.optim import lr_scheduler

from ..data import Data, fashion_mnist
from ..schedules import SCHEDULE_NAMES, Schedule, standard_schedules
from ..training import History, train_mlp
from ..validation import check_choice, check_int, check_positive

BATCH_SIZE = 64
DEPTH = 2  # hidden layers of every MLP in the lesson
# Rates for plain SGD on the MLP below (inputs normalized, batch 64), chosen from the sweep
# in section 4: 1e-3 is torch's default for SGD and far too small here; 3 blew up in every run we tried.
LR_REGIMES = {"too small": 1e-3, "good": 0.1, "too large": 3.0}
SCHEDULE_LR0 = 0.2  # twice the good constant rate: decaying schedules spend most steps below lr0
GENERALIZATION_LRS = {"small": 0.02, "large": 0.2}  # a factor of 10 apart; 0.2 near the top of SGD's good range


# ---------------------------------------------------------------- shared helpers
def load_data(n_train: int, n_test: int, seed: int = 0) -> Data:
    """A Fashion-MNIST training subset and a test subset (no validation split)."""
    return fashion_mnist(n_train=n_train, n_val=0, n_test=n_test, seed=seed)


def steps_per_run(n_train: int, epochs: int, batch_size: int = BATCH_SIZE) -> int:
    """Number of updates `fit` makes: ``epochs * ceil(n_train / batch_size)``."""
    return check_int("epochs", epochs, 1) * math.ceil(check_int("n_train", n_train, 1) / batch_size)


def train_tracking_test(data: Data, *, lr: float | None, epochs: int, width: int, seed: int = 0,
                        progress: bool | None = False, **settings) -> History:
    """`train_mlp` with the lesson's settings: a fresh ``mlp(width, DEPTH)``, batch ``BATCH_SIZE``; its `History`.

    The lesson has no validation split: ``data.test`` is passed to `fit` as ``test``, so the
    History's ``test_loss`` and ``test_acc`` columns hold the test loss and accuracy after every
    epoch (nothing is chosen on them: the lesson only shows how they move). ``optimizer`` is a name
    (with ``lr``) or a callable ``params -> Optimizer`` (``lr=None``); ``settings`` (``optimizer``,
    ``scheduler``, ``divergence_factor``, ``callbacks``) go to `fit`.
    """
    _, history = train_mlp(data.train, width, DEPTH, test=data.test, epochs=epochs, lr=lr, batch_size=BATCH_SIZE,
                           seed=seed, progress=progress, verbose=False, **settings)
    return history


def _result_row(history: History) -> dict:
    """Final loss and accuracy (NaN for a diverged run: its last evaluation predates the blow-up)."""
    return {
        "final train loss": math.nan if history.diverged else history.final("train_loss"),
        "final test accuracy (%)": math.nan if history.diverged else 100 * history.final("test_acc"),
        "diverged": history.diverged,
    }


# ---------------------------------------------------------------- 2. too small, good, too large
def catch_up_grid(total_updates: int, growth: float = 1.1) -> list[int]:
    """Update counts at which to evaluate a run: every update at first, then ``growth`` times apart.

    A geometric grid (every count from 1 to 10, then about 10% apart) resolves an early crossing
    to the update and a late one to about 10%, with a few dozen evaluations instead of one per update.
    """
    check_int("total_updates", total_updates, 1)
    counts, count = [], 1.0
    while count <= total_updates:
        counts.append(int(round(count)))
        count = max(count + 1, count * growth)
    return sorted(set(counts) | {total_updates})


def lr_regimes(data: Data, *, epochs: int, width: int, seed: int = 0,
               lrs: Mapping[str, float] = LR_REGIMES, fine: Sequence[str] = ("good",)) -> dict[str, History]:
    """Plain SGD at a too-small, a good and a too-large rate; label -> History.

    The runs named in ``fine`` are also evaluated inside their epochs, at `catch_up_grid`'s
    update counts (``fit(eval_every=...)``), so that `catch_up_fraction` can read when they
    reached a loss.
    """
    grid = catch_up_grid(steps_per_run(len(data.train), epochs))
    return {label: train_tracking_test(data, lr=check_positive(f"lrs[{label!r}]", lr), epochs=epochs, width=width,
                                       seed=seed, eval_every=grid if label in fine else None)
            for label, lr in lrs.items()}


def regimes_table(histories: Mapping[str, History], lrs: Mapping[str, float] = LR_REGIMES) -> pd.DataFrame:
    """One row per rate: loss before and after training, the share of it removed, and how the run ended."""
    rows = []
    for label, history in histories.items():
        start = float(history.epochs["train_loss"].iloc[0])
        final = math.nan if history.diverged else history.final("train_loss")
        rows.append({"rate": label, "lr": lrs[label], "updates made": len(history.steps),
                     "loss before": start, "loss after": final,
                     "loss removed (%)": 100 * (start - final) / start,
                     "last mini-batch loss": float(history.steps["loss"].iloc[-1]),
                     "diverged": history.diverged})
    return pd.DataFrame(rows).set_index("rate")


# ---------------------------------------------------------------- 3. schedules
def factor_schedule(name: str, factor: Callable[[int], float]) -> Schedule:
    """A schedule from your own rule: before update ``t + 1`` the rate is ``lr0 * factor(t)``.

    This is how torch builds any schedule it has no class for: ``LambdaLR`` calls ``factor``
    with the number of updates made so far (0 before the first) and multiplies the
    optimizer's initial rate ``lr0`` by what it returns. ``formula`` is the same rule, for the
    comparison with the rates `fit` actually used.
    """
    def formula(steps: np.ndarray, lr0: float) -> np.ndarray:
        return lr0 * np.array([factor(int(t)) for t in np.ravel(steps)], dtype=float).reshape(np.shape(steps))

    return Schedule(name, f"lr0 x {getattr(factor, '__name__', 'factor')}(t)",
                    build=lambda optimizer: lr_scheduler.LambdaLR(optimizer, factor), formula=formula)


def compare_schedules(data: Data, *, epochs: int, width: int, seed: int = 0, lr0: float = SCHEDULE_LR0,
                      names: Sequence[str] = SCHEDULE_NAMES,
                      custom: Mapping[str, Callable[[int], float]] | None = None) -> dict[str, History]:
    """Train the same model with each schedule (plain SGD, base rate ``lr0``); name -> History.

    ``names`` pick from `standard_schedules`, sized for the run; ``custom`` adds your own rules,
    name -> ``factor(step)`` (see `factor_schedule`), trained after them.
    """
    total = steps_per_run(len(data.train), epochs)
    schedules = standard_schedules(total)
    chosen = {name: schedules[check_choice("schedule", name, SCHEDULE_NAMES)] for name in names}
    chosen.update({name: factor_schedule(name, factor) for name, factor in (custom or {}).items()})
    return {name: train_tracking_test(data, lr=lr0, epochs=epochs, width=width, seed=seed, scheduler=schedule)
            for name, schedule in chosen.items()}


def schedules_table(histories: Mapping[str, History], lr0: float = SCHEDULE_LR0,
                    custom: Mapping[str, Callable[[int], float]] | None = None) -> pd.DataFrame:
    """Final loss and accuracy per schedule, and how far the rates `fit` used stray from the closed form.

    Pass the same ``custom`` rules as to `compare_schedules` for the runs that used them.
    """
    rows = []
    for name, history in histories.items():
        n_steps = len(history.steps)
        if custom and name in custom:
            schedule = factor_schedule(name, custom[name])
        else:
            schedule = standard_schedules(n_steps)[name]
        used = history.steps["lr"].to_numpy()
        closed = schedule.lr(np.arange(n_steps), lr0)
        rows.append({"schedule": name, "shape": schedule.description, **_result_row(history),
                     "max relative deviation from closed form": float(np.max(np.abs(used - closed) / closed))})
    return pd.DataFrame(rows).set_index("schedule")


# ---------------------------------------------------------------- 4. adaptive methods
def default_optimizers() -> dict[str, object]:
    """Torch's optimizers with every setting left at torch's default (label -> constructor).

    Passed to `fit` as ``optimizer=constructor`` with ``lr=None``, so nothing is overridden.
    Torch's defaults differ in weight decay: ``torch.optim.AdamW`` defaults to
    ``weight_decay=0.01``, Adam (and the others) to 0. ``fit(optimizer="adamw")`` with
    ``weight_decay`` left at ``None`` passes none, so it gets the same 0.01.
    """
    return {
        "SGD": torch.optim.SGD,
        "SGD + momentum 0.9": functools.partial(torch.optim.SGD, momentum=0.9),
        "Adagrad": torch.optim.Adagrad,
        "RMSprop": torch.optim.RMSprop,
        "Adam": torch.optim.Adam,
        "AdamW": torch.optim.AdamW,
    }


def compare_default_optimizers(data: Data, *, epochs: int, width: int, seed: int = 0,
                               divergence_factor: float = 1e4) -> dict[str, History]:
    """Each optimizer at torch's defaults; label -> History.

    ``divergence_factor`` is lenient (10,000x the first loss; a NaN or inf still stops the
    run) because RMSprop's first updates make the loss jump by up to a few hundred times
    before it recovers, and we want to see that.
    """
    return {label: train_tracking_test(data, lr=None, optimizer=constructor, epochs=epochs, width=width, seed=seed,
                                       divergence_factor=divergence_factor)
            for label, constructor in default_optimizers().items()}


def optimizers_table(histories: Mapping[str, History]) -> pd.DataFrame:
    """Default learning rate, final loss and accuracy, and the worst mini-batch loss per optimizer."""
    rows = [{"optimizer": label, "default lr": float(history.steps["lr"].iloc[0]), **_result_row(history),
             "worst mini-batch loss": float(history.steps["loss"].max())}
            for label, history in histories.items()]
    return pd.DataFrame(rows).set_index("optimizer")


def sweep_grid(low: float = 1e-5, high: float = 3.0, points_per_decade: int = 2) -> np.ndarray:
    """Learning rates evenly spaced on a log axis from ``low`` to ``high`` (inclusive)."""
    check_positive("low", low)
    check_positive("high", high)
    check_int("points_per_decade", points_per_decade, 1)
    if high <= low:
        raise ValueError(f"high must be > low (got low={low}, high={high})")
    exponents = np.arange(math.log10(low), math.log10(high) + 1e-9, 1.0 / points_per_decade)
    return 10.0 ** exponents


def lr_sweep(data: Data, *, lrs: Sequence[float], epochs: int, width: int, seed: int = 0,
             optimizers: Sequence[str] = ("sgd", "adam")) -> pd.DataFrame:
    """Final training loss after ``epochs`` for every optimizer and rate (NaN when it diverged)."""
    rows = []
    for name in optimizers:
        for lr in lrs:
            history = train_tracking_test(data, lr=float(lr), optimizer=name, epochs=epochs, width=width, seed=seed)
            rows.append({"optimizer": name, "lr": float(lr), "diverged": history.diverged,
                         "start loss": float(history.epochs["train_loss"].iloc[0]),
                         "final train loss": math.nan if history.diverged else history.final("train_loss")})
    return pd.DataFrame(rows)


def good_lr_ranges(sweep: pd.DataFrame, tolerance: float = 0.5) -> pd.DataFrame:
    """Per optimizer: its best rate, and the rates whose final loss is within ``tolerance``
    (relative) of that optimizer's best, i.e. how far one can miss the best rate and lose
    at most that much. ``width (decades)`` is ``log10(largest good lr / smallest good lr)``.
    """
    check_positive("tolerance", tolerance)
    rows = []
    for name, group in sweep.groupby("optimizer", sort=False):
        finished = group.dropna(subset=["final train loss"])
        if finished.empty:
            raise ValueError(f"every rate diverged for {name!r}: extend the sweep to smaller rates")
        best = finished.loc[finished["final train loss"].idxmin()]
        good = finished[finished["final train loss"] <= (1 + tolerance) * best["final train loss"]]
        rows.append({"optimizer": name, "best lr": best["lr"], "best loss": best["final train loss"],
                     "good lrs": len(good), "smallest good lr": good["lr"].min(), "largest good lr": good["lr"].max(),
                     "width (decades)": math.log10(good["lr"].max() / good["lr"].min()),
                     "smallest lr that diverged": group.loc[group["diverged"], "lr"].min()})
    return pd.DataFrame(rows).set_index("optimizer")


# ---------------------------------------------------------------- 5. does a large rate regularize?
def train_to_target(data: Data, *, lr: float, target_loss: float, max_epochs: int, width: int,
                    seed: int = 0) -> History:
    """Train with plain SGD until the full training loss is at most ``target_loss`` (checked
    after every epoch) or ``max_epochs`` have passed. The History ends at that epoch."""
    check_positive("target_loss", target_loss)

    def reached_target(history: History) -> bool:
        return history.final("train_loss") <= target_loss  # True ends fit after this epoch

    return train_tracking_test(data, lr=lr, epochs=max_epochs, width=width, seed=seed, callbacks=[reached_target])


def lr_generalization(*, n_train: int, n_test: int, seeds: Sequence[int], target_loss: float,
                      max_epochs: int, width: int,
                      lrs: Mapping[str, float] = GENERALIZATION_LRS) -> dict[tuple[str, int], History]:
    """For every seed (its own data draw and initialisation), train each rate to the same training loss.

    The largest rate goes first, to ``target_loss``. Its big steps usually overshoot the target
    within the last epoch, so the smaller rates then train to the loss it actually reached: their
    smaller per-epoch progress lands much closer to it, and the losses match tightly.
    """
    histories = {}
    by_size = sorted(lrs.items(), key=lambda item: item[1], reverse=True)
    for seed in seeds:
        data = load_data(n_train, n_test, seed=seed)
        target = target_loss
        for index, (label, lr) in enumerate(by_size):
            history = train_to_target(data, lr=lr, target_loss=target, max_epochs=max_epochs, width=width, seed=seed)
            histories[(label, seed)] = history
            if index == 0 and not history.diverged:
                target = min(target_loss, history.final("train_loss"))
    return {(label, seed): histories[(label, seed)] for seed in seeds for label in lrs}


def generalization_table(histories: Mapping[tuple[str, int], History], target_loss: float,
                         lrs: Mapping[str, float] = GENERALIZATION_LRS) -> pd.DataFrame:
    """One row per run at the epoch it reached the target: train/test loss and accuracy and the gap."""
    rows = []
    for (label, seed), history in histories.items():
        last = history.epochs.iloc[-1]
        rows.append({"seed": seed, "rate": label, "lr": lrs[label], "epochs": int(last["epoch"]),
                     "reached target": bool(last["train_loss"] <= target_loss) and not history.diverged,
                     "train loss": last["train_loss"], "train acc (%)": 100 * last["train_acc"],
                     "test loss": last["test_loss"], "test acc (%)": 100 * last["test_acc"],
                     "gap (train - test acc, pp)": 100 * (last["train_acc"] - last["test_acc"])})
    return pd.DataFrame(rows)


def equal_epoch_table(histories: Mapping[tuple[str, int], History]) -> pd.DataFrame:
    """The other way to compare: both rates after the *same number of epochs* (the number the
    large rate needed). Rows: seed and rate, with train loss, test accuracy and gap there."""
    rows = []
    seeds = sorted({seed for _, seed in histories})
    labels = list(dict.fromkeys(label for label, _ in histories))
    for seed in seeds:
        epoch = int(min(histories[(label, seed)].epochs["epoch"].iloc[-1] for label in labels))
        for label in labels:
            row = histories[(label, seed)].epochs.set_index("epoch").loc[epoch]
            rows.append({"seed": seed, "rate": label, "epoch": epoch, "train loss": row["train_loss"],
                         "test acc (%)": 100 * row["test_acc"],
                         "gap (train - test acc, pp)": 100 * (row["train_acc"] - row["test_acc"])})
    return pd.DataFrame(rows)
