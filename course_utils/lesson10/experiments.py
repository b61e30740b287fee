"""Lesson 10's experiments: the recipe, grid against random search, and Optuna's samplers and pruners.

1. `run_recipe`: baseline with defaults, then one change at a time (range test, one-cycle with
   cyclical momentum, batch size from throughput, weight-decay grid), every step trained for
   the same number of epochs on the same images: a table of each step's gain.
2. `grid_vs_random`: on `one_matters`, a function of two hyperparameters where only the first
   matters, the best value found by a grid, by random search and by a random subset of a
   finer grid, at the same number of trials, over many repeats (Bergstra & Bengio 2012).
3. `compare_samplers` and `compare_pruning`: Optuna's TPE against random sampling at the same
   number of trials, and successive halving against no pruning at the same number of epochs,
   with the objective that the command-line workers use (`course_utils.search`).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import optuna
import pandas as pd
import torch

from ..batch_runs import scaled_lr
from ..config import seed_everything
from ..data import Data
from ..lr_finder import lr_range_test
from ..models import mlp
from ..schedules import one_cycle
from ..search.study import OBJECTIVES, StudySpec, make_pruner, make_sampler
from ..throughput import measure_throughput, throughput_knee
from ..training import evaluate, fit
from ..validation import check_choice, check_int, check_non_negative, check_positive

BASELINE = {"lr": 0.01, "momentum": 0.0, "batch_size": 32, "weight_decay": 0.0}  # Keras's SGD defaults
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 1e-3)  # lesson 09's grid (Smith 2018)
BATCH_CHOICES = (32, 64, 128, 256)
MOMENTUM = 0.9
PEAK_FACTOR = 2.0


@dataclass(frozen=True)
class RecipeResult:
    """`run_recipe`'s table (one row per step) and what the range test and the throughput measured."""

    table: pd.DataFrame
    range_test: object
    throughput: pd.DataFrame
    knee_batch: float


def train_once(data: Data, *, lr: float, momentum: float, batch_size: int, weight_decay: float, epochs: int,
               one_cycle_momentum: bool, width: int = 128, seed: int = 0) -> dict:
    """Train the lesson's MLP once; validation and test accuracy and the seconds it took."""
    seed_everything(seed)
    model = mlp(width=width, depth=1)
    steps = epochs * math.ceil(len(data.train) / batch_size)
    schedule = one_cycle(steps, cycle_momentum=True) if one_cycle_momentum else None
    history = fit(model, data, epochs=epochs, lr=lr, momentum=momentum, weight_decay=weight_decay,
                  batch_size=batch_size, scheduler=schedule, seed=seed, progress=False, verbose=False)
    test_acc = evaluate(model, data.test)[1] if not history.diverged else 0.1
    return {"val_acc": history.final("val_acc") if not history.diverged else 0.1, "test_acc": test_acc,
            "seconds": float(history.epochs["seconds"].iloc[-1]), "diverged": history.diverged}


