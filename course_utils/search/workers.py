"""Start worker processes on one study and collect what they did (for the tests and the benchmark).

Each worker is a separate ``python -m course_utils.search worker ... --json`` process, exactly
what a student or a cluster job runs; its last line of output is its `WorkerReport` as JSON.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass


def worker_command(study: str, storage: str, trials: int, *, heartbeat: int = 10, grace: int | None = None,
                   extra: tuple[str, ...] = ()) -> list[str]:
    """The command line of one worker (``--json``: it prints its report at the end)."""
    command = [sys.executable, "-m", "course_utils.search", "worker", "--study", study, "--storage", storage,
               "--trials", str(trials), "--heartbeat", str(heartbeat), "--json", *extra]
    if grace is not None:
        command += ["--grace", str(grace)]
    return command


def start_worker(study: str, storage: str, trials: int, **kwargs) -> subprocess.Popen:
    """Start one worker process (text pipes for its output)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(worker_command(study, storage, trials, **kwargs), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


@dataclass
class WorkerResult:
    """A finished worker process: exit status, its report (None if it printed none) and its stderr."""

    returncode: int
    report: dict | None
    stderr: str


def collect(process: subprocess.Popen, timeout: float = 300) -> WorkerResult:
    """Wait for a worker and parse the JSON report on its last line of output."""
    stdout, stderr = process.communicate(timeout=timeout)
    report = None
    lines = [line for line in stdout.splitlines() if line.strip()]
    if lines:
        try:
            report = json.loads(lines[-1])
        except json.JSONDecodeError:
            report = None
    return WorkerResult(process.returncode, report, stderr)


def run_workers(study: str, storage: str, n_workers: int, trials_each: int, *, timeout: float = 300,
                **kwargs) -> tuple[list[WorkerResult], float]:
    """Start ``n_workers`` workers at once on ``study``; wait for all. Returns results and wall seconds."""
    start = time.perf_counter()
    processes = [start_worker(study, storage, trials_each, **kwargs) for _ in range(n_workers)]
    results = [collect(process, timeout) for process in processes]
    return results, time.perf_counter() - start
