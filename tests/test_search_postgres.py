"""The search tool on a real PostgreSQL server: many workers, a killed worker, bad URLs, an outage.

The fixture starts a throwaway server (`LocalPostgres`: Debian's ``initdb`` and ``pg_ctl`` in a
temporary folder, a free port on 127.0.0.1, a password, run as the system user ``coursepg``
when the tests run as root) and stops it afterwards, also when a test fails. Without the
binaries (``apt-get install postgresql``), every test here is skipped, saying why. No mock database.
"""
from __future__ import annotations

import json

import optuna
import pytest
from test_search import check_concurrent_workers, check_killed_worker, synthetic

from course_utils.search import SearchError, create_study, load_study, open_storage
from course_utils.search.postgres import LocalPostgres, postgres_bin_dir
from course_utils.search.workers import run_workers

if postgres_bin_dir() is None:
    pytest.skip("PostgreSQL is not installed (apt-get install postgresql, or set PG_BIN to the folder of initdb)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def server():
    pg = LocalPostgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.close()


def test_four_workers_share_one_postgres_study(server):
    check_concurrent_workers(server.url, "many")


def test_a_killed_worker_leaves_the_postgres_study_usable(server):
    check_killed_worker(server.url, "kill")


def test_a_wrong_password_or_database_is_explained(server):
    with pytest.raises(SearchError, match="refused the password.*Fix") as caught:
        open_storage(server.url.replace(server.password, "not-the-password"))
    assert server.password not in str(caught.value) and "not-the-password" not in str(caught.value)
    with pytest.raises(SearchError, match="no such database"):
        open_storage(server.url.rsplit("/", 1)[0] + "/nosuchdb")


def test_an_outage_during_the_search_loses_no_stored_trial(server):
    """The server stops (a network blip, a restart) while two workers run; they wait and carry on."""
    name = "outage"
    create_study(name, server.url, synthetic(0.4))
    from course_utils.search.workers import collect, start_worker

    workers = [start_worker(name, server.url, 12, heartbeat=1, grace=3) for _ in range(2)]
    study = load_study(name, open_storage(server.url))
    import time

    deadline = time.monotonic() + 120
    while len([t for t in study.get_trials() if t.state.is_finished()]) < 4:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    before = {t.number: (t.value, t.params) for t in study.get_trials() if t.state.is_finished()}
    server.stop("fast")
    time.sleep(3)
    server.start_again()
    results = [collect(worker, timeout=180) for worker in workers]
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
        assert len(result.report["trials"]) == 12
    assert sum(result.report["reconnects"] for result in results) >= 1, "no worker noticed the outage"
    after = {t.number: t for t in load_study(name, open_storage(server.url)).get_trials()}
    for number, (value, params) in before.items():
        assert (after[number].value, after[number].params) == (value, params)
    complete = [t for t in after.values() if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) >= 24 - 2, "more trials were lost than the two that were running during the outage"


def test_workers_with_a_bad_url_stop_with_one_clear_line(server):
    results, _ = run_workers("many", server.url.replace(server.password, "wrong"), 1, 1)
    assert results[0].returncode == 2 and results[0].report is None
    assert results[0].stderr.strip().startswith("error: the database at") and json.dumps(server.password) not in \
        results[0].stderr
