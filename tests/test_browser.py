"""End to end: lesson 00 in a real JupyterLab, driven by headless Chromium.

Runs every cell the way a learner does (Run > Run All Cells), with progress bars on even
in the smoke profile (``COURSE_PROGRESS=1``), checks that no progress bar is left in the
error state (red), then moves a slider and checks that the figure under it is redrawn.
Needs Playwright and a Chromium binary (``CHROMIUM``, else /usr/bin/chromium); skipped, saying
why, when either is missing.
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)", allow_module_level=True)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory):
    # Serve a copy: JupyterLab autosaves, and the committed notebooks must stay output-free.
    root = tmp_path_factory.mktemp("notebooks")
    shutil.copy(NOTEBOOKS / "00_welcome_and_tour.ipynb", root)
    port = free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
               f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    # Progress bars also in the smoke profile: the test checks how they end.
    env = {**os.environ, "COURSE_PROGRESS": "1"}
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start within 60 s")
    yield url
    server.terminate()
    server.wait(timeout=30)


def test_lesson_00_runs_in_jupyterlab_and_its_slider_redraws(jupyter_lab):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(f"{jupyter_lab}/lab/tree/00_welcome_and_tour.ipynb")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        # Wait for the kernel, then Run All through JupyterLab's own command (what the menu calls).
        page.wait_for_function(
            "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
            " && w.sessionContext.session.kernel.status === 'idle'; }", timeout=120_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        summary = ("() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells; const out = [];"
                   " for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type !== 'code') continue;"
                   " const outputs = c.outputs.toJSON(); out.push({n: c.executionCount,"
                   " errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue)}); }"
                   " return out; }")
        page.wait_for_function(summary.replace("return out;", "return out.every(c => c.n !== null);"), timeout=300_000)
        cells = page.evaluate(summary)
        assert [cell["errors"] for cell in cells if cell["errors"]] == []
        assert [cell["n"] for cell in cells] == list(range(1, len(cells) + 1))

        # Progress bars were shown (widget outputs besides the panel's), and none ended red: a run that
        # ends normally finishes its bar (and hides it); only a divergence or an interrupt may look like an error.
        widget_outputs = page.evaluate(
            "() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells; let n = 0;"
            " for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type !== 'code') continue;"
            " n += c.outputs.toJSON().filter(o => o.data &&"
            " o.data['application/vnd.jupyter.widget-view+json']).length; } return n; }")
        assert widget_outputs >= 2, f"expected progress bars and the panel, found {widget_outputs} widget outputs"
        page.wait_for_timeout(1_000)
        assert page.locator(".progress-bar-danger").count() == 0, "a progress bar was left in the error state"

        # The panel's figure is an ordinary output of its cell, under the controls; a change redraws it in place.
        cell = page.locator(".jp-CodeCell", has=page.locator(".widget-interact")).first
        cell.scroll_into_view_if_needed()
        image = cell.locator(".jp-OutputArea-output img").first
        image.wait_for(timeout=30_000)
        before = image.get_attribute("src")
        cell.locator(".widget-interact select").first.select_option("Bag")
        page.wait_for_function(
            "old => { const w = document.querySelector('.widget-interact');"
            " const cell = w && w.closest('.jp-CodeCell');"
            " const img = cell && cell.querySelector('.jp-OutputArea-output img');"
            " return img && img.src !== old; }",
            arg=before, timeout=60_000)
        assert cell.locator(".jp-OutputArea-output img").count() == 1, "the redraw added a figure, not replaced it"
        assert cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        browser.close()
