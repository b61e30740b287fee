"""One definition of a search: the space, the objective, the sampler and pruner, stored with the study.

`create_study` writes a `StudySpec` into the study itself (as user attributes), so every worker,
on this machine or a student's laptop, reads the same search space and objective from the
storage: a student needs only the study's name and the storage URL. `run_worker` runs trials
until it has done its share, surviving a lost database connection.

Objectives:

- ``"fashion"``: trains the course's MLP on a Fashion-MNIST subset with `fit` and returns the
  validation accuracy (maximised). Each epoch is reported to Optuna through `fit`'s
  ``callbacks``, and the pruner may stop the run there.
- ``"synthetic"``: a formula of the parameters plus a short sleep. It trains nothing, so it
  tests storage and concurrency (and measures their overhead) without using the CPU.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import optuna

from ..validation import check_choice, check_int, check_non_negative
from .storage import SearchError, is_connection_error, load_study, open_storage, redact, resolve_storage


@dataclass(frozen=True)
class Param:
    """One hyperparameter's range: floats (``log`` for scale parameters) or a list of ``choices``."""

    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple = ()

    def suggest(self, trial: optuna.Trial, name: str):
        """Ask ``trial`` for a value of ``name`` in this range."""
        if self.choices:
            return trial.suggest_categorical(name, list(self.choices))
        return trial.suggest_float(name, self.low, self.high, log=self.log)


# The search space of the course's model (lessons 05-09's knobs) and of the synthetic objective.
SPACES: dict[str, dict[str, Param]] = {
    "fashion": {
        "lr": Param(1e-3, 1.0, log=True),
        "momentum": Param(0.0, 0.95),
        "weight_decay": Param(1e-6, 1e-2, log=True),
        "batch_size": Param(choices=(32, 64, 128, 256)),
        "width": Param(choices=(32, 64, 128, 256)),
    },
    "synthetic": {"x": Param(-5.0, 5.0), "y": Param(-5.0, 5.0)},
}
# What a parameter left out of the search is fixed to.
DEFAULTS = {"lr": 0.05, "momentum": 0.0, "weight_decay": 0.0, "batch_size": 128, "width": 64, "x": 0.0, "y": 0.0}
SAMPLERS = ("tpe", "random", "qmc")
PRUNERS = ("none", "median", "halving", "hyperband")


@dataclass(frozen=True)
class StudySpec:
    """Everything a worker needs to run a study's trials; stored in the study (see module docstring).

    ``params``: the searched hyperparameters (keys of ``SPACES[objective]``); the others keep
    ``DEFAULTS``. ``epochs``, ``n_train``, ``n_val``: the Fashion-MNIST budget of one trial.
    ``trial_seconds``: how long a synthetic trial sleeps (a stand-in for training).
    """

    objective: str = "fashion"
    params: tuple[str, ...] = ("lr", "momentum")
    sampler: str = "tpe"
    pruner: str = "none"
    epochs: int = 3
    n_train: int = 1000
    n_val: int = 500
    trial_seconds: float = 0.05
    data_seed: int = 0
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_choice("objective", self.objective, SPACES)
        unknown = [p for p in self.params if p not in SPACES[self.objective]]
        if unknown or not self.params:
            raise SearchError(f"unknown search-space key(s) {unknown or 'none given'} for the {self.objective!r} "
                              f"objective. Fix: choose among {', '.join(SPACES[self.objective])}.")
        check_choice("sampler", self.sampler, SAMPLERS)
        check_choice("pruner", self.pruner, PRUNERS)
        check_int("epochs", self.epochs, 1)
        check_int("n_train", self.n_train, 1, 59_000)
        check_int("n_val", self.n_val, 1, 60_000 - self.n_train)
        check_non_negative("trial_seconds", self.trial_seconds)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> StudySpec:
        values = json.loads(text)
        values["params"] = tuple(values["params"])
        return cls(**values)


SPEC_KEY = "course:spec"


def make_sampler(name: str, seed: int | None = None) -> optuna.samplers.BaseSampler:
    """Optuna's sampler by name: ``tpe`` (model-based), ``random`` or ``qmc`` (Sobol, evenly spread)."""
    name = check_choice("sampler", name, SAMPLERS)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.QMCSampler(seed=seed, scramble=True)


