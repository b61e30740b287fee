"""Lesson 07's experiments: the three x-axes, time to a target, scaling rules, generalization.

Every function trains through `course_utils.training.fit` (directly, or through lesson 04's
`train_variant`, which cuts epochs into chunks to measure the loss inside an epoch) and
returns plain numbers or pandas tables. Throughput and the out-of-memory search live in
`throughput`, the gradient noise scale and steps-to-target in `noise_scale`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from torch import nn

from ..batch_runs import VariantRun, scaled_lr, train_variant
from ..config import cpu_threads
from ..data import Split
from ..models import new_model
from ..schedules import Schedule, linear_warmup, step_decay
from ..training import History, evaluate, fit
from ..validation import check_choice, check_int, check_positive

X_AXES = {"epochs": "epoch", "updates": "updates", "seconds": "seconds"}
LR_RULES = ("fixed", "scaled", "scaled + warm-up")


def check_batch_size(batch_size, n: int, name: str = "batch_size") -> int:
    """A batch size must be an integer from 1 to the number of examples ``n``."""
    return check_int(name, batch_size, 1, n, "the number of training examples")


def check_x_axis(x_axis: str) -> str:
    """One of ``"epochs"``, ``"updates"`` or ``"seconds"``; returns the matching curve column."""
    return X_AXES[check_choice("x_axis", x_axis, X_AXES)]


# --------------------------------------------------------------------------------------
# 2 and 4. Batch sizes on three x-axes; the linear scaling rule with and without warm-up
# --------------------------------------------------------------------------------------

def warmup_for(batch_size: int, n_train: int, warmup_epochs: float) -> Schedule:
    """Linear warm-up over ``warmup_epochs`` epochs at this batch size (Goyal et al.: from lr/…)."""
    steps = max(1, round(warmup_epochs * math.ceil(n_train / batch_size)))
    return linear_warmup(steps, start_factor=0.05)


def _warmup_run(model: nn.Module, train: Split, batch_size: int, lr: float, epochs: int, seed: int,
                warmup_epochs: float, name: str) -> VariantRun:
    """A warmed-up run with `fit`, as a `VariantRun` whose curve has one point per epoch."""
    history = fit(model, train, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, progress=False,
                  verbose=False, scheduler=warmup_for(batch_size, len(train), warmup_epochs))
    per_epoch = math.ceil(len(train) / batch_size)
    curve = pd.DataFrame({"updates": history.epochs["epoch"] * per_epoch, "epoch": history.epochs["epoch"],
                          "seconds": history.epochs["seconds"], "train_loss": history.epochs["train_loss"]})
    return VariantRun(name=name, batch_size=batch_size, lr=lr, n_train=len(train), curve=curve, history=history,
                      model=model)


def batch_size_sweep(
    train: Split,
    batch_sizes: Sequence[int],
    *,
    base_lr: float,
    base_batch: int,
    epochs: int,
    rules: Sequence[str] = LR_RULES,
    warmup_epochs: float = 1.0,
    width: int = 64,
    seed: int = 0,
    per_epoch: int = 8,
    threads: int | None = 1,
) -> dict[tuple[str, int], VariantRun]:
    """Train every batch size for the same ``epochs`` under each learning-rate rule.

    ``"fixed"``: ``base_lr`` for every batch size. ``"scaled"``: the linear scaling rule,
    ``base_lr * B / base_batch``. ``"scaled + warm-up"``: the same rate reached by a
    linear warm-up over ``warmup_epochs`` (Goyal et al. 2017). Every run starts from the
    same initial weights. The first two use `batch_runs.train_variant` (lesson 04's training at a
    given batch size), which measures
    the loss on the whole training set ``per_epoch`` times per epoch, against epochs,
    updates and seconds; the warmed-up runs use `fit` with a scheduler, one point per
    epoch. Runs of ``base_batch`` are shared: its three rules are one and the same run
    (no warm-up there, since its rate is not scaled). Keys: ``(rule, batch_size)``.
    """
    sizes = [check_batch_size(int(b), len(train), "batch_sizes") for b in batch_sizes]
    check_positive("base_lr", base_lr)
    check_batch_size(base_batch, len(train), "base_batch")
    check_int("epochs", epochs, 1)
    check_positive("warmup_epochs", warmup_epochs)
    rules = [check_choice("rules", rule, LR_RULES) for rule in rules]
    runs: dict[tuple[str, int], VariantRun] = {}
    with cpu_threads(threads):
        for b in sizes:
            base_run = None
            for rule in rules:
                lr = base_lr if rule == "fixed" else scaled_lr(base_lr, b, base_batch)
                name = f"B={b}, lr={lr:.3g}"
                if b == base_batch and base_run is not None:
                    runs[rule, b] = base_run
                    continue
                model = new_model(width, depth=1, seed=seed, device=train.x.device)
                if rule == "scaled + warm-up" and b != base_batch:
                    run = _warmup_run(model, train, b, lr, epochs, seed, warmup_epochs, name + ", warm-up")
                else:
                    run = train_variant(model, train, batch_size=b, lr=lr, epochs=epochs, seed=seed, name=name,
                                        per_epoch=per_epoch)
                runs[rule, b] = run
                if b == base_batch:
                    base_run = run
    return runs


def final_loss(run: VariantRun) -> float:
    """Training loss (whole set) at the end of the run; infinity when it diverged."""
    return math.inf if run.history.diverged else float(run.curve["train_loss"].iloc[-1])


def sweep_table(runs: dict[tuple[str, int], VariantRun], base_batch: int, tolerance: float = 1.25) -> pd.DataFrame:
    """One row per run: rule, batch size, rate, updates, final loss and its ratio to ``base_batch``'s.

    ``together`` is True when the final loss is within ``tolerance`` times the base run's.
    """
    check_positive("tolerance", tolerance)
    rows = []
    for (rule, b), run in runs.items():
        reference = final_loss(runs[rule, base_batch]) if (rule, base_batch) in runs else math.nan
        loss = final_loss(run)
        rows.append({"rule": rule, "batch_size": b, "lr": run.lr, "updates": int(run.curve["updates"].iloc[-1]),
                     "final_loss": loss, "ratio": loss / reference, "together": loss <= tolerance * reference,
                     "diverged": run.history.diverged})
    return pd.DataFrame(rows)


def break_point(table: pd.DataFrame, rule: str = "scaled") -> int | None:
    """The smallest batch size from which ``rule``'s runs no longer stay together (None: never)."""
    rows = table[table["rule"] == rule].sort_values("batch_size")
    broken = rows[~rows["together"]]
    return int(broken["batch_size"].iloc[0]) if len(broken) else None


