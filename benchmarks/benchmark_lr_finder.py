"""Benchmark: the course's range test against torch-lr-finder, same model, data and steps.

    .venv/bin/pip install torch-lr-finder      # only for this script; the course does not need it
    .venv/bin/python benchmarks/benchmark_lr_finder.py [--n-train 12800] [--repeats 3]

Both tools get the same thing:
- the same MLP (two hidden layers of 256), the same initial weights, plain SGD;
- the same 100 steps of an exponential ramp from 1e-7 to 10, the same mini-batches of 128 in
  the same order: torch-lr-finder needs a DataLoader, so it gets one over a TensorDataset of the
  *same in-memory tensors*, with a sampler that replays the course tool's batch order;
- the same stopping rule on a moving average with beta = 0.98 (torch-lr-finder: smooth_f=0.02,
  diverge_th=4). The averages differ in one detail: torch-lr-finder starts its average at the
  first loss, the course's tool starts at 0 and divides by 1 - beta**t (bias correction);
- its weights restored at the end (torch-lr-finder: ``reset()``, counted in its time).

It prints the time of each (median of ``--repeats`` alternating runs), their ratio, the
suggestions (torch-lr-finder suggests the steepest descent only), and checks that the two
tools saw the same losses. Timings on a shared machine are inflated by other processes.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.metadata
import io
import statistics
import sys
import time

try:
    import torch_lr_finder
except ImportError:
    sys.exit("torch-lr-finder is not installed; this benchmark compares against it.\n"
             "Install it into the course's environment (the course itself does not need it):\n"
             "    .venv/bin/pip install torch-lr-finder")

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from course_utils import fashion_mnist, get_device, mlp, seed_everything  # noqa: E402
from course_utils.lr_finder import lr_range_test  # noqa: E402

START_LR, END_LR, STEPS, BATCH, BETA, DIVERGE = 1e-7, 10.0, 100, 128, 0.98, 4.0
# torch-lr-finder draws a tqdm bar; the course tool runs without one here too.
torch_lr_finder.lr_finder.tqdm = lambda iterable, **kwargs: iterable


def course_run(model, train, seed):
    optimizer = torch.optim.SGD(model.parameters(), lr=START_LR)
    began = time.perf_counter()
    result = lr_range_test(model, train, optimizer=optimizer, start_lr=START_LR, end_lr=END_LR, steps=STEPS,
                           batch_size=BATCH, smoothing=BETA, divergence_factor=DIVERGE, seed=seed, progress=False)
    return time.perf_counter() - began, result


def batch_order(n: int, seed: int) -> list[int]:
    """The course tool's first pass over the data: ``randperm`` from a generator seeded by ``seed``."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()


def reference_run(model, train, seed):
    loader = DataLoader(TensorDataset(train.x, train.y), batch_size=BATCH, sampler=batch_order(len(train), seed),
                        drop_last=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=START_LR)
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # it prints progress messages
        finder = torch_lr_finder.LRFinder(model, optimizer, torch.nn.CrossEntropyLoss())
        finder.range_test(loader, start_lr=START_LR, end_lr=END_LR, num_iter=STEPS, step_mode="exp",
                          smooth_f=1 - BETA, diverge_th=DIVERGE)
        finder.reset()
    seconds = time.perf_counter() - began
    with contextlib.redirect_stdout(io.StringIO()):
        _, suggestion = finder.plot(skip_start=STEPS // 10, skip_end=5, suggest_lr=True, ax=Figure().subplots())
    return seconds, finder, suggestion


def reference_smoothing(raw_losses: np.ndarray) -> np.ndarray:
    """torch-lr-finder's average: starts at the first loss, no bias correction."""
    smoothed = [raw_losses[0]]
    for loss in raw_losses[1:]:
        smoothed.append((1 - BETA) * loss + BETA * smoothed[-1])
    return np.array(smoothed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-train", type=int, default=STEPS * BATCH, help="training images (>= 12,800: one pass)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.n_train < STEPS * BATCH:
        sys.exit(f"--n-train must be at least {STEPS * BATCH} so that both tools see one pass in the same order")

    device = get_device()
    train = fashion_mnist(n_train=args.n_train, n_test=1, seed=args.seed, device=device).train
    seed_everything(args.seed)
    initial = mlp(256, 2).to(device)
    print(f"device {device}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}, "
          f"torch-lr-finder {importlib.metadata.version('torch-lr-finder')}")
    print(f"{STEPS} steps, lr {START_LR:g} -> {END_LR:g} (exponential), batch {BATCH}, "
          f"{args.n_train:,} images in memory; torch-lr-finder reads them through a DataLoader over a "
          "TensorDataset of the same tensors, in the same order")

    course_times, reference_times = [], []
    for _ in range(args.repeats):  # alternate, so both meet the same background load
        course_seconds, course = course_run(copy.deepcopy(initial), train, args.seed)
        reference_seconds, finder, reference_suggestion = reference_run(copy.deepcopy(initial), train, args.seed)
        course_times.append(course_seconds)
        reference_times.append(reference_seconds)

    course_time, reference_time = statistics.median(course_times), statistics.median(reference_times)
    print(f"\ncourse_utils.lr_finder : {course_time:.3f} s  (median of {args.repeats}; "
          f"{course.stop_reason} after {len(course.curve)} steps)")
    print(f"torch-lr-finder        : {reference_time:.3f} s  (median of {args.repeats}; "
          f"{len(finder.history['lr'])} steps)")
    print(f"ratio torch-lr-finder / course: {reference_time / course_time:.2f}")

    print("\nsuggestions (steepest descent of the smoothed loss, first 10 and last 5 points skipped):")
    print(f"  course_utils.lr_finder : {course.suggestions['steepest']:.4g}   "
          f"(valley {course.suggestions['valley']:.3g}, minimum/10 {course.suggestions['min/10']:.3g})")
    print(f"  torch-lr-finder        : {reference_suggestion:.4g}")

    # Same losses? Apply torch-lr-finder's average to the course tool's raw losses.
    steps = min(len(course.curve), len(finder.history["loss"]))
    ours = reference_smoothing(course.curve["loss"].to_numpy())[:steps]
    theirs = np.array(finder.history["loss"][:steps])
    same_lrs = np.allclose(course.curve["lr"].to_numpy()[:steps], finder.history["lr"][:steps], rtol=1e-9)
    print(f"\nsame rates: {same_lrs}; same losses over {steps} common steps: "
          f"max |difference| = {np.max(np.abs(ours - theirs)):.2e}")


if __name__ == "__main__":
    main()
