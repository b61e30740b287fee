"""Trials per minute with 1, 2 and 4 workers on one study, on the journal file and on PostgreSQL.

Each worker is a separate ``python -m course_utils.search worker`` process, as in real use. The
trials are synthetic: a formula of two parameters and a sleep of ``--trial-seconds`` standing in
for training that runs elsewhere (a GPU, another core). The sleep keeps the CPU free, so the
ratio to one worker shows what the storage allows (contention on the journal's lock, round trips
to the database), not how many CPU cores the machine has: with real training on a 2-core laptop,
4 workers cannot run 4 times as fast whatever the storage.

Rates are measured from the trials' own timestamps (first start to last finish), so the seconds a
worker process needs to start Python and import torch do not count. The storage's own overhead per
trial is measured with trials that do nothing (``--trial-seconds 0``, one worker): the time per
trial is then all storage (create the trial, two suggestions, three reports, the result).

Run: ``python benchmarks/benchmark_search.py`` (PostgreSQL is skipped where it is not installed).
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import optuna

from course_utils.search import StudySpec, create_study, load_study, open_storage
from course_utils.search.postgres import LocalPostgres, postgres_bin_dir
from course_utils.search.workers import run_workers


def trials_per_minute(url: str, name: str, n_workers: int, trials_each: int, seconds: float) -> tuple[float, int]:
    """Complete trials per minute for ``n_workers`` workers on a fresh study, and how many trials ran."""
    create_study(name, url, StudySpec(objective="synthetic", params=("x", "y"), sampler="random",
                                      trial_seconds=seconds), exists_ok=False)
    results, _ = run_workers(name, url, n_workers, trials_each, timeout=900)
    failed = [r.stderr[-500:] for r in results if r.returncode != 0]
    if failed:
        raise RuntimeError(f"a worker failed: {failed[0]}")
    trials = [t for t in load_study(name, open_storage(url)).get_trials() if t.state.is_finished()]
    span = (max(t.datetime_complete for t in trials) - min(t.datetime_start for t in trials)).total_seconds()
    return 60 * len(trials) / span, len(trials)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials-each", type=int, default=24, help="trials per worker")
    parser.add_argument("--trial-seconds", type=float, default=0.25, help="sleep of one synthetic trial")
    parser.add_argument("--overhead-trials", type=int, default=100, help="empty trials for the overhead")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    with tempfile.TemporaryDirectory() as folder:
        storages = {"journal file": str(Path(folder) / "bench.log")}
        server = None
        if postgres_bin_dir() is not None:
            server = LocalPostgres().start()
            storages["PostgreSQL"] = server.url
        else:
            print("PostgreSQL is not installed: only the journal file is measured (apt-get install postgresql).")
        try:
            rows = []
            for label, url in storages.items():
                rates = {}
                for n_workers in (1, 2, 4):
                    rates[n_workers], n = trials_per_minute(url, f"w{n_workers}", n_workers, args.trials_each,
                                                            args.trial_seconds)
                    print(f"{label}: {n_workers} worker(s), {n} trials: {rates[n_workers]:.0f} trials/min", flush=True)
                empty, n = trials_per_minute(url, "overhead", 1, args.overhead_trials, 0.0)
                rows.append((label, rates, 60_000 / empty))
        finally:
            if server is not None:
                server.close()

    ideal = 60 / args.trial_seconds
    print(f"\nSynthetic trials of {args.trial_seconds:g} s ({ideal:.0f} trials/min per worker with a free storage), "
          f"{args.trials_each} trials per worker:\n")
    print(f"{'storage':<14}{'1 worker':>12}{'2 workers':>20}{'4 workers':>20}{'overhead/trial':>18}")
    for label, rates, overhead_ms in rows:
        cells = [f"{rates[1]:.0f}/min"] + [f"{rates[n]:.0f}/min ({rates[n] / rates[1]:.2f}x)" for n in (2, 4)]
        print(f"{label:<14}{cells[0]:>12}{cells[1]:>20}{cells[2]:>20}{overhead_ms:>15.1f} ms")


if __name__ == "__main__":
    main()
