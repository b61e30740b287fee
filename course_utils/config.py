"""Compute profiles, device choice and seeding: how much compute a lesson spends.

Every lesson asks `budget("NN")` for its sizes (training-set size, epochs, number of
seeds, ...). The numbers live in `BUDGETS` below and nowhere else, so a notebook never
hard-codes epochs or subset sizes. Three profiles:

- ``smoke``  : CI. Every notebook in about a minute on 2 CPU cores (``COURSE_PROFILE=smoke``).
- ``laptop`` : the default without a GPU. Each notebook takes a few minutes on 2 CPU cores.
- ``gpu``    : chosen automatically when CUDA or Apple's MPS is available: more data, more epochs.

``COURSE_PROFILE`` overrides the automatic choice. The lessons' claims must hold in all three.
"""
from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import torch

PROFILE_NAMES = ("smoke", "laptop", "gpu")


def get_device() -> torch.device:
    """The fastest device available: CUDA, then Apple's MPS, then the CPU.

    ``COURSE_DEVICE`` (``cpu``, ``cuda``, ``mps``) forces a choice.
    """
    forced = os.environ.get("COURSE_DEVICE")
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass(frozen=True)
class Profile:
    """A named compute budget; see the module docstring."""

    name: str

    def pick(self, smoke, laptop, gpu):
        """Return the value for this profile among the three given."""
        return {"smoke": smoke, "laptop": laptop, "gpu": gpu}[self.name]


def get_profile(name: str | None = None) -> Profile:
    """The active profile: ``name`` if given, else ``COURSE_PROFILE``, else by device."""
    name = name or os.environ.get("COURSE_PROFILE")
    if not name:
        name = "gpu" if get_device().type in ("cuda", "mps") else "laptop"
    name = name.strip().lower()
    if name not in PROFILE_NAMES:
        raise ValueError(
            f"COURSE_PROFILE must be one of {', '.join(PROFILE_NAMES)} (got {name!r})"
        )
    return Profile(name)


