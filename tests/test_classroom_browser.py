"""Classroom mode end to end in headless Chromium: a lesson's Voila dashboard, and the HTML site.

The dashboard test starts Voila as `make present` does (127.0.0.1, a token), opens lesson 04's
dashboard, moves a slider with the keyboard and checks that the figure under it is redrawn.
The site test renders lesson 00 (in the tests' profile) the way `make html` does, opens the
index, follows its link and checks that the lesson's figures are on the page.
Skipped, saying why, without Playwright or Chromium.
"""
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
pytest.importorskip("voila", reason="Voila is not installed (pip install voila)")
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)", allow_module_level=True)

from course_utils import classroom, site  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def voila():
    port, token = free_port(), secrets.token_urlsafe(8)
    env = {**os.environ, "COURSE_TALK": "1"}
    server = subprocess.Popen(classroom.voila_command(port=port, token=token), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            urllib.request.urlopen(classroom.dashboard_url(None, port=port, token=token), timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("Voila did not start within 60 s")
    yield port, token
    server.terminate()
    server.wait(timeout=30)


def test_voila_refuses_a_visitor_without_the_token(voila):
    port, _ = voila
    # Without the token, Voila sends the visitor to its login page instead of the dashboard.
    answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/render/04_gradient_descent.ipynb", timeout=30)
    assert "/login" in answer.geturl()


def test_a_dashboard_opens_and_its_slider_redraws_the_figure(voila):
    port, token = voila
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        began = time.perf_counter()
        page.goto(classroom.dashboard_url("04", port=port, token=token))
        image = page.locator(".widget-interact .widget-output img").first
        image.wait_for(timeout=120_000)
        print(f"lesson 04's dashboard ready in {time.perf_counter() - began:.1f} s")
        assert "Gradient descent" in page.locator("h1").first.inner_text()
        assert "start_dashboard" not in page.content(), "the dashboard shows its code"
        before = image.get_attribute("src")
        handle = page.locator(".widget-interact .noUi-handle").first
        # Voila shows the widgets before their kernel connection is up; a key pressed before then is
        # lost, so press again (one step of the learning-rate slider each time) until the figure changes.
        for _ in range(12):
            handle.focus()
            page.keyboard.press("ArrowRight")
            try:
                page.wait_for_function(
                    "old => { const i = document.querySelector('.widget-interact .widget-output img');"
                    " return i && i.src !== old; }", arg=before, timeout=10_000)
                break
            except playwright.TimeoutError:
                continue
        else:
            pytest.fail("moving the slider did not redraw the figure within 2 minutes")
        assert page.locator(".widget-interact .widget-output img").count() == 1, "the redraw added a figure"
        assert "Cannot draw" not in page.locator(".widget-interact .widget-output").first.inner_text()
        browser.close()


def test_the_html_site_shows_a_rendered_lesson_with_its_figures(tmp_path):
    rendered = site.render_site(tmp_path, ["00"])
    assert [lesson.page.name for lesson in rendered] == ["00_welcome_and_tour.html"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto((tmp_path / "index.html").as_uri())
        link = page.locator("a", has_text="Welcome and tour")
        assert link.count() == 1
        link.click()
        page.wait_for_load_state()
        assert page.url.endswith("00_welcome_and_tour.html")
        figures = page.locator("img[src^='data:image/png']")
        assert figures.count() >= 4, f"expected the lesson's figures, found {figures.count()}"
        assert all(figures.nth(i).evaluate("img => img.naturalWidth > 100") for i in range(figures.count()))
        assert page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        browser.close()