def make_pruner(name: str, max_resource: int = 3) -> optuna.pruners.BasePruner:
    """Optuna's pruner by name; ``max_resource`` is a trial's number of epochs."""
    name = check_choice("pruner", name, PRUNERS)
    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_resource, reduction_factor=3)


def create_study(name: str, storage=None, spec: StudySpec | None = None, *, exists_ok: bool = True,
                 opened=None) -> optuna.Study:
    """Create the study ``name`` (maximising) in ``storage`` with ``spec`` stored in it.

    With ``exists_ok`` an existing study of that name is returned as it is (its own spec wins).
    ``opened``: an already opened storage (from `open_storage`), else ``storage`` is opened.
    """
    spec = spec or StudySpec()
    if not isinstance(name, str) or not name.strip():
        raise SearchError("the study needs a name. Fix: pass --study NAME (letters, digits, - or _).")
    opened = opened or open_storage(storage)
    try:
        study = optuna.create_study(study_name=name, storage=opened, direction="maximize",
                                    load_if_exists=exists_ok)
    except optuna.exceptions.DuplicatedStudyError:
        raise SearchError(f"a study named {name!r} already exists. Fix: pick another name or reuse it.") from None
    except Exception as error:
        if is_connection_error(error):
            from .storage import storage_error
            raise storage_error(resolve_storage(storage), error) from None
        raise
    if SPEC_KEY not in study.user_attrs:
        study.set_user_attr(SPEC_KEY, spec.to_json())
    return study


def study_spec(study: optuna.Study) -> StudySpec:
    """The `StudySpec` stored in ``study`` (a `SearchError` if it was not created by this tool)."""
    text = study.user_attrs.get(SPEC_KEY)
    if text is None:
        raise SearchError(f"study {study.study_name!r} was not created by course_utils.search (it has no spec). "
                          "Fix: create it with python -m course_utils.search create.")
    return StudySpec.from_json(text)


def suggest(trial: optuna.Trial, spec: StudySpec) -> dict:
    """The trial's hyperparameters: suggested for ``spec.params``, ``DEFAULTS`` for the rest."""
    space = SPACES[spec.objective]
    values = {name: DEFAULTS[name] for name in space}
    values.update({name: space[name].suggest(trial, name) for name in spec.params})
    return values


def synthetic_objective(trial: optuna.Trial, spec: StudySpec) -> float:
    """A peak at (x, y) = (1, -2) after a sleep of ``spec.trial_seconds``; reports 3 steps for pruners."""
    values = suggest(trial, spec)
    score = -((values["x"] - 1.0) ** 2) - 0.1 * (values["y"] + 2.0) ** 2
    for step in range(3):
        time.sleep(spec.trial_seconds / 3)
        trial.report(score - (2 - step), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return score


_DATA_CACHE: dict = {}


def pruning_callback(trial: optuna.Trial) -> Callable:
    """A `fit` callback: report each epoch's validation accuracy; stop when the pruner says so."""
    def callback(history) -> bool:
        epoch = int(history.epochs["epoch"].iloc[-1])
        trial.report(history.final("val_acc"), epoch)
        return trial.should_prune()
    return callback


def fashion_objective(trial: optuna.Trial, spec: StudySpec) -> float:
    """Train the course MLP with the trial's hyperparameters; return the validation accuracy."""
    import torch  # only the Fashion-MNIST objective needs torch: synthetic workers start fast

    from ..config import seed_everything
    from ..data import fashion_mnist
    from ..models import mlp
    from ..training import fit

    key = (spec.n_train, spec.n_val, spec.data_seed)
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = fashion_mnist(spec.n_train, spec.n_val, 1, seed=spec.data_seed, device="cpu")
    data = _DATA_CACHE[key]
    values = suggest(trial, spec)
    torch.set_num_threads(max(1, int(os.environ.get("COURSE_SEARCH_THREADS", "1"))))
    seed_everything(spec.data_seed + trial.number)
    model = mlp(width=values["width"], depth=1)
    history = fit(model, data, epochs=spec.epochs, lr=values["lr"], momentum=values["momentum"],
                  weight_decay=values["weight_decay"], batch_size=min(values["batch_size"], spec.n_train),
                  seed=trial.number, callbacks=[pruning_callback(trial)], progress=False, verbose=False)
    accuracy = history.final("val_acc")
    trial.set_user_attr("epochs_run", int(history.epochs["epoch"].iloc[-1]))
    trial.set_user_attr("diverged", bool(history.diverged))
    if len(history.epochs) - 1 < spec.epochs and not history.diverged:
        raise optuna.TrialPruned()
    return accuracy if math.isfinite(accuracy) else 0.0


OBJECTIVES: dict[str, Callable[[optuna.Trial, StudySpec], float]] = {
    "fashion": fashion_objective, "synthetic": synthetic_objective,
}


@dataclass
class WorkerReport:
    """What one worker did: the numbers of the trials it finished, and lost connections survived."""

    study: str
    trials: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    reconnects: int = 0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))


