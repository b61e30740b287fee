"""How long a slider redraw takes, idle and beside busy programs, with two thread settings side by side.

A classroom laptop shares its screen, runs a browser, maybe a video call: other programs
hold a core. PyTorch's default of one thread per core then makes its threads wait for each
other. This runs the plain functions behind the lessons' sliders (what a redraw calls) with
PyTorch's default thread count and with `config.slider_threads()` (what a panel uses), on
an idle machine and beside 1 and 2 processes that keep a core busy each, and prints the
median seconds per redraw and each one's ratio to its idle time.

    COURSE_DATA_DIR=... python benchmarks/benchmark_sliders.py            # laptop-profile sizes
    python benchmarks/benchmark_sliders.py --repeats 5 --busy 0 1

Run it on an otherwise idle machine: the busy processes are the only load it means to add.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("MPLBACKEND", "Agg")

import torch  # noqa: E402

from course_utils import budget, fashion_mnist  # noqa: E402
from course_utils.config import cpu_threads, slider_threads  # noqa: E402


def slider_functions() -> dict:
    """name -> a call of one slider's plain function at the lesson's panel settings (laptop sizes)."""
    from course_utils.lesson03 import explore_fit
    from course_utils.lesson04 import explore_trajectories
    from course_utils.lesson05 import explore_learning_rate
    from course_utils.lesson06 import explore_range_test
    from course_utils.lesson07 import explore_batch_size
    from course_utils.lesson08 import explore_momentum

    cfg03, cfg05, cfg06, cfg07 = (budget(lesson, "laptop") for lesson in ("03", "05", "06", "07"))
    data06 = fashion_mnist(n_train=cfg06.n_train, n_val=cfg06.n_val, n_test=cfg06.n_test, seed=0, device="cpu")
    train07 = fashion_mnist(n_train=cfg07.n_train, n_val=cfg07.n_val, n_test=cfg07.n_test, seed=0,
                            device="cpu").train.subset(cfg07.panel_n_train, seed=1)
    return {
        "03 fit (width 64, 20 epochs)": lambda: explore_fit(n_train=cfg03.n_train, n_val=cfg03.n_val),
        "04 trajectories": lambda: explore_trajectories(),
        "05 learning rate (SGD, 3 epochs)": lambda: explore_learning_rate(n_train=cfg05.panel_n_train,
                                                                          epochs=cfg05.panel_epochs),
        "06 range test (100 steps)": lambda: explore_range_test(data06),
        "07 batch size (256 vs 16)": lambda: explore_batch_size(train=train07, epochs=cfg07.panel_epochs),
        "08 momentum": lambda: explore_momentum(),
    }


def busy_processes(count: int) -> list[subprocess.Popen]:
    """``count`` processes that each keep one core busy until killed."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def median_seconds(call, threads: int, repeats: int) -> float:
    """Median wall-clock seconds of ``call`` with ``threads`` PyTorch threads (after one warm-up call)."""
    times = []
    with cpu_threads(threads):
        for index in range(repeats + 1):
            began = time.perf_counter()
            call()
            if index:
                times.append(time.perf_counter() - began)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed redraws per setting (default 3)")
    parser.add_argument("--busy", type=int, nargs="*", default=[0, 1, 2], help="busy processes (default 0 1 2)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or any(count < 0 for count in args.busy):
        parser.error("--repeats must be at least 1 and --busy counts at least 0")
    default_threads, chosen = torch.get_num_threads(), slider_threads()
    settings = {f"torch default ({default_threads} threads)": default_threads,
                f"slider_threads() ({chosen})": chosen}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{cores} cores; seconds per redraw (median of {args.repeats}), and the ratio to the same setting idle\n")
    functions = slider_functions()
    results: dict[tuple, float] = {}
    for busy in args.busy:
        load = busy_processes(busy)
        try:
            time.sleep(0.5)
            for name, call in functions.items():
                for label, threads in settings.items():
                    results[name, label, busy] = median_seconds(call, threads, args.repeats)
        finally:
            for process in load:
                process.kill()
                process.wait()
    header = f"{'slider':34s} {'threads':26s}" + "".join(f"{f'{b} busy':>16s}" for b in args.busy)
    print(header)
    for name in functions:
        for label in settings:
            idle = results.get((name, label, args.busy[0]))
            cells = []
            for busy in args.busy:
                seconds = results[name, label, busy]
                ratio = f" ({seconds / idle:.1f}x)" if idle and busy != args.busy[0] else ""
                cells.append(f"{seconds:9.3f} s{ratio}")
            print(f"{name:34s} {label:26s}" + "".join(f"{cell:>16s}" for cell in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