def loss_at(run: VariantRun, x_axis: str, value: float) -> float:
    """Whole-set training loss of ``run`` at ``value`` on ``x_axis`` (``epochs``, ``updates``, ``seconds``)."""
    return run.loss_at(check_x_axis(x_axis), value)


# --------------------------------------------------------------------------------------
# 3. Time to a target accuracy over learning rates x batch sizes
# --------------------------------------------------------------------------------------

def time_to_target(
    train: Split,
    val: Split,
    *,
    lrs: Sequence[float],
    batch_sizes: Sequence[int],
    target_acc: float,
    max_epochs: int,
    width: int = 64,
    seed: int = 0,
    threads: int | None = 1,
) -> pd.DataFrame:
    """For each (learning rate, batch size): epochs, updates and seconds until validation accuracy >= target.

    Each run is a `fit` with a callback that stops it at the first epoch whose validation
    accuracy reaches ``target_acc``; runs that never do within ``max_epochs`` (or diverge)
    get NaN and ``reached=False``. Seconds are `fit`'s training time (evaluations excluded).
    """
    rates = [check_positive("lrs", lr) for lr in lrs]
    sizes = [check_batch_size(int(b), len(train), "batch_sizes") for b in batch_sizes]
    if not 0 < target_acc < 1:
        raise ValueError(f"target_acc must be a number in (0, 1) (got {target_acc!r})")
    check_int("max_epochs", max_epochs, 1)

    def reached(history: History) -> bool:
        return bool(history.epochs["val_acc"].iloc[-1] >= target_acc)

    rows = []
    with cpu_threads(threads):
        for lr in rates:
            for b in sizes:
                model = new_model(width, depth=1, seed=seed, device=train.x.device)
                history = fit(model, train, val=val, epochs=max_epochs, lr=lr, batch_size=b, seed=seed,
                              callbacks=[reached], progress=False, verbose=False)
                hit = reached(history) and not history.diverged
                last = history.epochs.iloc[-1]
                epochs_run = int(last["epoch"])
                rows.append({"lr": lr, "batch_size": b, "reached": hit,
                             "epochs": epochs_run if hit else math.nan,
                             "updates": len(history.steps) if hit else math.nan,
                             "seconds": float(last["seconds"]) if hit else math.nan,
                             "best_val_acc": float(history.epochs["val_acc"].max()), "diverged": history.diverged})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# 6. Generalization at large batch; 7. increase the batch instead of decaying the rate
# --------------------------------------------------------------------------------------