def run_worker(name: str, storage=None, n_trials: int = 10, *, seed: int | None = None, heartbeat_interval: int = 10,
               grace_period: int | None = None, retries: int = 5, retry_wait: float = 2.0,
               log: Callable[[str], None] | None = print, opened=None) -> WorkerReport:
    """Run ``n_trials`` trials of the study ``name``, one after another, and report them.

    A lost database connection (network blip, server restart) is waited out up to ``retries``
    times, ``retry_wait`` seconds apart: trials already stored are safe in the database, the
    interrupted trial is failed by the heartbeat and retried by some worker.
    """
    check_int("n_trials", n_trials, 1, None, "a worker must run at least one trial")
    check_int("retries", retries, 0)
    url = resolve_storage(storage)
    opened = opened or open_storage(url, heartbeat_interval=heartbeat_interval, grace_period=grace_period)
    probe = load_study(name, opened)
    spec = study_spec(probe)
    study = load_study(name, opened, sampler=make_sampler(spec.sampler, seed),
                       pruner=make_pruner(spec.pruner, spec.epochs))
    objective = OBJECTIVES[spec.objective]
    report = WorkerReport(study=name)

    def record(_study, trial: optuna.trial.FrozenTrial) -> None:
        report.trials.append(trial.number)
        report.states.append(trial.state.name)
        if log:
            log(f"trial {trial.number}: {trial.state.name} value={trial.value} params={trial.params}")

    worker = f"{socket.gethostname()}:{os.getpid()}"

    def run_trial(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", worker)  # who ran it: shown in the dashboard, used by the tests
        return objective(trial, spec)

    lost = 0
    while len(report.trials) < n_trials:
        try:
            study.optimize(run_trial, n_trials=1, callbacks=[record],
                           gc_after_trial=False, show_progress_bar=False)
            lost = 0
        except Exception as error:
            if not is_connection_error(error) or lost >= retries:
                if is_connection_error(error):
                    from .storage import storage_error
                    raise storage_error(url, error) from None
                raise
            lost += 1
            report.reconnects += 1
            if log:
                log(f"lost the connection to {redact(url)} ({lost}/{retries}); trials already stored are safe; "
                    f"retrying in {retry_wait:g} s")
            time.sleep(retry_wait)
    return report


def best_trial_summary(name: str, storage=None) -> dict:
    """The study's best trial (number, value, params) and its trial counts by state."""
    study = load_study(name, open_storage(storage))
    trials = study.get_trials(deepcopy=False)
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = study.best_trial if complete else None
    return {"study": name, "counts": counts, "best_number": best.number if best else None,
            "best_value": best.value if best else None, "best_params": best.params if best else None}


def trial_table(study: optuna.Study, columns: Sequence[str] = ("number", "state", "value")):
    """The study's trials as a pandas table (Optuna's `trials_dataframe`), the chosen columns first."""
    frame = study.trials_dataframe()
    first = [c for c in columns if c in frame.columns]
    return frame[first + [c for c in frame.columns if c.startswith("params_")]]
