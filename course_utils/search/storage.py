"""Where a study lives: an embedded journal file by default, a PostgreSQL server to scale out.

One string names a storage, as on Optuna's command line:

- a file path (``data/optuna-studies.log``, the default): Optuna's *journal* storage, an
  append-only log that many processes on one machine can share, with a lock file. No server.
- ``postgresql://user:password@host:port/database``: Optuna's relational storage on a
  PostgreSQL server, reachable from many machines: how a whole class searches one study.
- ``sqlite:///path.db`` is accepted but not recommended for several workers: SQLite locks the
  whole database file for each write, and concurrent workers soon fail with
  ``sqlite3.OperationalError: database is locked``.

`resolve_storage` picks the string (argument, else ``COURSE_SEARCH_STORAGE``, else the default
file); `open_storage` opens it with a heartbeat, so that the trial of a worker that died
(killed, machine off, network gone) is marked failed after ``grace_period`` seconds and run
again by another worker (Optuna's `RetryHeartbeatStaleTrialCallback`). Optuna gives the heartbeat
to relational storages only; `JournalHeartbeatStorage` adds the same mechanism to the journal
file. Every failure to reach a storage becomes one `SearchError` that names the problem and the fix.
"""
from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage, JournalStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

STORAGE_ENV = "COURSE_SEARCH_STORAGE"
DEFAULT_STORAGE = Path(__file__).resolve().parents[2] / "data" / "optuna-studies.log"
RDB_SCHEMES = ("postgresql", "postgresql+psycopg2", "sqlite", "mysql", "mysql+pymysql")
HEARTBEAT_KEY = "course:heartbeat"  # a trial system attribute: the last time its worker was alive


class SearchError(ValueError):
    """A search could not start or go on; the message names the problem and the fix."""


def resolve_storage(storage: str | os.PathLike | None = None) -> str:
    """The storage to use: ``storage``, else ``$COURSE_SEARCH_STORAGE``, else the project's journal file."""
    chosen = storage if storage not in (None, "") else os.environ.get(STORAGE_ENV) or DEFAULT_STORAGE
    text = str(chosen).strip()
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in RDB_SCHEMES:
            raise SearchError(f"storage {redact(text)!r} has the unknown scheme {scheme!r}. Fix: give a file path "
                              "(journal storage, one machine) or a URL postgresql://user:password@host:port/db.")
        return text
    return str(Path(text).expanduser().resolve())


def driver_url(url: str) -> str:
    """``url`` with the database driver made explicit for SQLAlchemy.

    SQLAlchemy 2.1 reads ``postgresql://`` as the psycopg 3 driver; the course installs psycopg2
    (its conda-forge package is the common one), so a bare ``postgresql://`` gets ``+psycopg2``.
    """
    if url.startswith("postgresql://"):
        return "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url


def is_file_storage(url: str) -> bool:
    """True for a journal file, False for a database URL."""
    return "://" not in url


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and logs)."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


class JournalHeartbeatStorage(JournalStorage, BaseHeartbeat):
    """Optuna's journal storage plus the heartbeat its relational storage has.

    While a trial runs, its worker writes the time into the trial (a system attribute) every
    ``heartbeat_interval`` seconds. Before each new trial, every worker looks for running trials
    whose last heartbeat is older than ``grace_period`` and marks them failed (Optuna's
    `fail_stale_trials`, which then calls ``stale_trial_callback``, e.g. a retry). Optuna drives
    all of this for any storage that is a `BaseHeartbeat`; this class only supplies the four methods.
    """

    def __init__(self, path: str, *, heartbeat_interval: int | None = 10, grace_period: int | None = None,
                 stale_trial_callback=None) -> None:
        super().__init__(JournalFileBackend(path))
        self._heartbeat_interval = heartbeat_interval
        self._grace_period = grace_period if grace_period is not None else 2 * (heartbeat_interval or 0)
        self._stale_trial_callback = stale_trial_callback

    def record_heartbeat(self, trial_id: int) -> None:
        try:
            self.set_trial_system_attr(trial_id, HEARTBEAT_KEY, time.time())
        except UpdateFinishedTrialError:
            # Another worker judged this trial dead (we were too slow): the retry takes over.
            pass

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = time.time()
        stale = []
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            started = trial.datetime_start.timestamp() if trial.datetime_start else now
            last = trial.system_attrs.get(HEARTBEAT_KEY, started)
            if now - last > self._grace_period:
                stale.append(trial._trial_id)
        return stale

    def get_heartbeat_interval(self) -> int | None:
        return self._heartbeat_interval

    def get_heartbeat_stale_trial_callback(self):
        return self._stale_trial_callback


