"""Run lessons headless many times in a row and count hangs (not part of `make test`).

A notebook executor (nbclient, hence ``jupyter nbconvert --execute``, papermill and nbval)
can hang on a cell that draws through an ipywidgets Output widget (jupyter/nbclient#312,
jupyter/nbconvert#2029). This script executes each lesson ``--runs`` times under each
executor, each run in its own process group, with a per-cell timeout and a watchdog on the
whole run (such a hang can leave executor and kernel idle with the per-cell timeout never
firing): a timed-out cell or a run stopped by the watchdog counts as a hang, any other
error as a failure. It exits with status 1 when anything hung or failed.

    COURSE_DATA_DIR=... COURSE_PROFILE=smoke python benchmarks/stress_headless.py --lessons 04 --runs 10
    python benchmarks/stress_headless.py --executors nbclient --runs 3      # every lesson

On a shared machine, run it under the course's CPU lock (see the README).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EXECUTORS = ("nbclient", "nbconvert")


def lesson_notebooks(lessons: list[str] | None) -> list[Path]:
    """The lesson notebooks to run: all of them, or those whose number is in ``lessons``."""
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if lessons:
        wanted = {lesson.zfill(2) for lesson in lessons}
        notebooks = [path for path in notebooks if path.name[:2] in wanted]
        missing = wanted - {path.name[:2] for path in notebooks}
        if missing:
            raise SystemExit(f"no notebook for lesson(s) {sorted(missing)} in {NOTEBOOKS}")
    return notebooks


def _nbclient_once(path: Path, cell_timeout: int) -> int:
    """Child process: execute ``path`` with nbclient; exit 0 (ran), 3 (a cell timed out) or 4 (an error)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    # raise_on_iopub_timeout: outputs that never arrive after the reply count as a hang too.
    client = NotebookClient(notebook, timeout=cell_timeout, kernel_name="python3", raise_on_iopub_timeout=True,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellTimeoutError as error:
        print(" ".join(str(error).split())[:300], file=sys.stderr)
        return 3
    except (CellExecutionError, DeadKernelError) as error:
        print(" ".join(str(error).split())[-300:], file=sys.stderr)
        return 4
    return 0


def _run_watched(command: list[str], watchdog: int) -> tuple[int | None, str]:
    """Run ``command`` in a new process group; kill the group (kernel included) after ``watchdog`` seconds."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        _, stderr = process.communicate(timeout=watchdog)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None, f"no progress: stopped by the watchdog after {watchdog} s"
    return process.returncode, stderr


def run_nbclient(path: Path, cell_timeout: int, watchdog: int) -> tuple[str, str]:
    """Execute with nbclient (in a child process); ('ok' | 'hang' | 'error', detail)."""
    command = [sys.executable, __file__, "--one-nbclient", str(path), "--cell-timeout", str(cell_timeout)]
    code, stderr = _run_watched(command, watchdog)
    tail = " ".join(stderr.split())[-300:]
    return ("ok", "") if code == 0 else ("hang", tail) if code in (None, 3) else ("error", tail)


def run_nbconvert(path: Path, cell_timeout: int, watchdog: int) -> tuple[str, str]:
    """Execute with ``jupyter nbconvert --execute``; ('ok' | 'hang' | 'error', detail)."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                   f"--ExecutePreprocessor.timeout={cell_timeout}", "--ExecutePreprocessor.raise_on_iopub_timeout=True",
                   "--output-dir", folder, "--output", "executed", str(path)]
        code, stderr = _run_watched(command, watchdog)
    tail = " ".join(stderr.split())[-300:]
    if code == 0:
        return "ok", ""
    return ("hang" if code is None or "CellTimeoutError" in stderr or "Timeout waiting" in stderr else "error"), tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="*", help="lesson numbers, e.g. 00 04 (default: every lesson)")
    parser.add_argument("--runs", type=int, default=10, help="runs of each lesson under each executor (default 10)")
    parser.add_argument("--executors", nargs="*", choices=EXECUTORS, default=list(EXECUTORS))
    parser.add_argument("--cell-timeout", type=int, default=300, help="seconds one cell may take (default 300)")
    parser.add_argument("--watchdog", type=int, default=900,
                        help="seconds one whole run may take before it counts as a hang (default 900)")
    parser.add_argument("--json", type=Path, help="also write every run's result to this file")
    parser.add_argument("--one-nbclient", type=Path, help=argparse.SUPPRESS)  # the child process of one run
    args = parser.parse_args(argv)
    if args.one_nbclient:
        return _nbclient_once(args.one_nbclient, args.cell_timeout)
    if args.runs < 1 or args.cell_timeout < 1 or args.watchdog < 1:
        parser.error("--runs, --cell-timeout and --watchdog must be at least 1")
    profile = os.environ.get('COURSE_PROFILE', 'laptop')
    print(f"profile {profile}, {args.runs} runs, cell timeout {args.cell_timeout} s, "
          f"watchdog {args.watchdog} s", flush=True)
    runners = {"nbclient": run_nbclient, "nbconvert": run_nbconvert}
    results = []
    for path in lesson_notebooks(args.lessons):
        for executor in args.executors:
            for run in range(1, args.runs + 1):
                began = time.perf_counter()
                outcome, detail = runners[executor](path, args.cell_timeout, args.watchdog)
                seconds = time.perf_counter() - began
                results.append({"lesson": path.name, "executor": executor, "run": run, "outcome": outcome,
                                "seconds": round(seconds, 1), "detail": detail})
                print(f"{path.name:<36} {executor:<9} run {run:>2}: {outcome:<5} {seconds:6.1f} s {detail}", flush=True)
    print("\nlesson                               executor   runs  hangs  errors")
    for path in lesson_notebooks(args.lessons):
        for executor in args.executors:
            rows = [r for r in results if r["lesson"] == path.name and r["executor"] == executor]
            hangs = sum(r["outcome"] == "hang" for r in rows)
            errors = sum(r["outcome"] == "error" for r in rows)
            print(f"{path.name:<36} {executor:<9} {len(rows):>5} {hangs:>6} {errors:>7}")
    hangs = sum(r["outcome"] == "hang" for r in results)
    errors = sum(r["outcome"] == "error" for r in results)
    print(f"\n{hangs} hang(s), {errors} error(s) in {len(results)} runs")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 1 if hangs or errors else 0


if __name__ == "__main__":
    sys.exit(main())