# Each entry: knob -> (smoke, laptop, gpu). Lessons read them through `budget(lesson)`.
BUDGETS: dict[str, dict[str, tuple]] = {
    "00": {
        # n_train + n_val must fit in the 60,000 training images (tests/test_budgets.py)
        "n_train": (2000, 10_000, 50_000),
        "n_val": (1000, 5000, 10_000),
        "epochs": (3, 5, 10),
        "width": (128, 256, 512),
    },
    "01": {
        "n_train": (300, 500, 1000),
        "n_test": (1000, 2000, 10_000),
        "epochs": (30, 40, 60),
        "sizes": (
            (100, 200, 400, 800),
            (250, 500, 1000, 2000, 4000),
            (500, 1000, 2000, 4000, 8000, 16_000),
        ),
        "sweep_epochs": (12, 15, 20),
    },
    "02": {
        "poly_resamples": (300, 1000, 2000),
        "poly_test_points": (200, 200, 400),
        "nn_widths": (
            (2, 8, 32, 128),
            (1, 2, 4, 8, 16, 32, 64, 128, 256),
            (1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
        ),
        "nn_resamples": (10, 20, 40),
        "nn_epochs": (300, 1000, 2000),
        "dd_train": (40, 100, 100),
        "dd_seeds": (5, 10, 20),
    },
    "03": {
        "n_train": (1000, 2000, 2000),
        "n_val": (1000, 2000, 5000),
        "n_test": (1000, 2000, 10_000),
        "widths": (
            (1, 2, 4, 16, 64, 256),
            (1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            (1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
        ),
        "epochs": (40, 60, 60),
        "noise_n_train": (1000, 2000, 4000),
        "noise_epochs": (30, 40, 60),
        "label_noise": (0.4, 0.4, 0.4),
    },
    "04": {
        "n_train": (500, 2000, 10_000),
        "lr": (0.004, 0.004, 0.004),
        "minibatch_size": (32, 32, 32),
        "full_batch_epochs": (60, 100, 100),
        "minibatch_epochs": (10, 20, 20),
        "stochastic_epochs": (2, 3, 3),
        "grad_batch_sizes": (
            (1, 2, 4, 8, 16, 32, 64),
            (1, 2, 4, 8, 16, 32, 64, 128, 256),
            (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
        ),
        "grad_n_batches": (64, 128, 128),
        "timing_batch_sizes": (
            (1, 4, 16, 64, 256),
            (1, 4, 16, 64, 256, 1024),
            (1, 4, 16, 64, 256, 1024, 4096),
        ),
        "traj_epochs": (10, 10, 10),
        "traj_long_epochs": (500, 500, 500),
    },
    "05": {
        "n_train": (2000, 10_000, 20_000),
        "n_test": (2000, 5000, 10_000),
        "width": (64, 128, 256),
        "epochs": (3, 3, 5),
        "sweep_epochs": (3, 2, 3),
        "sweep_points_per_decade": (2, 2, 3),
        "gen_n_train": (500, 1000, 2000),
        "gen_n_test": (1000, 2000, 5000),
        "gen_target_loss": (0.3, 0.1, 0.05),
        "gen_seeds": (2, 3, 5),
        "gen_max_epochs": (150, 300, 400),
        "panel_n_train": (1000, 2000, 10_000),
        "panel_epochs": (2, 3, 5),
    },
    "06": {
        # multiples of the batch size 128, so that no epoch ends on a tiny batch
        "n_train": (5120, 10_240, 40_960),
        "n_val": (2000, 5000, 10_000),
        "n_test": (1000, 2000, 10_000),
        "val_size": (1000, 2000, 5000),
        "n_seeds": (5, 5, 5),
        "compare_epochs": (3, 3, 4),
        "one_cycle_epochs": (6, 6, 8),
    },
    "07": {
        # n_train feeds the throughput test (batches up to 4096); the training experiments use n_small of it
        "n_train": (4096, 4096, 16_384),
        "n_val": (1000, 2000, 5000),
        "n_test": (2000, 2000, 5000),
        "n_small": (2048, 4096, 8192),
        "throughput_batch_sizes": ((1, 4, 16, 64, 256, 1024, 4096), tuple(2 ** k for k in range(13)),
                                   tuple(4 ** k for k in range(8))),
        "throughput_min_samples": (512, 2048, 8192),
        "throughput_repeats": (2, 3, 3),
        "batch_sizes": ((16, 32, 64, 128, 256, 512, 1024),) * 3,
        "base_batch": (16, 16, 16),
        "base_lr": (0.02, 0.02, 0.02),
        "epochs": (4, 6, 6),
        "per_epoch": (4, 8, 8),
        "tolerance": (1.4, 1.4, 1.4),
        "together_up_to": (64, 64, 64),
        "updates_up_to": (128, 128, 128),
        "grid_lrs": ((0.005, 0.02, 0.08, 0.32),) * 3,
        "grid_batch_sizes": ((16, 64, 256, 1024),) * 3,
        "target_acc": (0.7, 0.75, 0.78),
        "grid_max_epochs": (6, 8, 10),
        "noise_batch_size": (64, 64, 64),
        "noise_lr": (0.08, 0.08, 0.08),
        "noise_epochs": (3, 4, 5),
        "noise_examples": (1024, 2048, 4096),
        "noise_b_small": (16, 16, 16),
        "noise_b_big": (512, 512, 512),
        "noise_n_batches": (16, 32, 32),
        "steps_batch_sizes": ((16, 32, 64, 128, 256, 512), (8, 16, 32, 64, 128, 256, 512, 1024),
                              (8, 16, 32, 64, 128, 256, 512, 1024)),
        "steps_lrs": ((0.1, 0.2, 0.4), (0.05, 0.1, 0.2, 0.4), (0.05, 0.1, 0.2, 0.4)),
        "target_loss": (0.65, 0.6, 0.55),
        "steps_max_examples": (30_000, 60_000, 120_000),
        "gap_batch": (128, 128, 128),
        "grow_lr": (0.1, 0.1, 0.1),
        "grow_factor": (4, 4, 4),
        "grow_phases": (3, 3, 3),
        "grow_epochs_per_phase": (2, 2, 3),
        "panel_n_train": (1024, 2048, 4096),
        "panel_epochs": (3, 3, 4),
    },
    "08": {
        # quadratic experiments (NumPy): condition numbers over 2 to 2.5 decades, stability grid
        "kappas": ((10, 30, 100, 300, 1000), (10, 30, 100, 300, 1000, 3000), (10, 30, 100, 300, 1000, 3000)),
        "stability_points": (12, 23, 23),
        "stability_steps": (500, 1000, 1000),
        # Fashion-MNIST: multiples of the batch size, a small MLP, few epochs
        "n_train": (4096, 8192, 16_384),
        "n_val": (1000, 2000, 5000),
        "n_test": (1000, 1000, 1000),
        "batch_size": (128, 128, 128),
        "width": (128, 128, 256),
        "epochs": (3, 4, 5),
    },
    "09": {
        # lesson 03's over-fitting regime: a small subset, a wide one-hidden-layer MLP, 40% noisy labels
        "n_train": (500, 1000, 2000),
        "n_val": (500, 1000, 2000),
        "n_test": (1000, 2000, 5000),
        "width": (256, 256, 256),
        "batch_size": (50, 50, 50),
        "lr": (0.05, 0.05, 0.05),
        "epochs": (15, 20, 30),
        "label_noise": (0.4, 0.4, 0.4),
        "decays": ((0.0, 1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1),) * 3,
        "grid_lrs": ((0.003, 0.01, 0.03, 0.1),) * 3,
        "grid_decays": ((0.0, 1e-2, 1e-1), (0.0, 1e-2, 3e-2, 1e-1), (0.0, 1e-2, 3e-2, 1e-1)),
        "grid_epochs": (15, 20, 20),
        "sizes": ((250, 2000), (250, 2000), (250, 4000)),
        "size_decays": ((0.0, 1e-3, 1e-2, 1e-1), (0.0, 1e-2, 3e-2, 1e-1), (0.0, 1e-2, 3e-2, 1e-1)),
        "size_steps": (150, 300, 400),
        "panel_decays": ((0.0, 1e-3, 1e-2, 1e-1, 1.0),) * 3,
        "panel_epochs": (10, 15, 15),
    },
    "10": {
        "n_train": (2000, 5000, 10_000),
        "n_val": (1000, 2000, 5000),
        "n_test": (2000, 5000, 10_000),
        "epochs": (3, 4, 5),
        "gvr_trials": (9, 9, 9),  # a perfect square: the grid is k x k
        "gvr_repeats": (300, 500, 1000),
        "search_trials": (8, 16, 24),
        "search_epochs": (2, 3, 3),
        "search_n_train": (1000, 2000, 4000),
        "search_n_val": (500, 1000, 2000),
        "class_trials": (2, 3, 5),
    },
}


def budget(lesson: str, profile: Profile | str | None = None) -> SimpleNamespace:
    """Sizes for one lesson in the active (or given) profile.

    >>> budget("00", "smoke").epochs
    3
    """
    if not isinstance(profile, Profile):
        profile = get_profile(profile)
    if lesson not in BUDGETS:
        raise ValueError(f"lesson must be one of {sorted(BUDGETS)} (got {lesson!r})")
    values = {knob: profile.pick(*options) for knob, options in BUDGETS[lesson].items()}
    return SimpleNamespace(profile=profile.name, **values)


def synchronize(device: torch.device | str | None = None) -> None:
    """Wait until ``device`` has finished its queued work (CUDA and MPS run asynchronously).

    Call it before reading a clock that times device work; on the CPU it does nothing.
    """
    device = torch.device(device) if device is not None else get_device()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


@contextlib.contextmanager
def cpu_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` CPU threads for PyTorch (``None``: leave the setting alone).

    The lesson times tiny models. Splitting a small matrix product across threads saves
    little, and when other programs keep the cores busy, threads that wait for each other
    can make a batched update many times slower than it should be. One thread keeps the
    timings about the model, not about the neighbours. The previous setting is restored.
    """
    if threads is None:
        yield
        return
    previous = torch.get_num_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a whole number >= 1 or None (got {threads!r})")
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def slider_threads() -> int:
    """CPU threads for one slider redraw: every core but one, at most 4 (``COURSE_SLIDER_THREADS`` overrides).

    PyTorch's default, one thread per core, lets a redraw's threads wait for each other
    whenever another program (a screen share, a browser) holds a core; on 2 cores that made
    a slider that trains live 3x slower with one core busy and over 100x slower with both
    (benchmarks/benchmark_sliders.py measures it side by side). Leaving one core to the rest
    of the machine keeps a redraw near its idle time; the tiny models of the sliders gain
    little beyond 4 threads.
    """
    forced = os.environ.get("COURSE_SLIDER_THREADS", "").strip()
    if forced:
        if not forced.isdigit() or int(forced) < 1:
            raise ValueError(f"COURSE_SLIDER_THREADS must be a whole number >= 1 (got {forced!r})")
        return int(forced)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores - 1, 4))


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's random generators (all devices)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators


def environment_report() -> dict[str, str]:
    """Versions, device and profile, for the welcome lesson's environment check."""
    import platform

    import matplotlib
    import pandas
    import torchvision

    device = get_device()
    report = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "matplotlib": matplotlib.__version__,
        "device": str(device),
        "cpu threads": str(torch.get_num_threads()),
        "profile": get_profile().name,
    }
    if device.type == "cuda":
        report["gpu"] = torch.cuda.get_device_name(device)
    return report
