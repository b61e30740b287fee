"""Seconds from opening a lesson's dashboard until every panel on it shows its figure (or its "press Run" line).

Starts Voila as `make present` does, opens each dashboard in headless Chromium, one after
the other, and prints the time to a usable page (the kernel start and every cell included).
The profile is the learner's (``COURSE_PROFILE``; laptop without a GPU).

    COURSE_DATA_DIR=... COURSE_PROFILE=laptop python benchmarks/benchmark_dashboards.py
    python benchmarks/benchmark_dashboards.py --lessons 03 04
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request

from course_utils import classroom
from course_utils.config import get_profile

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def panels_in(path) -> int:
    """How many slider panels the dashboard shows (cells that call a ``*_panel(...)``)."""
    cells = json.loads(path.read_text())["cells"]
    return sum("_panel(" in "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", help="lesson numbers (default: every dashboard)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    paths = ([classroom.dashboard_path(lesson) for lesson in args.lessons] if args.lessons
             else classroom.dashboard_paths())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_urlsafe(8)
    server = subprocess.Popen(classroom.voila_command(port=port, token=token), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env={**os.environ, "COURSE_TALK": "1"})
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(classroom.dashboard_url(None, port=port, token=token), timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        print(f"profile {get_profile().name}; seconds until every panel of the dashboard shows something\n")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for path in paths:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                expected = panels_in(path)
                began = time.perf_counter()
                page.goto(classroom.dashboard_url(path.name[:2], port=port, token=token))
                page.wait_for_function(
                    "n => { const outs = [...document.querySelectorAll('.widget-interact .widget-output')];"
                    " return outs.length >= n && outs.every(o => o.querySelector('img, p')); }",
                    arg=expected, timeout=300_000)
                print(f"{path.name:42s} {expected} panel(s) {time.perf_counter() - began:6.1f} s", flush=True)
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
