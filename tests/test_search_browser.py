"""The class's view: optuna-dashboard, opened in headless Chromium, shows the trials that workers wrote.

Worker processes write trials to PostgreSQL (a throwaway server, as in a class) or, where
PostgreSQL is not installed, to the journal file; the dashboard reads the same storage. The
test checks the trial list, the best trial's mark, the worker that ran a trial, and that trials
written while the page is open appear without reloading (the dashboard polls the storage).
Needs Playwright and Chromium (``CHROMIUM``, else /usr/bin/chromium); skipped, saying why, without.
"""
from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest

from course_utils.search import StudySpec, best_trial_summary, create_study
from course_utils.search.cli import start_dashboard
from course_utils.search.postgres import LocalPostgres, free_port, postgres_bin_dir
from course_utils.search.workers import run_workers

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)", allow_module_level=True)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    if postgres_bin_dir() is None:
        yield str(tmp_path_factory.mktemp("search") / "class.log")
        return
    server = LocalPostgres()
    try:
        yield server.start().url
    finally:
        server.close()


def test_the_dashboard_shows_the_workers_trials_live(storage):
    create_study("class", storage, StudySpec(objective="synthetic", params=("x", "y"), trial_seconds=0.1))
    results, _ = run_workers("class", storage, 2, 3)
    assert all(result.returncode == 0 for result in results), [r.stderr[-500:] for r in results]
    best = best_trial_summary("class", storage)["best_number"]
    port = free_port()
    dashboard = start_dashboard(storage, "127.0.0.1", port)
    try:
        # Study ids differ between storages (the journal counts from 0, PostgreSQL from 1): ask the dashboard.
        studies = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=30).read())
        study_id = next(s["study_id"] for s in studies["study_summaries"] if s["study_name"] == "class")
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/dashboard")
            page.get_by_text("class", exact=False).first.wait_for(timeout=60_000)
            page.goto(f"http://127.0.0.1:{port}/dashboard/studies/{study_id}/trials")
            page.get_by_text("6 Trials").wait_for(timeout=60_000)
            for number in range(6):
                assert page.get_by_text(f"Trial {number}", exact=True).count() == 1
            marked = page.locator("li, div[role=button], a", has=page.get_by_text("Best Trial", exact=True)).filter(
                has=page.get_by_text(f"Trial {best}", exact=True))
            assert marked.count() >= 1, f"trial {best} is not marked as the best"
            assert "worker" in page.inner_text("body")  # who ran the trial (a user attribute)

            # Two more trials while the page is open: the dashboard shows them without a reload.
            more, _ = run_workers("class", storage, 1, 2)
            assert more[0].returncode == 0, more[0].stderr[-500:]
            page.get_by_text("8 Trials").wait_for(timeout=60_000)
            browser.close()
    finally:
        dashboard.terminate()
        dashboard.wait(timeout=30)
