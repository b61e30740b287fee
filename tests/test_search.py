"""The search tool (course_utils.search): storage choice, clear errors, and many workers on one study.

The multi-worker scenarios (`check_concurrent_workers`, `check_killed_worker`) take a storage
URL; this file runs them on the embedded journal file, tests/test_search_postgres.py on a real
PostgreSQL server. Their trials train nothing (a formula and a short sleep): the tests are about
the storage, not about learning, and 4 processes must fit on 2 CPU cores.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest

from course_utils.search import (
    SearchError,
    StudySpec,
    create_study,
    load_study,
    open_storage,
    pruning_callback,
    redact,
    resolve_storage,
    run_worker,
)
from course_utils.search.cli import main
from course_utils.search.postgres import free_port
from course_utils.search.storage import HEARTBEAT_KEY, JournalHeartbeatStorage
from course_utils.search.workers import run_workers, start_worker

COMPLETE, RUNNING, FAIL = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.RUNNING,
                           optuna.trial.TrialState.FAIL)
optuna.logging.set_verbosity(optuna.logging.WARNING)


def synthetic(seconds: float) -> StudySpec:
    return StudySpec(objective="synthetic", params=("x", "y"), sampler="random", trial_seconds=seconds)


# ----------------------------------------------------------------------------- the shared scenarios

def check_concurrent_workers(url: str, name: str, n_workers: int = 4, trials_each: int = 6) -> None:
    """``n_workers`` processes at once: every trial stored once, none lost, same best from every process."""
    create_study(name, url, synthetic(0.3))
    results, _ = run_workers(name, url, n_workers, trials_each)
    for result in results:
        assert result.returncode == 0 and result.report, result.stderr[-2000:]
    reported = [number for result in results for number in result.report["trials"]]
    assert len(reported) == n_workers * trials_each
    assert len(set(reported)) == len(reported), "a trial was reported by two workers"

    study = load_study(name, open_storage(url))
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(n_workers * trials_each)), "numbers lost or duplicated"
    assert sorted(reported) == [t.number for t in trials], "the storage and the workers disagree"
    assert {t.state for t in trials} == {COMPLETE}
    workers = {t.user_attrs["worker"] for t in trials}
    assert len(workers) == n_workers
    # They really ran at the same time: some trials of different workers overlap in time.
    overlaps = sum(a.user_attrs["worker"] != b.user_attrs["worker"] and a.datetime_start < b.datetime_complete
                   and b.datetime_start < a.datetime_complete for a in trials for b in trials if a.number < b.number)
    assert overlaps > 0, "the workers never ran concurrently"

    readers = [subprocess.Popen([sys.executable, "-m", "course_utils.search", "best", "--study", name,
                                 "--storage", url], stdout=subprocess.PIPE, text=True) for _ in range(4)]
    answers = [json.loads(reader.communicate(timeout=120)[0]) for reader in readers]
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["best_number"] == study.best_trial.number
    assert answers[0]["counts"] == {"COMPLETE": n_workers * trials_each}


def check_killed_worker(url: str, name: str) -> None:
    """SIGKILL a worker mid-trial: its trial is failed (heartbeat) and retried, the others go on, nothing lost."""
    create_study(name, url, synthetic(0.5))
    options = {"heartbeat": 1, "grace": 2}
    victim = start_worker(name, url, 100, **options)
    others = [start_worker(name, url, 10, **options) for _ in range(3)]
    study = load_study(name, open_storage(url, heartbeat_interval=1, grace_period=2))
    deadline = time.monotonic() + 120
    try:
        while True:  # wait until the victim has finished a trial and is early in the next one
            trials = study.get_trials(deepcopy=False)
            mine = [t for t in trials if t.user_attrs.get("worker", "").endswith(f":{victim.pid}")]
            fresh = [t for t in mine if t.state == RUNNING and time.time() - t.datetime_start.timestamp() < 0.3]
            if fresh and any(t.state == COMPLETE for t in mine):
                break
            assert time.monotonic() < deadline, "the victim never started a trial"
            time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        before = {t.number: (t.state, t.value, t.params) for t in study.get_trials() if t.state.is_finished()}
        killed = [t for t in study.get_trials() if t.state == RUNNING and t.user_attrs["worker"].endswith(
            f":{victim.pid}")]
        assert len(killed) == 1, "the victim was not killed in the middle of a trial"
        results = [_collect(process) for process in others]
    finally:
        for process in [victim, *others]:
            if process.poll() is None:
                process.kill()
    for result in results:
        assert result.returncode == 0 and len(result.report["trials"]) == 10, result.stderr[-2000:]

    trials = {t.number: t for t in study.get_trials()}
    dead = trials[killed[0].number]
    assert dead.state == FAIL, f"the killed worker's trial is {dead.state.name}"
    retries = [t for t in trials.values() if t.system_attrs.get("failed_trial") == dead.number]
    # The retry reruns the dead trial's parameters (one killed between two suggestions gets the rest anew).
    assert len(retries) == 1 and retries[0].state == COMPLETE and dead.params.items() <= retries[0].params.items()
    for number, recorded in before.items():
        assert (trials[number].state, trials[number].value, trials[number].params) == recorded, number
    assert not [t for t in trials.values() if not t.state.is_finished()], "a trial was left running or waiting"


def _collect(process):
    from course_utils.search.workers import collect
    return collect(process, timeout=180)


# ----------------------------------------------------------------------------- storage choice and errors

def test_storage_defaults_to_the_project_journal_file(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_SEARCH_STORAGE", raising=False)
    assert resolve_storage().endswith("data/optuna-studies.log")
    monkeypatch.setenv("COURSE_SEARCH_STORAGE", str(tmp_path / "env.log"))
    assert resolve_storage() == str(tmp_path / "env.log")
    assert resolve_storage("postgresql://a:b@h:1/d") == "postgresql://a:b@h:1/d"  # the argument wins
    assert isinstance(open_storage(tmp_path / "x.log"), JournalHeartbeatStorage)


def test_unknown_scheme_and_missing_folder_are_explained(tmp_path):
    with pytest.raises(SearchError, match="unknown scheme 'redis'.*postgresql://"):
        resolve_storage("redis://localhost")
    with pytest.raises(SearchError, match="does not exist.*Fix"):
        open_storage(tmp_path / "no" / "such" / "x.log")


def test_redact_hides_the_password():
    assert redact("postgresql://ann:secret@h:5432/db") == "postgresql://ann:***@h:5432/db"
    assert redact("/tmp/x.log") == "/tmp/x.log"


def test_spec_rejects_unknown_keys_and_bad_values():
    with pytest.raises(SearchError, match=r"\['dropout'\].*Fix: choose among lr, momentum"):
        StudySpec(params=("lr", "dropout"))
    with pytest.raises(ValueError, match="sampler"):
        StudySpec(sampler="grid")
    with pytest.raises(ValueError, match="epochs"):
        StudySpec(epochs=0)
    assert StudySpec.from_json(StudySpec(params=("lr",)).to_json()) == StudySpec(params=("lr",))


def _cli_error(capsys, *argv) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and "Fix" in err, err
    return err


def test_cli_errors_name_the_problem_and_the_fix(capsys, tmp_path):
    log = str(tmp_path / "s.log")
    assert main(["create", "--study", "known", "--storage", log, "--objective", "synthetic", "--params", "x"]) == 0
    assert "no study named 'nope'" in _cli_error(capsys, "worker", "--study", "nope", "--storage", log, "--trials", "2")
    assert "--trials must be at least 1" in _cli_error(capsys, "worker", "--study", "known", "--storage", log,
                                                       "--trials", "0")
    assert "['z']" in _cli_error(capsys, "create", "--study", "b", "--storage", log, "--objective", "synthetic",
                                 "--params", "x,z")
    url = f"postgresql://ann:pw@127.0.0.1:{free_port()}/db"
    message = _cli_error(capsys, "worker", "--study", "known", "--storage", url, "--trials", "1")
    assert "cannot reach a database server" in message and "pw" not in message


def test_run_worker_rejects_a_zero_budget(tmp_path):
    with pytest.raises(ValueError, match="n_trials must be an integer.*at least one trial"):
        run_worker("s", tmp_path / "x.log", 0)


# ----------------------------------------------------------------------------- heartbeat on the journal

@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::optuna.exceptions.ExperimentalWarning")
def test_a_stale_journal_trial_is_failed_and_retried(tmp_path):
    storage = open_storage(tmp_path / "h.log", heartbeat_interval=1, grace_period=2)
    study = create_study("h", opened=storage, spec=synthetic(0))
    done = study.ask()
    done.suggest_float("x", -5, 5)
    study.tell(done, 1.0)
    trial = study.ask()
    trial.suggest_float("x", -5, 5)
    storage.set_trial_system_attr(trial._trial_id, HEARTBEAT_KEY, time.time() - 60)  # its worker died long ago
    alive = study.ask()
    storage.record_heartbeat(alive._trial_id)
    optuna.storages.fail_stale_trials(study)
    states = {t.number: t.state for t in study.get_trials()}
    assert states[trial.number] == FAIL and states[alive.number] == RUNNING and states[done.number] == COMPLETE
    retry = study.get_trials()[-1]
    assert retry.state == optuna.trial.TrialState.WAITING and retry.system_attrs["failed_trial"] == trial.number
    assert retry.params == {"x": trial.params["x"]}


# ----------------------------------------------------------------------------- the Fashion-MNIST objective

class _AlwaysPrune(optuna.pruners.BasePruner):
    def prune(self, study, trial) -> bool:
        return True


def test_fashion_trials_train_and_pruning_stops_fit_after_one_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", os.environ.get("COURSE_DATA_DIR", "/work/shared/datasets"))
    spec = StudySpec(objective="fashion", params=("lr",), epochs=2, n_train=300, n_val=200)
    report = run_worker("f", None, 2, opened=_with_study(tmp_path, spec), seed=0, log=None)
    assert report.states == ["COMPLETE", "COMPLETE"]
    study = load_study("f", open_storage(tmp_path / "f.log"))
    assert all(0.1 < t.value <= 1 and t.user_attrs["epochs_run"] == 2 for t in study.trials)
    assert [sorted(t.intermediate_values) for t in study.trials] == [[1, 2], [1, 2]]  # each epoch reported

    pruned = optuna.create_study(direction="maximize", pruner=_AlwaysPrune())
    from course_utils.search.study import fashion_objective
    pruned.optimize(lambda trial: fashion_objective(trial, spec), n_trials=1)
    trial = pruned.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED and trial.user_attrs["epochs_run"] == 1
    assert callable(pruning_callback(trial=pruned.ask()))


def _with_study(tmp_path, spec):
    storage = open_storage(tmp_path / "f.log")
    create_study("f", opened=storage, spec=spec)
    return storage


# ----------------------------------------------------------------------------- many workers, one journal file

def test_four_workers_share_one_journal_file(tmp_path):
    check_concurrent_workers(str(tmp_path / "many.log"), "many")


def test_a_killed_worker_leaves_the_journal_study_usable(tmp_path):
    check_killed_worker(str(tmp_path / "kill.log"), "kill")
