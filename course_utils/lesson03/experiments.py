"""Lesson 03's capacity experiments: the sweep over widths, and reading it.

Every model is `mlp(width, depth)` trained by the toolkit's `training.train_mlp` (the course's
one loop, `fit`) with Adam (``ADAM``), on a small subset of Fashion-MNIST, so that both failure
modes show up in a few seconds on a CPU. `capacity_sweep` trains one network per width;
`pick_fits` chooses an under-, a well- and an over-fitting one for their learning curves;
`loss_rise` measures how far a validation loss climbed back from its minimum; `diagnose` is the
slider's rule-of-thumb verdict.
The label-noise experiment lives in `label_noise`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..data import Data, fashion_mnist
from ..models import count_parameters
from ..training import History, evaluate, train_mlp
from ..validation import check_fraction, check_int

# Adam at its usual rate fits (and over-fits) a small subset within a few dozen epochs.
DEFAULT_LR = 1e-3
DEFAULT_BATCH_SIZE = 64
ADAM = {"optimizer": "adam", "progress": False}  # how every model of the lesson is trained (with lr, batch_size)
PERCENT = 100


# --------------------------------------------------------------------------- capacity sweep

@dataclass
class SweepResult:
    """What `capacity_sweep` measured: one table row and one `History` per width."""

    table: pd.DataFrame  # width, depth, parameters, train_acc, val_acc, test_acc, gap
    histories: dict[int, History]

    def summary(self) -> pd.DataFrame:
        """The table for reading: one row per width, accuracies and gap in percent."""
        table = self.table.set_index("width")
        return pd.DataFrame({
            "parameters": table["parameters"],
            "training accuracy (%)": (PERCENT * table["train_acc"]).round(1),
            "test accuracy (%)": (PERCENT * table["test_acc"]).round(1),
            "gap (points)": (PERCENT * table["gap"]).round(1),
        }).rename_axis("hidden units")


def capacity_sweep(
    widths: Sequence[int] = (1, 2, 4, 16, 64, 256),
    depth: int = 1,
    *,
    n_train: int = 1_000,
    n_val: int = 1_000,
    n_test: int = 1_000,
    epochs: int = 40,
    lr: float = DEFAULT_LR,
    seed: int = 0,
    data: Data | None = None,
) -> SweepResult:
    """Train one MLP per width (``depth`` hidden layers, all on the same data) and measure.

    Every model sees the same ``n_train`` training images for ``epochs`` epochs. The
    table's accuracies are fractions in [0, 1] after the last epoch; ``gap`` is training
    minus test accuracy. Pass ``data`` to reuse an already loaded `Data`.
    """
    if not widths:
        raise ValueError("widths must name at least one width (got an empty sequence)")
    for width in widths:
        check_int("width", width, 1)
    check_int("depth", depth, 1, None, "depth 0 is the linear model, whose width means nothing")
    data = data or fashion_mnist(n_train, n_val, n_test, seed=seed)
    rows, histories = [], {}
    for width in sorted(set(widths)):
        model, history = train_mlp(data, width, depth, epochs=epochs, lr=lr, batch_size=DEFAULT_BATCH_SIZE,
                                   seed=seed, **ADAM)
        train_acc = history.final("train_acc")
        test_acc = evaluate(model, data.test)[1]
        rows.append({"width": width, "depth": depth, "parameters": count_parameters(model),
                     "train_acc": train_acc, "val_acc": history.final("val_acc"),
                     "test_acc": test_acc, "gap": train_acc - test_acc})
        histories[width] = history
    return SweepResult(pd.DataFrame(rows), histories)


def pick_fits(result: SweepResult, *, low: float = 0.7, tolerance: float = 0.03) -> dict[str, int]:
    """Widths of an under-, a well- and an over-fitting model from a sweep.

    Underfitting: the widest model whose training accuracy is still below ``low`` (the
    threshold `diagnose` uses; the smallest width if none is). Well-fitting: the smallest
    width whose final validation accuracy is within ``tolerance`` of the sweep's best (as
    simple as possible, but no simpler). Overfitting: the largest width.
    """
    check_fraction("low", low)
    check_fraction("tolerance", tolerance)
    table = result.table.sort_values("width")
    too_weak = table[table["train_acc"] < low]
    good_enough = table[table["val_acc"] >= table["val_acc"].max() - tolerance]
    underfitting = too_weak["width"].iloc[-1] if len(too_weak) else table["width"].iloc[0]
    return {"underfitting": int(underfitting),
            "well-fitting": int(good_enough["width"].iloc[0]),
            "overfitting": int(table["width"].iloc[-1])}


def loss_rise(history: History) -> float:
    """Final validation loss divided by its minimum over the epochs (1 = never rose)."""
    val_loss = history.epochs["val_loss"]
    return float(val_loss.iloc[-1] / val_loss.min())


def diagnose(train_acc: float, val_acc: float, *, low: float = 0.7, large_gap: float = 0.1) -> str:
    """A rule-of-thumb verdict from final accuracies (fractions): under-, over- or well-fitting."""
    for name, value in (("train_acc", train_acc), ("val_acc", val_acc), ("low", low), ("large_gap", large_gap)):
        check_fraction(name, value)
    gap = train_acc - val_acc
    if train_acc < low:
        return f"underfitting: training accuracy only {PERCENT * train_acc:.0f}%"
    if gap > large_gap:
        return f"overfitting: training {PERCENT * gap:.0f} points above validation"
    return f"fits reasonably: gap {PERCENT * gap:.0f} points"
