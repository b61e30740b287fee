"""Lesson 03's label-noise experiment: memorizing wrong labels, and early stopping against it.

`label_noise_experiment` replaces a fraction of the training labels by wrong ones and trains a
wide MLP to the end, while two `fit` callbacks watch it epoch by epoch: `EarlyStoppingMonitor`
(test accuracy, and a copy of the weights a stopping rule keeps) and `NoisyFitTracker` (how
many clean images the network gets right, how many wrong labels it reproduces). The stopping
rule is an argument: `highest_val_acc` (the default), `lowest_val_loss`, or any function of
the epochs table so far (a `StoppingRule`).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from ..config import seed_everything
from ..data import Data, Split, fashion_mnist
from ..models import mlp
from ..training import History, evaluate, train_mlp
from ..validation import check_fraction, check_int
from .experiments import ADAM, DEFAULT_LR

# The epochs table so far (one row per epoch, 0 = untrained; `History.epochs`) -> the epoch whose
# weights to keep. Called after every epoch, a rule keeps the current epoch or stays with its last choice.
StoppingRule = Callable[[pd.DataFrame], int]


def highest_val_acc(epochs: pd.DataFrame) -> int:
    """The default stopping rule: the first epoch with the highest validation accuracy so far."""
    return int(epochs["epoch"].iloc[epochs["val_acc"].argmax()])


def lowest_val_loss(epochs: pd.DataFrame) -> int:
    """A stopping rule that watches the loss instead: the first epoch with the lowest validation loss so far."""
    return int(epochs["epoch"].iloc[epochs["val_loss"].argmin()])


class EarlyStoppingMonitor:
    """A `fit` callback: test accuracy every epoch and a copy of the weights a stopping rule keeps.

    ``test_acc[e]`` is the test accuracy after epoch ``e`` (0: before training). After every
    epoch, ``rule`` (by default `highest_val_acc`) names the epoch whose weights to keep:
    ``best_epoch``, whose ``state_dict`` is ``best_state``; `restore_best` loads it back, which
    is what early stopping with patience does once training has ended. Training itself goes
    on to the end, so the epochs after the kept one are measured too.
    """

    def __init__(self, model: nn.Module, test: Split, rule: StoppingRule = highest_val_acc) -> None:
        self.model, self.test, self.rule = model, test, rule
        self.test_acc: list[float] = [evaluate(model, test)[1]]
        self.best_epoch = 0
        self.best_state = copy.deepcopy(model.state_dict())

    def __call__(self, history: History) -> None:
        self.test_acc.append(evaluate(self.model, self.test)[1])
        epoch = int(history.epochs["epoch"].iloc[-1])
        keep = self.rule(history.epochs)
        if keep == epoch:  # the rule prefers this epoch: copy its weights
            self.best_epoch = epoch
            self.best_state = copy.deepcopy(self.model.state_dict())
        elif keep != self.best_epoch:
            raise ValueError(f"the stopping rule chose epoch {keep}, whose weights were not kept: a rule may keep "
                             f"only the current epoch ({epoch}) or its last choice ({self.best_epoch})")

    def restore_best(self) -> nn.Module:
        """Load the kept weights into the model and return it."""
        self.model.load_state_dict(self.best_state)
        return self.model


class NoisyFitTracker:
    """A `fit` callback: how the network treats clean and relabelled training images.

    After every epoch it records the fraction of *clean* training images predicted as
    their (correct) label, and the fraction of *relabelled* images predicted as their
    wrong, noisy label: the part of the noise the network has memorized.
    """

    def __init__(self, model: nn.Module, train: Split, flipped: torch.Tensor) -> None:
        self.model, self.train, self.flipped = model, train, flipped
        self.clean_fit: list[float] = []
        self.noise_memorized: list[float] = []
        self(None)  # epoch 0, before training

    @torch.no_grad()
    def __call__(self, history: History | None) -> None:
        was_training = self.model.training
        self.model.eval()
        hits = self.model(self.train.x).argmax(1) == self.train.y
        self.model.train(was_training)
        self.clean_fit.append(float(hits[~self.flipped].float().mean()))
        self.noise_memorized.append(float(hits[self.flipped].float().mean()) if self.flipped.any() else math.nan)


@dataclass
class NoiseResult:
    """What `label_noise_experiment` measured.

    ``epochs``: one row per epoch (0 = untrained) with train_acc (against the noisy labels),
    val_acc and test_acc (clean labels), clean_fit and noise_memorized (see
    `NoisyFitTracker`). ``best_epoch``: the epoch the stopping rule kept (by default the
    highest validation accuracy). ``restored_test_acc``: test accuracy of its weights, reloaded.
    """

    epochs: pd.DataFrame
    label_noise: float
    best_epoch: int
    restored_test_acc: float
    history: History

    @property
    def last(self) -> pd.Series:
        """The row of the last epoch (training to the end)."""
        return self.epochs.iloc[-1]

    @property
    def at_best(self) -> pd.Series:
        """The row of the kept epoch (early stopping)."""
        return self.epochs.loc[self.best_epoch]

    @property
    def test_peak(self) -> pd.Series:
        """The row of the highest test accuracy (for reading only: choosing by it would be cheating)."""
        return self.epochs.loc[self.epochs["test_acc"].idxmax()]


def noisy_fashion_mnist(label_noise: float, n_train: int, n_val: int, n_test: int, *,
                        seed: int = 0) -> tuple[Data, torch.Tensor]:
    """Fashion-MNIST with ``label_noise`` of the training labels replaced by wrong ones, and which ones.

    Validation and test labels stay clean. The mask is True for each training image whose
    label differs from its true label (loaded again, without noise, to compare).
    """
    noisy = fashion_mnist(n_train, n_val, n_test, label_noise=label_noise, seed=seed)
    clean = fashion_mnist(n_train, 1, 1, seed=seed).train  # the same images with their true labels
    if not torch.equal(clean.x, noisy.train.x):
        raise RuntimeError("the clean and noisy training sets hold different images")
    return noisy, noisy.train.y != clean.y


def label_noise_experiment(
    label_noise: float = 0.4,
    *,
    n_train: int = 1_000,
    n_val: int = 1_000,
    n_test: int = 1_000,
    width: int = 256,
    depth: int = 1,
    epochs: int = 30,
    lr: float = DEFAULT_LR,
    batch_size: int = 32,  # twice the updates per epoch: the noise is memorized within the budget
    seed: int = 0,
    stopping_rule: StoppingRule = highest_val_acc,
) -> NoiseResult:
    """Train a wide MLP on training labels of which ``label_noise`` were replaced by wrong ones.

    Validation and test labels stay clean. Test accuracy is measured after every epoch and
    the weights of the epoch ``stopping_rule`` picks are kept (`EarlyStoppingMonitor`), so
    the result compares stopping early with training to the end.
    """
    check_fraction("label_noise", label_noise, include_one=False)
    check_int("n_val", n_val, 1, None, "early stopping needs a validation set")
    noisy, flipped = noisy_fashion_mnist(label_noise, n_train, n_val, n_test, seed=seed)
    seed_everything(seed)
    model = mlp(width, depth).to(noisy.train.x.device)
    monitor = EarlyStoppingMonitor(model, noisy.test, stopping_rule)
    tracker = NoisyFitTracker(model, noisy.train, flipped)
    _, history = train_mlp(noisy, width, depth, epochs=epochs, lr=lr, batch_size=batch_size,
                           seed=seed, callbacks=[monitor, tracker], model=model, **ADAM)
    table = history.epochs[["epoch", "train_acc", "val_acc", "val_loss"]].copy()
    table["test_acc"] = monitor.test_acc
    table["clean_fit"] = tracker.clean_fit
    table["noise_memorized"] = tracker.noise_memorized
    restored_test_acc = evaluate(monitor.restore_best(), noisy.test)[1]
    return NoiseResult(table.set_index("epoch", drop=False), label_noise, monitor.best_epoch,
                       restored_test_acc, history)
