"""Lesson 04's experiments: the three variants, the quality of a mini-batch gradient, seconds per epoch.

- `compare_variants`: the same softmax-regression model trained on the same Fashion-MNIST
  subset with the three batch sizes (all, `minibatch_size`, one), through the toolkit's
  `train_variant`, which records the full training loss against epochs, updates and seconds;
- `gradient_quality`: at fixed parameters, the cosine of mini-batch gradients with the full
  gradient and their variance (`batch_gradient_spread`), against the variance predicted from
  the exact per-example gradients (`per_sample_gradient_variance`); `variance_slope` and
  `expected_cosine` read the table;
- `time_per_epoch`: seconds of one epoch of `fit` against the batch size.

The 2-D paths come from the toolkit's `toy_regression.trace_2d`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..batch_runs import VariantRun, train_variant
from ..config import cpu_threads, seed_everything
from ..data import Split
from ..gradients import flat_gradient, per_sample_gradient_variance
from ..models import mlp
from ..training import fit
from ..validation import check_int, check_positive


def compare_variants(
    train: Split,
    *,
    lr: float,
    full_batch_epochs: int,
    minibatch_epochs: int,
    stochastic_epochs: int,
    minibatch_size: int = 32,
    seed: int = 0,
    depth: int = 0,
    width: int = 64,
    threads: int | None = 1,
) -> dict[str, VariantRun]:
    """Train the same model from the same initialisation with the three variants.

    Batch sizes: ``len(train)`` (full batch), ``minibatch_size`` and 1 (stochastic). All
    use plain SGD with the same learning rate ``lr``. Each gets its own number of epochs,
    because their epochs cost so differently: a full-batch epoch is one update, a
    stochastic one is ``len(train)`` updates. Every run is also measured after
    ``full_batch_epochs`` updates, the point where the per-update comparison is made.
    ``depth=0`` is softmax regression, ``depth>0`` an MLP of that many hidden layers.
    ``threads``: CPU threads while training (see `cpu_threads`).
    """
    check_int("minibatch_size", minibatch_size, 2, len(train) - 1, "strictly between 1 and len(train)")
    settings = {
        "full batch": (len(train), check_int("full_batch_epochs", full_batch_epochs, 1)),
        "mini-batch": (minibatch_size, check_int("minibatch_epochs", minibatch_epochs, 1)),
        "stochastic": (1, check_int("stochastic_epochs", stochastic_epochs, 1)),
    }
    runs = {}
    with cpu_threads(threads):
        for name, (batch_size, epochs) in settings.items():
            seed_everything(seed)
            model = mlp(width=width, depth=depth).to(train.x.device)
            runs[name] = train_variant(model, train, batch_size=batch_size, lr=lr, epochs=epochs,
                                       seed=seed, name=name, extra_points=(full_batch_epochs,))
    return runs


def gradient_quality(
    model: nn.Module,
    train: Split,
    batch_sizes: Sequence[int],
    *,
    n_batches: int = 64,
    min_examples: int = 512,
    seed: int = 0,
    threads: int | None = 1,
) -> pd.DataFrame:
    """Mini-batch gradients against the full gradient, at the model's current parameters.

    For each batch size B, ``max(n_batches, min_examples // B)`` batches are drawn (each
    without replacement) from ``train``: small batches are the noisiest and the cheapest,
    so they get more draws. Each batch's gradient of the mean loss is compared with the
    full gradient G over all of ``train``.

    Columns: ``batch_size``; ``cosine`` (mean cosine similarity with G) and
    ``cosine_std``; ``variance`` (mean of |g_B - G|^2); ``variance_corrected`` (times
    (N - 1)/(N - B), removing the finite-population factor); ``predicted_variance``
    (``tr Sigma / B * (N - B)/(N - 1)`` from the exact per-sample gradients, an
    independent computation); ``full_gradient_norm``. ``threads``: CPU threads while
    computing (see `cpu_threads`).
    """
    n = len(train)
    check_int("n_batches", n_batches, 2)
    check_int("min_examples", min_examples, 0)
    sizes = [check_int("batch_sizes", int(b), 1, n - 1, "1 to len(train) - 1") for b in batch_sizes]
    if len(sizes) < 2:
        raise ValueError(f"batch_sizes needs at least two sizes (got {list(batch_sizes)!r})")
    model.to(train.x.device)  # like fit: the model follows the data
    with cpu_threads(threads):
        return _gradient_quality(model, train, sizes, n_batches, min_examples, seed)


def _gradient_quality(model, train, sizes, n_batches, min_examples, seed) -> pd.DataFrame:
    n = len(train)
    was_training = model.training
    model.eval()  # the same function for every batch (no dropout); plain MLPs are unaffected
    full = flat_gradient(model, train.x, train.y)
    trace_sigma, _ = per_sample_gradient_variance(model, train)
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for b in sizes:
        cosines, distances = batch_gradient_spread(model, train, full, b, max(n_batches, min_examples // b), generator)
        finite = (n - b) / (n - 1)
        variance = float(np.mean(distances))
        rows.append({
            "batch_size": b, "cosine": float(np.mean(cosines)), "cosine_std": float(np.std(cosines)),
            "variance": variance, "variance_corrected": variance / finite,
            "predicted_variance": trace_sigma / b * finite, "full_gradient_norm": float(full.norm()),
        })
    model.train(was_training)
    return pd.DataFrame(rows)


def batch_gradient_spread(model: nn.Module, train: Split, full: torch.Tensor, batch_size: int, draws: int,
                          generator: torch.Generator) -> tuple[list[float], list[float]]:
    """``draws`` batch gradients g_B against the full gradient ``full`` (G): their cosines and |g_B - G|^2.

    Each batch is ``batch_size`` examples drawn without replacement (``generator`` picks them).
    """
    cosines, distances = [], []
    for _ in range(draws):
        index = torch.randperm(len(train), generator=generator)[:batch_size].to(train.y.device)
        g = flat_gradient(model, train.x[index], train.y[index])
        cosines.append(float(nn.functional.cosine_similarity(g, full, dim=0)))
        distances.append(float(((g - full) ** 2).sum()))
    return cosines, distances


def variance_slope(quality: pd.DataFrame, column: str = "variance_corrected") -> float:
    """Slope of log(``column``) against log(batch size): -1 means variance proportional to 1/B."""
    slope, _ = np.polyfit(np.log(quality["batch_size"]), np.log(quality[column]), 1)
    return float(slope)


def expected_cosine(quality: pd.DataFrame) -> pd.Series:
    """Rough prediction of the mean cosine: ``|G| / sqrt(|G|^2 + predicted variance)``.

    A mini-batch gradient is the full gradient plus noise of squared size ``variance``; in
    many dimensions the noise is nearly orthogonal to G, which gives this ratio.
    """
    signal = quality["full_gradient_norm"] ** 2
    return np.sqrt(signal / (signal + quality["predicted_variance"]))


def time_per_epoch(
    train: Split,
    batch_sizes: Sequence[int],
    *,
    lr: float = 0.004,
    repeats: int = 2,
    seed: int = 0,
    depth: int = 0,
    width: int = 64,
    threads: int | None = 1,
) -> pd.DataFrame:
    """Measured training seconds of one epoch for each batch size (`fit`'s own clock).

    Each batch size is timed ``repeats`` times and the fastest is kept: other programs
    can only slow a run down, so the minimum is the best estimate of the cost itself.
    Columns: ``batch_size``, ``updates`` (per epoch), ``seconds``, ``ms_per_update``.
    """
    sizes = [check_int("batch_sizes", int(b), 1, len(train), "the number of training samples") for b in batch_sizes]
    check_positive("lr", lr)
    check_int("repeats", repeats, 1)
    rows = []
    with cpu_threads(threads):
        for b in sizes:
            seconds = math.inf
            for repeat in range(repeats):
                seed_everything(seed)
                model = mlp(width=width, depth=depth).to(train.x.device)
                history = fit(model, train, epochs=1, lr=lr, batch_size=b, seed=seed + repeat,
                              progress=False, verbose=False, divergence_factor=1e12)
                seconds = min(seconds, float(history.epochs["seconds"].iloc[-1]))
            updates = math.ceil(len(train) / b)
            rows.append({"batch_size": b, "updates": updates, "seconds": seconds,
                         "ms_per_update": 1000 * seconds / updates})
    return pd.DataFrame(rows)
