"""Classroom mode: one dashboard per lesson (Voila), for a projector.

A dashboard is a short notebook in ``dashboards/`` that calls the lesson's own slider
panels and figure functions (no second copy of any experiment); Voila runs it with the code
hidden. Its first cell is ``cfg = start_dashboard("NN")``.

    make present LESSON=03             # or: python -m course_utils.classroom present 03
    make present                       # the index of every lesson's dashboard

The server listens on 127.0.0.1 and asks for a fresh token (printed with the URL) unless
told otherwise (``--ip 0.0.0.0`` for a classroom network, ``--token ""`` for none).
``COURSE_TALK=0`` draws at notebook size instead of talk size.
"""
from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from . import plots, widgets
from .config import budget

DASHBOARDS = Path(__file__).resolve().parent.parent / "dashboards"


def start_dashboard(lesson: str, talk: bool | None = None) -> SimpleNamespace:
    """First cell of a dashboard: panels draw into widgets, figures at talk size; the lesson's budget.

    ``talk`` (default: ``COURSE_TALK``, which `make present` sets to 1) chooses talk-size
    figures. Returns ``budget(lesson)``, the sizes the lesson itself uses in this profile.
    """
    widgets.use_output_widget(True)
    plots.use_course_style(talk)
    return budget(lesson)


def dashboard_paths() -> list[Path]:
    """Every lesson's dashboard, in lesson order."""
    return sorted(DASHBOARDS.glob("[0-9][0-9]_*.ipynb"))


def dashboard_path(lesson: str) -> Path:
    """The dashboard of lesson ``lesson`` ("3" or "03"); a clear error if there is none."""
    number = str(lesson).strip().zfill(2)
    found = [path for path in dashboard_paths() if path.name.startswith(f"{number}_")]
    if not found:
        known = ", ".join(path.name[:2] for path in dashboard_paths())
        raise ValueError(f"LESSON must be one of {known} (got {lesson!r}): "
                         f"no dashboard {number}_*.ipynb in {DASHBOARDS}")
    return found[0]


def voila_command(ip: str = "127.0.0.1", port: int = 8866, token: str | None = None) -> list[str]:
    """The Voila command that serves every dashboard (the index at ``/``), code hidden."""
    command = [sys.executable, "-m", "voila", str(DASHBOARDS), "--no-browser", f"--Voila.ip={ip}", f"--port={port}",
               "--Voila.port_retries=0", "--show_tracebacks=True"]
    if token is not None:
        command.append(f"--token={token}")
    return command


def dashboard_url(lesson: str | None, ip: str = "127.0.0.1", port: int = 8866, token: str = "") -> str:
    """Where a browser opens lesson ``lesson``'s dashboard (or the index when None)."""
    host = "127.0.0.1" if ip in ("0.0.0.0", "") else ip
    path = f"voila/render/{dashboard_path(lesson).name}" if lesson is not None else ""
    return f"http://{host}:{port}/{path}" + (f"?token={token}" if token else "")


def main(argv: list[str] | None = None) -> int:
    """``present [NN]``: serve the dashboards until Ctrl-C and print the URL to open."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.classroom", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    present = commands.add_parser("present", help="serve the dashboards (Voila) and print the URL")
    present.add_argument("lesson", nargs="?", help="lesson number, e.g. 03 (default: the index)")
    present.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)")
    present.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    present.add_argument("--token", help="the token in the URL (default: a new random one; '' for none)")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port must be between 1 and 65535 (got {args.port})")
    lesson = args.lesson or None
    if lesson is not None:
        try:
            dashboard_path(lesson)
        except ValueError as error:
            parser.error(str(error))
    token = secrets.token_urlsafe(16) if args.token is None else args.token
    env = {**os.environ, "COURSE_TALK": os.environ.get("COURSE_TALK", "1")}
    print(f"Dashboards of {len(dashboard_paths())} lessons; open (Ctrl-C stops the server):\n"
          f"  {dashboard_url(lesson, args.ip, args.port, token)}", flush=True)
    if lesson is not None:
        print(f"  index of every lesson: {dashboard_url(None, args.ip, args.port, token)}", flush=True)
    try:
        return subprocess.call(voila_command(args.ip, args.port, token), env=env)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
