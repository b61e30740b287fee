"""The command line: ``python -m course_utils.search COMMAND``.

- ``create --study NAME [--objective fashion|synthetic] [--params lr,momentum] [--sampler tpe] [--pruner none]``
- ``worker --study NAME --trials N [--storage URL]``: run N trials (start as many workers as you like)
- ``best --study NAME``: the best trial and trial counts, as JSON (the same from any machine)
- ``class --study NAME``: the instructor's side on one machine: a throwaway PostgreSQL server,
  the study, and optuna-dashboard, until Ctrl-C; prints the command students run
- ``dashboard``: optuna-dashboard on a storage (the journal file by default)

``--storage`` defaults to ``$COURSE_SEARCH_STORAGE``, else the journal file data/optuna-studies.log.
Every error prints one line naming the problem and the fix (exit status 2), never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

from .storage import STORAGE_ENV, SearchError, driver_url, open_storage, redact, resolve_storage
from .study import PRUNERS, SAMPLERS, SPACES, StudySpec, best_trial_summary, create_study, run_worker


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", required=True, help="the study's name")
    parser.add_argument("--storage", default=None,
                        help=f"journal file path or postgresql://user:password@host:port/db (default: ${STORAGE_ENV} "
                             "or data/optuna-studies.log)")


def _spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--objective", default="fashion", choices=sorted(SPACES))
    parser.add_argument("--params", default="lr,momentum", help="searched hyperparameters, comma separated")
    parser.add_argument("--sampler", default="tpe", choices=SAMPLERS)
    parser.add_argument("--pruner", default="none", choices=PRUNERS)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-val", type=int, default=500)
    parser.add_argument("--trial-seconds", type=float, default=0.05, help="sleep of a synthetic trial")


def _spec(args) -> StudySpec:
    params = tuple(p.strip() for p in args.params.split(",") if p.strip())
    return StudySpec(objective=args.objective, params=params, sampler=args.sampler, pruner=args.pruner,
                     epochs=args.epochs, n_train=args.n_train, n_val=args.n_val, trial_seconds=args.trial_seconds)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m course_utils.search", description=__doc__.split("\n")[0])
    commands = main.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a study (its search space and objective)")
    _add_common(create)
    _spec_arguments(create)
    worker = commands.add_parser("worker", help="run trials of an existing study")
    _add_common(worker)
    worker.add_argument("--trials", type=int, required=True, help="how many trials this worker runs (>= 1)")
    worker.add_argument("--seed", type=int, default=None, help="sampler seed (leave unset with several workers)")
    worker.add_argument("--heartbeat", type=int, default=10, help="seconds between a running trial's heartbeats")
    worker.add_argument("--grace", type=int, default=None, help="seconds without heartbeat before a trial is dead")
    worker.add_argument("--create", action="store_true", help="create the study first if it does not exist")
    worker.add_argument("--json", action="store_true", help="print the worker's report as JSON at the end")
    _spec_arguments(worker)
    best = commands.add_parser("best", help="print the best trial and the trial counts as JSON")
    _add_common(best)
    demo = commands.add_parser("class", help="instructor: PostgreSQL + study + dashboard on this machine")
    demo.add_argument("--study", default="class")
    demo.add_argument("--host", default="127.0.0.1", help="address the server and dashboard listen on")
    demo.add_argument("--dashboard-port", type=int, default=8080)
    demo.add_argument("--storage", default=None, help="an existing PostgreSQL URL instead of a throwaway server")
    _spec_arguments(demo)
    dashboard = commands.add_parser("dashboard", help="optuna-dashboard on a storage")
    dashboard.add_argument("--storage", default=None)
    dashboard.add_argument("--host", default="127.0.0.1")
    dashboard.add_argument("--port", type=int, default=8080)
    return main


def start_dashboard(storage: str, host: str = "127.0.0.1", port: int = 8080) -> subprocess.Popen:
    """Start optuna-dashboard on ``storage`` and wait until it answers; the caller terminates it."""
    executable = shutil.which("optuna-dashboard", path=os.path.dirname(sys.executable)) or shutil.which(
        "optuna-dashboard")
    if executable is None:
        raise SearchError("optuna-dashboard is not installed. Fix: pip install optuna-dashboard")
    url = driver_url(resolve_storage(storage))
    process = subprocess.Popen([executable, url, "--host", host, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://{host}:{port}/api/meta", timeout=1)
            return process
        except OSError:
            if process.poll() is not None:
                raise SearchError(f"optuna-dashboard stopped: {process.stderr.read().decode()[-300:]}. Fix: is port "
                                  f"{port} already taken? Use --dashboard-port.") from None
            time.sleep(0.5)
    process.terminate()
    raise SearchError(f"optuna-dashboard did not answer on port {port} within 60 s.")


def _class_demo(args) -> None:
    from .postgres import LocalPostgres

    server = None
    if args.storage:
        url = args.storage
    else:
        server = LocalPostgres(host=args.host).start()
        url = server.url
    dashboard = None
    try:
        create_study(args.study, url, _spec(args))
        dashboard = start_dashboard(url, args.host, args.dashboard_port)
        print(f"PostgreSQL: {url}\nDashboard:  http://{args.host}:{args.dashboard_port}\n"
              f"Students run (or use the lesson's cell with this URL):\n"
              f"  python -m course_utils.search worker --study {args.study} --storage '{url}' --trials 5\n"
              "Ctrl-C stops the dashboard and the server (a throwaway server's data are deleted).", flush=True)
        while dashboard.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        if dashboard is not None:
            dashboard.terminate()
            dashboard.wait(timeout=30)
        if server is not None:
            server.close()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the worker prints one line per trial itself
    try:
        if args.command == "create":
            study = create_study(args.study, args.storage, _spec(args))
            print(f"study {study.study_name!r} ready in {redact(resolve_storage(args.storage))}")
        elif args.command == "worker":
            if args.trials < 1:
                raise SearchError(f"--trials must be at least 1 (got {args.trials}). Fix: give the number of trials "
                                  "this worker should run, e.g. --trials 10.")
            opened = open_storage(args.storage, heartbeat_interval=args.heartbeat, grace_period=args.grace)
            if args.create:
                create_study(args.study, args.storage, _spec(args), opened=opened)
            report = run_worker(args.study, args.storage, args.trials, seed=args.seed, opened=opened,
                                log=None if args.json else print)
            if args.json:
                print(report.to_json())
        elif args.command == "best":
            print(json.dumps(best_trial_summary(args.study, args.storage)))
        elif args.command == "class":
            _class_demo(args)
        elif args.command == "dashboard":
            process = start_dashboard(args.storage, args.host, args.port)
            print(f"Dashboard: http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
            try:
                process.wait()
            except KeyboardInterrupt:
                process.terminate()
    except (SearchError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