def generalization_gap(
    train: Split,
    test: Split,
    *,
    small_batch: int,
    large_batch: int,
    base_lr: float,
    epochs: int,
    rule: str = "linear",
    width: int = 64,
    seed: int = 0,
    threads: int | None = 1,
) -> pd.DataFrame:
    """Test accuracy of a small and a large batch, at equal epochs and at equal updates.

    Rows: ``small`` (``small_batch`` at ``base_lr`` for ``epochs``), ``large, equal epochs``
    (``large_batch`` at the same rate and epochs: Keskar et al.'s comparison),
    ``large, scaled, equal epochs`` (rate scaled by ``rule``) and ``large, scaled, equal
    updates`` (scaled and trained for as many updates as the small run: Hoffer et al.'s
    "train longer"). Columns: ``run``, ``batch_size``, ``lr``, ``epochs``, ``updates``,
    ``train_loss``, ``train_acc``, ``test_acc``.
    """
    check_batch_size(small_batch, len(train), "small_batch")
    check_batch_size(large_batch, len(train), "large_batch")
    if large_batch <= small_batch:
        raise ValueError(f"large_batch must be larger than small_batch (got {large_batch} <= {small_batch})")
    check_positive("base_lr", base_lr)
    check_int("epochs", epochs, 1)
    large_lr = scaled_lr(base_lr, large_batch, small_batch, rule)
    small_updates = epochs * math.ceil(len(train) / small_batch)
    large_per_epoch = math.ceil(len(train) / large_batch)
    settings = [("small", small_batch, base_lr, epochs),
                ("large, equal epochs", large_batch, base_lr, epochs),
                ("large, scaled, equal epochs", large_batch, large_lr, epochs),
                ("large, scaled, equal updates", large_batch, large_lr, math.ceil(small_updates / large_per_epoch))]
    rows = []
    with cpu_threads(threads):
        for name, b, lr, n_epochs in settings:
            model = new_model(width, depth=1, seed=seed, device=train.x.device)
            history = fit(model, train, epochs=n_epochs, lr=lr, batch_size=b, seed=seed, progress=False,
                          verbose=False)
            _, test_acc = evaluate(model, test)
            rows.append({"run": name, "batch_size": b, "lr": lr, "epochs": n_epochs, "updates": len(history.steps),
                         "train_loss": history.final("train_loss"), "train_acc": history.final("train_acc"),
                         "test_acc": test_acc, "diverged": history.diverged})
    return pd.DataFrame(rows)


def increase_batch_vs_decay(
    train: Split,
    test: Split,
    *,
    batch_size: int,
    lr: float,
    factor: int,
    phases: int,
    epochs_per_phase: int,
    width: int = 64,
    seed: int = 0,
    threads: int | None = 1,
) -> dict[str, dict]:
    """Smith, Kindermans, Ying & Le (2018): decay the rate, or grow the batch by the same factor.

    ``"decay the rate"``: ``batch_size`` throughout, the rate divided by ``factor`` after
    every phase (a `step_decay` schedule stepped once per epoch). ``"grow the batch"``:
    the rate stays ``lr`` and the batch is multiplied by ``factor`` after every phase (one
    `fit` call per phase on the same model; plain SGD keeps no state between them).
    Both see the same number of epochs, so the same examples. Returns, per run, its
    ``test_acc``, ``updates``, per-epoch ``curve`` (epoch, train_loss, test_acc, ...) and
    the ``schedule`` (batch size and rate per phase).
    """
    check_batch_size(batch_size, len(train))
    check_positive("lr", lr)
    check_int("factor", factor, 2)
    check_int("phases", phases, 2)
    check_int("epochs_per_phase", epochs_per_phase, 1)
    largest = batch_size * factor ** (phases - 1)
    check_batch_size(largest, len(train), "batch_size * factor ** (phases - 1)")
    results = {}
    with cpu_threads(threads):
        model = new_model(width, depth=1, seed=seed, device=train.x.device)
        history = fit(model, train, test=test, epochs=phases * epochs_per_phase, lr=lr, batch_size=batch_size,
                      seed=seed, scheduler=step_decay(epochs_per_phase, gamma=1 / factor), scheduler_interval="epoch",
                      progress=False, verbose=False)
        results["decay the rate"] = {
            "test_acc": evaluate(model, test)[1], "updates": len(history.steps), "curve": history.epochs,
            "schedule": [(batch_size, lr / factor ** k) for k in range(phases)], "diverged": history.diverged}
        model = new_model(width, depth=1, seed=seed, device=train.x.device)
        tables, updates, diverged = [], 0, False
        for k in range(phases):
            b = batch_size * factor ** k
            phase = fit(model, train, test=test, epochs=epochs_per_phase, lr=lr, batch_size=b, seed=seed + k,
                        progress=False, verbose=False)
            shift = k * epochs_per_phase
            epochs_table = phase.epochs.iloc[(1 if k else 0):].assign(epoch=phase.epochs["epoch"] + shift)
            tables.append(epochs_table)
            updates += len(phase.steps)
            diverged = diverged or phase.diverged
        results["grow the batch"] = {
            "test_acc": evaluate(model, test)[1], "updates": updates, "curve": pd.concat(tables, ignore_index=True),
            "schedule": [(batch_size * factor ** k, lr) for k in range(phases)], "diverged": diverged}
    return results