def run_recipe(data: Data, *, epochs: int, seed: int = 0, width: int = 128,
               batch_choices: tuple[int, ...] = BATCH_CHOICES, weight_decays: tuple[float, ...] = WEIGHT_DECAYS,
               batch_rule: str = "sqrt") -> RecipeResult:
    """The recipe, one step at a time; every step trains ``epochs`` epochs (the same compute).

    1. baseline: Keras's SGD defaults (lr 0.01, no momentum, batch 32); 2. the range test's
    rate (lesson 06); 3. one-cycle to 3x that rate with momentum cycled 0.95 -> 0.85 (Smith
    2018); 4. the batch size at the knee of lesson 07's throughput curve (among ``batch_choices``),
    the rate scaled by ``batch_rule``; 5. lesson 09's weight-decay grid, chosen on validation.
    Test accuracy is measured for every step but chooses nothing.
    """
    check_int("epochs", epochs, 1)
    check_choice("batch_rule", batch_rule, ("linear", "sqrt", "none"))
    if not weight_decays or any(check_non_negative("weight_decays", w) != w for w in weight_decays):
        raise ValueError(f"weight_decays must be a non-empty tuple of numbers >= 0 (got {weight_decays!r})")
    rows = []

    def step(name: str, changed: str, settings: dict, cycle: bool) -> dict:
        result = train_once(data, epochs=epochs, one_cycle_momentum=cycle, width=width, seed=seed, **settings)
        rows.append({"step": name, "changed": changed, **settings, "one_cycle": cycle, **result})
        return result

    step("1 baseline", "defaults", dict(BASELINE), False)
    seed_everything(seed)
    # The range test runs with the momentum the next steps train with (Smith 2018 tests with it).
    found = lr_range_test(mlp(width=width, depth=1), data.train, batch_size=BASELINE["batch_size"], start_lr=1e-5,
                          end_lr=10.0, steps=100, momentum=MOMENTUM, seed=seed, progress=False)
    lr = float(found.suggestion)
    step("2 range test", f"lr {lr:.3g}, momentum {MOMENTUM}", {**BASELINE, "lr": lr, "momentum": MOMENTUM}, False)
    peak = PEAK_FACTOR * lr  # one-cycle's warm-up and decay make a peak above the constant rate safe
    step("3 one-cycle", f"peak lr {peak:.3g}, momentum 0.95->0.85", {**BASELINE, "lr": peak, "momentum": MOMENTUM},
         True)
    usable = tuple(b for b in batch_choices if b <= len(data.train) // 4)
    throughput = measure_throughput(data.train, usable, make_model=lambda: mlp(width=width, depth=1),
                                    min_samples=2048, repeats=2, threads=1)
    knee = throughput_knee(throughput).batch_size
    batch = min(usable, key=lambda b: abs(math.log(b / knee)))
    peak_b = scaled_lr(peak, batch, BASELINE["batch_size"], batch_rule)
    step("4 batch size", f"batch {batch}, peak lr {peak_b:.3g}",
         {**BASELINE, "lr": peak_b, "momentum": MOMENTUM, "batch_size": batch}, True)
    trials = [train_once(data, lr=peak_b, momentum=MOMENTUM, batch_size=batch, weight_decay=w, epochs=epochs,
                         one_cycle_momentum=True, width=width, seed=seed) for w in weight_decays]
    best = int(np.argmax([t["val_acc"] for t in trials]))
    wd = weight_decays[best]
    rows.append({"step": "5 weight decay", "changed": f"weight decay {wd:g} (best on validation)", "lr": peak_b,
                 "momentum": MOMENTUM, "batch_size": batch, "weight_decay": wd, "one_cycle": True, **trials[best]})
    table = pd.DataFrame(rows)
    table["test_gain"] = table["test_acc"].diff().fillna(0.0)
    return RecipeResult(table, found, throughput, knee)


# --------------------------------------------------------------------------------------
# 2. Grid against random search
# --------------------------------------------------------------------------------------

def one_matters(a: np.ndarray, b: np.ndarray, peak: float = 0.37, width: float = 0.08,
                weight_b: float = 0.02) -> np.ndarray:
    """A score in [0, 1 + weight_b] of two hyperparameters in [0, 1]: a narrow peak in ``a``,
    a gentle slope of height ``weight_b`` in ``b`` (the unimportant one)."""
    return np.exp(-(((np.asarray(a) - peak) / width) ** 2)) + weight_b * np.asarray(b)


def grid_points(n_trials: int) -> np.ndarray:
    """A square grid of ``n_trials`` (a perfect square) points: k values per axis, at cell centres."""
    k = math.isqrt(check_int("n_trials", n_trials, 1))
    if k * k != n_trials:
        raise ValueError(f"n_trials must be a perfect square for a square grid (got {n_trials})")
    axis = (np.arange(k) + 0.5) / k
    a, b = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([a.ravel(), b.ravel()], 1)


def grid_vs_random(n_trials: int = 9, repeats: int = 200, *, seed: int = 0, weight_b: float = 0.02,
                   fine: int = 5, objective: Callable = one_matters) -> pd.DataFrame:
    """Best score of each design over ``repeats`` repeats, the optimum's location moving each time.

    Designs, all with ``n_trials`` trials: ``grid`` (a square grid), ``random`` (uniform
    points), ``random grid`` (``n_trials`` points drawn at random from a ``fine`` x ``fine``
    grid: the article's "random grid search", and, like any grid, only ``fine`` distinct
    values of each hyperparameter). One row per repeat: the peak and each design's best score.
    """
    check_int("repeats", repeats, 1)
    check_non_negative("weight_b", weight_b)
    check_int("fine", fine, 2)
    if fine * fine < n_trials:
        raise ValueError(f"fine x fine must hold at least n_trials points (got fine={fine}, n_trials={n_trials})")
    grid = grid_points(n_trials)
    fine_grid = grid_points(fine * fine)
    rng = np.random.default_rng(seed)
    rows = []
    for repeat in range(repeats):
        peak = rng.uniform(0.1, 0.9)
        scores = {
            "grid": objective(grid[:, 0], grid[:, 1], peak=peak, weight_b=weight_b),
            "random": (lambda p: objective(p[:, 0], p[:, 1], peak=peak, weight_b=weight_b))(
                rng.uniform(0, 1, (n_trials, 2))),
            "random grid": (lambda p: objective(p[:, 0], p[:, 1], peak=peak, weight_b=weight_b))(
                fine_grid[rng.choice(len(fine_grid), n_trials, replace=False)]),
        }
        rows.append({"repeat": repeat, "peak": peak, **{name: float(s.max()) for name, s in scores.items()}})
    return pd.DataFrame(rows)


def random_wins(table: pd.DataFrame, other: str = "grid") -> float:
    """Fraction of repeats in which random search found a strictly better score than ``other``."""
    return float((table["random"] > table[other]).mean())


# --------------------------------------------------------------------------------------
# 3. Optuna: samplers and pruners, on the command line's objective
# --------------------------------------------------------------------------------------

def _optimize(spec: StudySpec, n_trials: int, seed: int, sampler: str, pruner: str = "none",
              max_epochs: int | None = None) -> optuna.Study:
    study = optuna.create_study(direction="maximize", sampler=make_sampler(sampler, seed),
                                pruner=make_pruner(pruner, spec.epochs))
    objective = OBJECTIVES[spec.objective]
    used = {"epochs": 0}

    def stop_at_budget(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        used["epochs"] += trial.user_attrs.get("epochs_run", spec.epochs)
        if max_epochs is not None and used["epochs"] >= max_epochs:
            study.stop()

    torch_threads = torch.get_num_threads()
    study.optimize(lambda trial: objective(trial, spec), n_trials=n_trials if max_epochs is None else 10_000,
                   callbacks=[stop_at_budget])
    torch.set_num_threads(torch_threads)  # the objective trains on one thread, like a worker
    return study


def compare_samplers(spec: StudySpec, n_trials: int, *, seed: int = 0,
                     samplers: tuple[str, ...] = ("random", "tpe")) -> dict[str, optuna.Study]:
    """One study per sampler, ``n_trials`` trials each (an equal budget): {sampler: study}."""
    check_int("n_trials", n_trials, 1)
    return {name: _optimize(spec, n_trials, seed, name) for name in samplers}


def compare_pruning(spec: StudySpec, n_trials: int, *, seed: int = 0, pruner: str = "halving") -> dict:
    """No pruning for ``n_trials`` trials, against ``pruner`` given the same number of epochs.

    Returns {"none": study, pruner: study}; each trial records ``epochs_run``.
    """
    check_int("n_trials", n_trials, 1)
    check_positive("epochs", spec.epochs)
    budget = n_trials * spec.epochs
    return {"none": _optimize(spec, n_trials, seed, "random"),
            pruner: _optimize(spec, n_trials, seed, "random", pruner=pruner, max_epochs=budget)}


def study_summary(studies: dict[str, optuna.Study]) -> pd.DataFrame:
    """Per study: trials, completed and pruned trials, epochs trained and the best value."""
    rows = []
    for name, study in studies.items():
        trials = study.get_trials(deepcopy=False)
        states = [t.state for t in trials]
        rows.append({"study": name, "trials": len(trials),
                     "pruned": sum(s == optuna.trial.TrialState.PRUNED for s in states),
                     "epochs": sum(t.user_attrs.get("epochs_run", 0) for t in trials),
                     "best_val_acc": study.best_value})
    return pd.DataFrame(rows)