def open_storage(storage: str | os.PathLike | None = None, *, heartbeat_interval: int = 10,
                 grace_period: int | None = None, max_retry: int | None = 2, connect_timeout: int = 10) -> BaseStorage:
    """Open the storage named by ``storage`` (see `resolve_storage`), with heartbeats and retries.

    ``heartbeat_interval``: seconds between a running trial's signs of life. ``grace_period``:
    seconds without one before the trial counts as dead (default: twice the interval; Optuna's
    relational storage defaults to 1 minute). ``max_retry``: how many times a dead trial is run again.
    Raises `SearchError` when the storage cannot be reached or opened.
    """
    from ..validation import check_int

    url = resolve_storage(storage)
    check_int("heartbeat_interval", heartbeat_interval, 1)
    grace_period = check_int("grace_period", grace_period if grace_period is not None else 2 * heartbeat_interval,
                             heartbeat_interval + 1, None, "longer than the heartbeat interval")
    with warnings.catch_warnings():  # Optuna marks the retry callback "experimental" since 2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retry) if max_retry is not None else None
    if is_file_storage(url):
        path = Path(url)
        if not path.parent.exists():
            raise SearchError(f"the folder {path.parent} of the journal file does not exist. "
                              "Fix: create it, or give another path with --storage.")
        try:
            return JournalHeartbeatStorage(url, heartbeat_interval=heartbeat_interval, grace_period=grace_period,
                                           stale_trial_callback=retry)
        except OSError as error:
            raise SearchError(f"cannot open the journal file {url}: {error.strerror}. "
                              "Fix: check the path and that you may write there.") from None
    engine_kwargs: dict = {}
    if url.startswith("postgresql"):
        # pool_pre_ping: a connection broken by a network blip or a server restart is replaced
        # before use instead of failing the next write.
        engine_kwargs = {"pool_pre_ping": True, "connect_args": {"connect_timeout": connect_timeout}}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return RDBStorage(driver_url(url), engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval,
                              grace_period=grace_period, heartbeat_stale_trial_callback=retry)
    except Exception as error:  # sqlalchemy raises its own classes; translate every one for the learner
        raise storage_error(url, error) from None


def storage_error(url: str, error: BaseException) -> SearchError:
    """A `SearchError` for a database that could not be used, saying why and what to do."""
    text = str(error).lower()
    shown = redact(url)
    if "password authentication failed" in text or "no password supplied" in text:
        return SearchError(f"the database at {shown} refused the password. Fix: copy the exact URL the instructor "
                           "gave (postgresql://user:password@host:port/database), password included.")
    if "does not exist" in text and "database" in text:
        return SearchError(f"the server at {shown} has no such database. Fix: check the name after the last '/'.")
    if any(words in text for words in ("could not connect", "connection refused", "timeout expired",
                                       "could not translate host", "name or service not known", "no route")):
        return SearchError(f"cannot reach a database server at {shown}. Fix: check the host and port, that the "
                           "server runs (pg_isready -h HOST -p PORT) and that no firewall is in the way.")
    if "database is locked" in text:
        return SearchError(f"SQLite at {shown} is locked by another worker. Fix: use the journal file (a plain "
                           "path) or PostgreSQL for several workers.")
    return SearchError(f"cannot use the storage {shown}: {type(error).__name__}: {str(error).splitlines()[0]}")


def is_connection_error(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the database connection was lost: worth a retry.

    Optuna wraps SQLAlchemy's errors in its own ``StorageInternalError``, so the chain of causes is searched.
    """
    from sqlalchemy.exc import DBAPIError, OperationalError

    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def study_names(storage: BaseStorage) -> list[str]:
    """Names of the studies in ``storage``."""
    return sorted(s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False))


def load_study(name: str, storage: BaseStorage, **kwargs) -> optuna.Study:
    """The study ``name`` in ``storage``; a `SearchError` listing the existing ones when it is not there."""
    try:
        return optuna.load_study(study_name=name, storage=storage, **kwargs)
    except KeyError:
        names = study_names(storage)
        known = ", ".join(repr(n) for n in names) if names else "none yet"
        raise SearchError(f"no study named {name!r} in this storage (studies there: {known}). Fix: check the name, "
                          f"or create it first: python -m course_utils.search create --study {name} --storage URL"
                          ) from None
