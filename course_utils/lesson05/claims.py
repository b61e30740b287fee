"""Lesson 05's claims: the thresholds the notebook and the tests assert, and the numbers and
sentences each claim is worded from (never fixed text: every verdict follows the run).
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from ..training import History
from ..validation import check_int
from .experiments import GENERALIZATION_LRS

# Section 2: the good rate removes more than this share of the loss before training (%) ...
GOOD_LOSS_REMOVED_PCT = 40
# ... and reaches the too-small rate's final loss in less than this share of its updates.
CATCH_UP_MAX = 0.25
# Section 3: every schedule's test accuracy is above this (%; guessing gives 10) ...
SCHEDULE_MIN_TEST_ACC = 50
# ... and the rates fit used equal the closed form to this relative tolerance.
CLOSED_FORM_RTOL = 1e-6
# Section 4: Adam at torch's defaults ends below this fraction of SGD's training loss at its defaults.
ADAM_OVER_SGD_MAX = 0.5
# A rate is "good" for an optimizer when its loss is within this relative tolerance of the optimizer's best ...
GOOD_RANGE_TOLERANCE = 0.5
# ... and each optimizer has at least this many good rates on the grid.
MIN_GOOD_LRS = 2
# Section 5: per seed, the largest over the smallest training loss of the compared runs stays below this.
LOSS_MATCH_MAX = 1.2


# ---------------------------------------------------------------- 2. too small, good, too large
def catch_up_fraction(slow: History, fast: History, smooth: int = 10) -> float:
    """Share of ``slow``'s updates that ``fast`` needed to reach ``slow``'s final loss.

    Losses are mini-batch losses averaged over ``smooth`` consecutive updates. 0.05 means the
    fast run got there 20 times sooner; 1 (or more) means it never did within the run.
    """
    check_int("smooth", smooth, 1)
    slow_final = float(slow.steps["loss"].iloc[-smooth:].mean())
    fast_curve = fast.steps["loss"].rolling(smooth, min_periods=smooth).mean()
    reached = fast_curve[fast_curve <= slow_final]
    if reached.empty:
        return math.inf
    return float(fast.steps["step"].loc[reached.index[0]]) / len(slow.steps)


# ---------------------------------------------------------------- 3. schedules
def describe_schedules(table: pd.DataFrame) -> str:
    """Which schedule ended with the lowest training loss and the best test accuracy, and where
    the constant baseline ranks, worded from ``table``."""
    by_loss = table["final train loss"].rank(method="min").astype(int)
    by_accuracy = table["final test accuracy (%)"].rank(ascending=False, method="min").astype(int)
    best_loss, best_accuracy = table["final train loss"].idxmin(), table["final test accuracy (%)"].idxmax()
    spread = table["final test accuracy (%)"].max() - table["final test accuracy (%)"].min()
    return (f"Lowest final training loss: {best_loss} ({table.loc[best_loss, 'final train loss']:.3f}); "
            f"best test accuracy: {best_accuracy} ({table.loc[best_accuracy, 'final test accuracy (%)']:.1f}%).\n"
            f"The constant baseline ranks {by_loss['constant']} of {len(table)} by training loss and "
            f"{by_accuracy['constant']} of {len(table)} by test accuracy; "
            f"test accuracies span {spread:.1f} percentage points.")


# ---------------------------------------------------------------- 4. sensitivity to the rate
def describe_sensitivity(ranges: pd.DataFrame, tolerance: float = GOOD_RANGE_TOLERANCE) -> str:
    """Sentences, computed from ``ranges``, on where each optimizer works and how wide its range is.

    For two optimizers it also says what this sweep measured about moving a rate from one to
    the other: whether each one's best rate lies within the other's good range.
    """
    lines = []
    for name, row in ranges.iterrows():
        lines.append(f"{name}: best lr {row['best lr']:.2g} (final loss {row['best loss']:.3f}); rates within "
                     f"{tolerance:.0%} of its best span {row['smallest good lr']:.2g} to {row['largest good lr']:.2g} "
                     f"= {row['width (decades)']:.1f} decades ({int(row['good lrs'])} grid points).")
    if len(ranges) == 2:
        (name_a, a), (name_b, b) = ranges.iterrows()
        difference = a["width (decades)"] - b["width (decades)"]
        if abs(difference) < 0.25:
            verdict = (f"Both ranges are about equally wide in this run ({a['width (decades)']:.1f} vs "
                       f"{b['width (decades)']:.1f} decades).")
        else:
            wider, narrower = (name_a, name_b) if difference > 0 else (name_b, name_a)
            verdict = f"In this run {wider}'s good range is wider than {narrower}'s by {abs(difference):.1f} decades."
        lines.append(verdict)
        factor = max(a["best lr"], b["best lr"]) / min(a["best lr"], b["best lr"])
        lines.append(f"Their best rates differ by a factor of {factor:.0f}. In this sweep, "
                     f"{_best_rate_in_range(name_a, a, name_b, b)}, and {_best_rate_in_range(name_b, b, name_a, a)}.")
    return "\n".join(lines)


def _best_rate_in_range(name: str, row: pd.Series, other_name: str, other: pd.Series) -> str:
    """'sgd's best rate 0.3 lies outside adam's good range (0.001 to 0.01)', from the two rows of `good_lr_ranges`."""
    inside = other["smallest good lr"] <= row["best lr"] <= other["largest good lr"]
    return (f"{name}'s best rate {row['best lr']:.2g} lies {'inside' if inside else 'outside'} {other_name}'s good "
            f"range ({other['smallest good lr']:.2g} to {other['largest good lr']:.2g})")


# ---------------------------------------------------------------- 5. does a large rate regularize?
def loss_match_ratio(table: pd.DataFrame) -> pd.Series:
    """Per seed: largest over smallest training loss at the compared epochs (1 = perfectly matched)."""
    losses = table.groupby("seed")["train loss"]
    return losses.max() / losses.min()


def paired_difference(table: pd.DataFrame, column: str, first: str = "large", second: str = "small") -> pd.Series:
    """Per seed: ``column`` of rate ``first`` minus that of rate ``second``."""
    wide = table.pivot(index="seed", columns="rate", values=column)
    return wide[first] - wide[second]


# Two-sided 95% critical values of Student's t for 1..10 degrees of freedom (no SciPy needed).
_T_CRITICAL_95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)


def t_critical_95(degrees_of_freedom: int) -> float:
    """Two-sided 95% critical value of Student's t; beyond 10 degrees of freedom the
    approximation 1.96 + 2.4 / df (within 0.01 of the exact value)."""
    check_int("degrees_of_freedom", degrees_of_freedom, 1)
    if degrees_of_freedom <= len(_T_CRITICAL_95):
        return _T_CRITICAL_95[degrees_of_freedom - 1]
    return 1.96 + 2.4 / degrees_of_freedom


def describe_generalization(table: pd.DataFrame, lrs: Mapping[str, float] = GENERALIZATION_LRS) -> str:
    """A verdict on the article's two claims, worded from the measured paired differences
    (large minus small rate, per seed) and their 95% confidence interval."""
    test_diff = paired_difference(table, "test acc (%)")
    gap_diff = paired_difference(table, "gap (train - test acc, pp)")
    n = len(test_diff)
    mean = float(test_diff.mean())
    summary = (f"At matched training loss, large rate (lr = {lrs['large']:g}) minus small rate "
               f"(lr = {lrs['small']:g}), over {n} seed(s): test accuracy {mean:+.2f} pp on average "
               f"(large rate better in {int((test_diff > 0).sum())} of {n}); "
               f"generalization gap {float(gap_diff.mean()):+.2f} pp.")
    if n < 2:
        return summary + "\nOne seed cannot separate a difference from noise: run more seeds."
    half_width = t_critical_95(n - 1) * float(test_diff.std(ddof=1)) / math.sqrt(n)
    low, high = mean - half_width, mean + half_width
    interval = f"95% confidence interval of the test-accuracy difference: [{low:+.2f}, {high:+.2f}] pp."
    if low > 0:
        verdict = "Measured: the large rate generalized better, as the article claims."
    elif high < 0:
        verdict = "Measured: the small rate generalized better, the opposite of the article's claim."
    else:
        verdict = ("Measured: the interval contains 0, so this run does not detect an effect of the rate on "
                   "test accuracy at equal training loss: it supports neither 'a small rate overfits' nor "
                   "'a large rate regularizes' (which is not proof that there is no effect).")
    return f"{summary}\n{interval}\n{verdict}"


def describe_equal_epochs(table: pd.DataFrame) -> str:
    """What the comparison at an equal number of epochs shows, worded from ``equal_epoch_table``."""
    means = table.groupby("rate")[["train loss", "test acc (%)", "gap (train - test acc, pp)"]].mean()
    small, large = means.loc["small"], means.loc["large"]
    smaller_gap = "small" if small["gap (train - test acc, pp)"] < large["gap (train - test acc, pp)"] else "large"
    return (f"After the same number of epochs (the number the large rate needed), averaged over seeds: "
            f"small rate train loss {small['train loss']:.3f}, test accuracy {small['test acc (%)']:.1f}%, gap "
            f"{small['gap (train - test acc, pp)']:.1f} pp; large rate train loss {large['train loss']:.3f}, "
            f"test accuracy {large['test acc (%)']:.1f}%, gap {large['gap (train - test acc, pp)']:.1f} pp.\n"
            f"The {smaller_gap} rate has the smaller gap here"
            + (": it has simply fitted less, which is underfitting, not a cure for overfitting."
               if smaller_gap == "small" and small["train loss"] > large["train loss"] else "."))
