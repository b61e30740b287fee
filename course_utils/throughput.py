"""Throughput against batch size, its knee, and the largest batch that fits in memory.

Lesson 07 measures them on the learner's machine; lesson 10 uses the knee to pick a batch size.
"""
from __future__ import annotations

import functools
import gc
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from .config import cpu_threads, synchronize
from .data import Split
from .models import new_model
from .training import fit
from .validation import check_int, check_positive

SMALL_MODEL = functools.partial(new_model, 64, 1)  # the lesson's MLP: one hidden layer of 64 units

# --------------------------------------------------------------------------------------
# 1. Throughput, and the largest batch that fits in memory
# --------------------------------------------------------------------------------------

def measure_throughput(
    train: Split,
    batch_sizes: Sequence[int],
    *,
    make_model: Callable[[], nn.Module] = SMALL_MODEL,
    min_samples: int = 2048,
    min_steps: int = 3,
    repeats: int = 2,
    lr: float = 0.01,
    threads: int | None = 1,
) -> pd.DataFrame:
    """Training samples per second for each batch size, timed with `fit`'s own clock.

    Each batch size trains for ``max(min_steps, min_samples / B)`` updates, ``repeats``
    times from a fresh model; the fastest repeat is kept (other programs can only slow a
    run down). On a CPU it runs on one thread by default (``threads=None``: PyTorch's
    setting): with two threads on two cores, one busy core made the timings erratic enough
    that the two-cost model missed the median batch size by 3x in the seed harness; with one
    thread it stayed within 1.4x on a machine busy with other jobs. `fit`'s epoch clock is read
    after it has synchronized the device.
    Columns: ``batch_size``, ``steps``, ``seconds``, ``samples_per_s``, ``ms_per_step``.
    """
    sizes = [check_int("batch_sizes", int(b), 1, len(train), "the number of training examples") for b in batch_sizes]
    check_int("min_samples", min_samples, 1)
    check_int("min_steps", min_steps, 1)
    check_int("repeats", repeats, 1)
    check_positive("lr", lr)
    rows = []
    with cpu_threads(threads):
        for b in sizes:
            steps = max(min_steps, math.ceil(min_samples / b))
            epochs = math.ceil(steps * b / len(train))
            best = math.inf
            for repeat in range(repeats):
                model = make_model()
                synchronize(train.x.device)
                history = fit(model, train, epochs=epochs, max_steps=steps, lr=lr, batch_size=b, seed=repeat,
                              drop_last=True, progress=False, verbose=False, divergence_factor=1e12)
                best = min(best, float(history.epochs["seconds"].iloc[-1]))
            rows.append({"batch_size": b, "steps": steps, "seconds": best, "samples_per_s": steps * b / best,
                         "ms_per_step": 1000 * best / steps})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Knee:
    """The two-regime fit ``seconds per step = overhead + per_sample * B``.

    Small batches pay the fixed ``overhead`` of an update for few samples; large ones are
    limited by ``per_sample`` compute. The knee ``B* = overhead / per_sample`` is where the
    two costs are equal and throughput reaches half of its ceiling ``1 / per_sample``.
    """

    overhead_ms: float
    per_sample_us: float

    @property
    def batch_size(self) -> float:
        return 1000 * self.overhead_ms / self.per_sample_us

    @property
    def ceiling(self) -> float:
        """Samples per second that an infinitely large batch would approach."""
        return 1e6 / self.per_sample_us

    def predict(self, batch_sizes) -> np.ndarray:
        """Predicted samples per second."""
        b = np.asarray(batch_sizes, dtype=float)
        return b / (self.overhead_ms / 1000 + b * self.per_sample_us / 1e6)


def throughput_knee(table: pd.DataFrame) -> Knee:
    """Fit `Knee` to a `measure_throughput` table by least squares on *relative* errors.

    Dividing each row by its own time gives small and large batches the same weight, so
    that the overhead is set by the small batches and the per-sample cost by the large.
    """
    if len(table) < 2:
        raise ValueError(f"throughput_knee needs at least two batch sizes (got {len(table)})")
    b = table["batch_size"].to_numpy(float)
    t = table["ms_per_step"].to_numpy(float)
    design = np.stack([np.ones_like(b), b], 1) / t[:, None]
    (overhead, per_sample), *_ = np.linalg.lstsq(design, np.ones_like(b), rcond=None)
    overhead, per_sample = max(float(overhead), 1e-9), max(float(per_sample), 1e-12)
    return Knee(overhead_ms=overhead, per_sample_us=1000 * per_sample)


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is a device out-of-memory error (CUDA's class, or MPS's RuntimeError)."""
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def free_device_memory() -> None:
    """Drop unreachable tensors and hand cached blocks back to the device."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        torch.mps.empty_cache()


@dataclass(frozen=True)
class MemorySearch:
    """Result of `largest_batch_that_fits`: the largest size that ran, and the first that did not."""

    largest_fit: int | None
    first_failure: int | None
    tried: tuple[int, ...]

    @property
    def hit_limit(self) -> bool:
        """True when every size up to the limit fitted: the true maximum is larger."""
        return self.first_failure is None


def largest_batch_that_fits(step: Callable[[int], object], *, start: int = 1, limit: int = 2 ** 20) -> MemorySearch:
    """Double the batch size from ``start`` until ``step(batch_size)`` runs out of device memory.

    ``step`` runs one training step (forward, backward, update) at that batch size. An
    out-of-memory error (`is_out_of_memory`) ends the search; any other error is raised.
    Memory is freed after every try, outside the ``except`` block: the exception's
    traceback holds the failed step's tensors, and they must be gone before the next try.
    """
    start = check_int("start", start, 1)
    limit = check_int("limit", limit, start)
    largest, failure, tried = None, None, []
    size = start
    while size <= limit:
        tried.append(size)
        out_of_memory = False
        try:
            step(size)
        except Exception as error:  # only out-of-memory errors are expected; re-raise the rest
            if not is_out_of_memory(error):
                raise
            out_of_memory = True
        free_device_memory()
        if out_of_memory:
            failure = size
            break
        largest = size
        size *= 2
    return MemorySearch(largest, failure, tuple(tried))


def training_step_at(model: nn.Module, *, n_inputs: int = 28 * 28, n_classes: int = 10, lr: float = 0.01
                     ) -> Callable[[int], None]:
    """A ``step(batch_size)`` for `largest_batch_that_fits`: one SGD step on random inputs on the model's device."""
    device = next(model.parameters()).device
    optimizer = torch.optim.SGD(model.parameters(), lr=check_positive("lr", lr))

    def step(batch_size: int) -> None:
        x = torch.randn(batch_size, n_inputs, device=device)
        y = torch.randint(0, n_classes, (batch_size,), device=device)
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        synchronize(device)  # an asynchronous device reports the error only when it runs the step

    return step
