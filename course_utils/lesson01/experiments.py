"""Lesson 01's experiments: one wide MLP on true or shuffled labels, and the size sweep.

- `train_wide_mlp` trains one wide MLP on a small training subset and measures training
  and test accuracy (the article's opening scenario: near-perfect on the training set,
  much worse on new images). With ``shuffled_fraction=1`` the same network is trained on
  randomly shuffled labels (Zhang et al. 2017): it still fits them, while test accuracy
  stays at chance. ``make_model`` swaps in another network.
- `size_sweep` repeats the training for several training-set sizes and tabulates the
  train/test gap, which shrinks as the set grows.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from ..config import seed_everything
from ..data import N_TEST_FULL, N_TRAIN_FULL, Split, fashion_mnist, shuffle_labels
from ..models import count_parameters, mlp
from ..training import History, evaluate, fit
from ..validation import check_fraction, check_int, check_positive

ModelFactory = Callable[[], nn.Module]  # builds a fresh network (called after the seed is set)


@dataclass
class GeneralizationRun:
    """What one training run measured.

    ``train_acc`` is measured on the labels the network was trained on (shuffled ones, if
    any); ``test_acc`` on untouched test images with their true labels.
    """

    history: History
    n_train: int
    n_parameters: int
    shuffled_fraction: float
    train_acc: float
    test_acc: float

    @property
    def gap(self) -> float:
        """Training accuracy minus test accuracy (a fraction; x100 for points)."""
        return self.train_acc - self.test_acc


def shuffle_some_labels(y: torch.Tensor, fraction: float, *, seed: int = 0) -> torch.Tensor:
    """A copy of ``y`` where a random ``fraction`` of the labels are shuffled among themselves.

    ``fraction=1`` is `course_utils.data.shuffle_labels` (no label is tied to its image any
    more); ``fraction=0`` returns the labels unchanged. The class counts never change.
    """
    check_fraction("fraction", fraction)
    n_shuffled = round(fraction * len(y))
    if n_shuffled < 2:
        return y.clone()
    generator = torch.Generator().manual_seed(seed + 3)
    # Sorted, so that with fraction=1 the result is exactly shuffle_labels(y).
    chosen = torch.randperm(len(y), generator=generator)[:n_shuffled].sort().values.to(y.device)
    mixed = y.clone()
    mixed[chosen] = shuffle_labels(y[chosen], seed=seed)
    return mixed


def _check_training(n_train: int, epochs: int, shuffled_fraction: float, n_test: int, lr: float,
                    batch_size: int) -> None:
    """`train_wide_mlp`'s argument checks: a bad value raises a ValueError that names it."""
    check_int("batch_size", batch_size, 1)
    check_int("n_train", n_train, batch_size, N_TRAIN_FULL, "at least one batch, at most the 60,000 training images")
    check_int("epochs", epochs, 1)
    check_fraction("shuffled_fraction", shuffled_fraction)
    check_int("n_test", n_test, 100, N_TEST_FULL, "enough test images to measure accuracy")
    check_positive("lr", lr)


def train_wide_mlp(
    n_train: int,
    epochs: int,
    *,
    shuffled_fraction: float = 0.0,
    n_test: int = 1_000,
    width: int = 1024,
    depth: int = 1,
    lr: float = 1e-3,
    batch_size: int = 32,
    track_test: bool = True,
    make_model: ModelFactory | None = None,
    progress: bool | None = None,
    seed: int = 0,
) -> GeneralizationRun:
    """Train a wide MLP with Adam on ``n_train`` Fashion-MNIST images and measure the gap.

    ``shuffled_fraction`` of the training labels are shuffled first (see
    `shuffle_some_labels`); the test labels are always the true ones. The network is
    ``make_model()``, by default ``mlp(width, depth)``. With ``track_test=True`` test
    accuracy is measured after every epoch (for learning curves); otherwise only once at
    the end, which is cheaper. ``progress``: show a progress bar (default: as `fit`
    decides, i.e. not in the smoke profile).
    """
    _check_training(n_train, epochs, shuffled_fraction, n_test, lr, batch_size)
    data = fashion_mnist(n_train, n_test=n_test, seed=seed)
    train = Split(data.train.x, shuffle_some_labels(data.train.y, shuffled_fraction, seed=seed))
    seed_everything(seed)
    model = mlp(width, depth) if make_model is None else make_model()
    history = fit(model, train, test=data.test if track_test else None, epochs=epochs, lr=lr,
                  optimizer="adam", batch_size=batch_size, seed=seed, progress=progress)
    _, test_acc = evaluate(model, data.test)
    return GeneralizationRun(history=history, n_train=n_train, n_parameters=count_parameters(model),
                             shuffled_fraction=shuffled_fraction,
                             train_acc=history.final("train_acc"), test_acc=test_acc)


def size_sweep(
    sizes: Sequence[int],
    epochs: int,
    *,
    n_test: int = 1_000,
    seed: int = 0,
    **training,
) -> pd.DataFrame:
    """Train the same network on growing training sets, each for ``epochs`` epochs.

    Returns one row per size: ``n_train``, ``epochs``, and ``train_acc``, ``test_acc`` and
    ``gap`` (fractions). ``training`` passes on to `train_wide_mlp` (width, lr, batch_size,
    make_model, ...).
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must hold at least 2 training-set sizes (got {sizes!r})")
    if sorted(set(sizes)) != sizes:
        raise ValueError(f"sizes must be distinct and increasing (got {sizes!r})")
    rows = []
    for n_train in sizes:
        run = train_wide_mlp(n_train, epochs, n_test=n_test, seed=seed, track_test=False, **training)
        rows.append({"n_train": n_train, "epochs": epochs, "train_acc": run.train_acc, "test_acc": run.test_acc,
                     "gap": run.gap})
    return pd.DataFrame(rows)
