"""Lesson 01's claims: the tolerances they are checked with, and the numbers they compare.

The notebook's asserts and the tests use the same constants (fractions, not %), and
compute the "fitted sooner" and "the gap shrinks" numbers with `epochs_to_reach` and
`gap_trend`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..training import History
from ..validation import check_fraction

N_CLASSES = 10
CHANCE_ACCURACY = 1 / N_CLASSES  # guessing among 10 balanced classes
MIN_TRAIN_ACC_TRUE = 0.98       # "about 100 %" training accuracy on true labels
MIN_GAP_SMALL_SET = 0.10        # the train/test gap on a small subset, at least 10 points
MIN_TRAIN_ACC_SHUFFLED = 0.95   # shuffled labels are fitted too
CHANCE_TOLERANCE = 0.06         # test accuracy on shuffled labels within 10 +/- 6 points
MIN_GAP_DROP = 0.05             # gap(smallest set) - gap(largest set), at least 5 points
MAX_GAP_TREND = -1.0            # gap slope against log2(size), points per doubling


def epochs_to_reach(history: History, level: float, column: str = "train_acc") -> int | None:
    """The first epoch at which ``column`` reaches ``level`` (``None`` if it never does)."""
    check_fraction("level", level)
    reached = history.epochs.loc[history.epochs[column] >= level, "epoch"]
    return int(reached.iloc[0]) if len(reached) else None


def gap_trend(table: pd.DataFrame) -> float:
    """Least-squares slope of the gap against log2(training-set size).

    In accuracy points per doubling of the data; negative means the gap shrinks.
    """
    slope, _ = np.polyfit(np.log2(table["n_train"]), 100 * table["gap"], 1)
    return float(slope)
