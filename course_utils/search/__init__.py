"""Hyperparameter search with Optuna, from one laptop to a whole class.

- `storage`: which storage a study lives in (a journal file by default, PostgreSQL to scale
  out), heartbeats for workers that die, and clear errors (`SearchError`).
- `study`: one definition of a search (`StudySpec`: space, objective on `fit`, sampler,
  pruner), stored in the study; `create_study`, `run_worker`, `best_trial_summary`.
- `postgres`: `LocalPostgres`, a throwaway PostgreSQL server for tests, benchmark and demos.
- `cli`: ``python -m course_utils.search worker --study NAME --storage URL --trials N`` and more.
"""
from .storage import (
                      DEFAULT_STORAGE,
                      STORAGE_ENV,
                      JournalHeartbeatStorage,
                      SearchError,
                      load_study,
                      open_storage,
                      redact,
                      resolve_storage,
)
from .study import (
                      DEFAULTS,
                      PRUNERS,
                      SAMPLERS,
                      SPACES,
                      Param,
                      StudySpec,
                      WorkerReport,
                      best_trial_summary,
                      create_study,
                      make_pruner,
                      make_sampler,
                      pruning_callback,
                      run_worker,
                      study_spec,
                      suggest,
                      trial_table,
)

__all__ = [
    "DEFAULT_STORAGE", "STORAGE_ENV", "JournalHeartbeatStorage", "SearchError", "load_study", "open_storage",
    "redact", "resolve_storage",
    "DEFAULTS", "PRUNERS", "SAMPLERS", "SPACES", "Param", "StudySpec", "WorkerReport", "best_trial_summary",
    "create_study", "make_pruner", "make_sampler", "pruning_callback", "run_worker", "study_spec", "suggest",
    "trial_table",
]
