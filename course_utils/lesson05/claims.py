"""Lesson 05's claims: the thresholds, the numbers and sentences each claim is worded from
(never fixed text: every verdict follows the run), and one function per claim returning a
`Claim` (``claim_*``, and ``check_*`` for sanity bounds and identities). `run(seed, profile)`
runs every experiment behind them for the seed harness
(``python -m course_utils.claims --lessons 05``); calibrated on seeds 100-119, smoke and
laptop (``claims/lesson05_smoke_laptop.csv``).
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..claims import Claim
from ..config import budget
from ..training import History
from ..validation import check_int
from .experiments import (
    GENERALIZATION_LRS,
    compare_default_optimizers,
    compare_schedules,
    generalization_table,
    good_lr_ranges,
    load_data,
    lr_generalization,
    lr_regimes,
    lr_sweep,
    optimizers_table,
    regimes_table,
    schedules_table,
    sweep_grid,
)
from .quadratic import quadratic_regimes

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
def catch_up_fraction(slow: History, fast: History) -> float:
    """Share of ``slow``'s updates that ``fast`` needed to reach ``slow``'s final training loss.

    Both losses are full evaluations on the same fixed training images (`fit`'s evaluation rows,
    not single mini-batches). ``fast`` must have been evaluated inside its epochs (`fit`'s
    ``eval_every``, e.g. `catch_up_grid`): the answer is the first evaluated update count where
    its loss is at or below the target, so it is exact up to the spacing of that grid. 0.05
    means the fast run got there 20 times sooner; infinity means it never did within the run.
    """
    rows = fast.epochs
    if "step" not in rows:
        raise ValueError("the fast run needs evaluations inside its epochs: train it with fit(eval_every=...)")
    reached = rows[(rows["step"] > 0) & (rows["train_loss"] <= slow.final("train_loss"))]
    if reached.empty:
        return math.inf
    return float(reached["step"].iloc[0]) / len(slow.steps)


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
        return summary + "\nOne seed cannot separate a difference from noise: inconclusive at this size."
    low, high = generalization_interval(test_diff)
    interval = f"95% confidence interval of the test-accuracy difference: [{low:+.2f}, {high:+.2f}] pp."
    if low > 0 or high < 0:
        better = "large" if low > 0 else "small"
        verdict = (f"This run's interval excludes 0: here the {better} rate generalized better. With {n} seeds of "
                   "runs this small the course does not assert either direction (it is not checked to hold for every "
                   "seed), so treat it as a hint: inconclusive at this size.")
    else:
        verdict = ("The interval contains 0: this run does not detect an effect of the rate on test accuracy at "
                   "equal training loss, which is not proof that there is none: inconclusive at this size.")
    return f"{summary}\n{interval}\n{verdict}"


def generalization_interval(test_diff: pd.Series) -> tuple[float, float]:
    """The paired 95% confidence interval (Student's t) of the per-seed differences, in their units."""
    n = len(test_diff)
    half_width = t_critical_95(n - 1) * float(test_diff.std(ddof=1)) / math.sqrt(n)
    mean = float(test_diff.mean())
    return mean - half_width, mean + half_width


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


# ---------------------------------------------------------------- the claims, one function each
def check_quadratic_regimes(regimes: pd.DataFrame) -> Claim:
    """On f(x) = L/2 x^2, the regime read off torch's iterates is the one lr x L predicts (exact algebra)."""
    agree = int((regimes["predicted"] == regimes["measured"]).sum())
    wrong = regimes.loc[regimes["predicted"] != regimes["measured"], "lr x L"].tolist()
    return Claim("quadratic_regimes", "On a parabola, torch's SGD iterates behave as the factor 1 - lr x L predicts "
                 "(monotone, oscillating or diverging) for every rate tried.",
                 f"{len(regimes)} of {len(regimes)} rates agree",
                 f"{agree} of {len(regimes)} agree" + (f" (not at lr x L = {wrong})" if wrong else ""),
                 float(agree - len(regimes) + 1), kind="check")


def claim_good_rate_trains(summary: pd.DataFrame, threshold: float = GOOD_LOSS_REMOVED_PCT) -> Claim:
    """The good rate (0.1) removes more than ``threshold`` % of the loss before training, without diverging."""
    good = summary.loc["good"]
    removed = -math.inf if good["diverged"] else float(good["loss removed (%)"])
    return Claim("good_rate_trains", f"The good rate (lr = {good['lr']:g}) trains: it removes more than {threshold:g}% "
                 "of the training loss before training, without diverging.", f"loss removed > {threshold:g}%",
                 f"{removed:.0f}% removed ({good['loss before']:.3f} -> {good['loss after']:.3f})", removed - threshold)


def claim_good_rate_catches_up(runs: Mapping[str, History], threshold: float = CATCH_UP_MAX) -> Claim:
    """The good rate reaches the too-small rate's final training loss in less than ``threshold`` of its updates.

    Measured by `catch_up_fraction` on full training-loss evaluations at every update up to 10,
    then about 10% apart (`catch_up_grid`). The earlier version read 10-update running means of
    mini-batch losses, which cannot cross before update 10 (a floor of 10 / 96 in smoke). Seeds
    100-119: at most 2.1% of the updates (smoke), 1.3% (laptop).
    """
    fraction = catch_up_fraction(slow=runs["too small"], fast=runs["good"])
    shown = min(fraction, 10.0)
    measured = (f"{fraction:.1%} of the updates ({1 / fraction:.0f} times sooner)" if math.isfinite(fraction)
                else "never within the run")
    return Claim("good_rate_catches_up", "The good rate reaches the too-small rate's final training loss in less than "
                 f"{threshold:.0%} of the updates.", f"share of the updates < {threshold:.0%}", measured,
                 threshold - shown)


def check_too_large_diverges(summary: pd.DataFrame) -> Claim:
    """The too-large rate (3) diverges and `fit` stops it (a sanity bound: it blew up in every run we tried)."""
    large = summary.loc["too large"]
    total = int(summary["updates made"].max())
    made = int(large["updates made"])
    return Claim("too_large_diverges", f"The too-large rate (lr = {large['lr']:g}) diverges and fit stops it.",
                 "History.diverged", f"stopped after {made} of {total} updates" if large["diverged"] else
                 f"did not diverge in {made} updates", (total - made + 1) / total if large["diverged"] else 0.0,
                 kind="check")


def check_schedules_train(table: pd.DataFrame, threshold: float = SCHEDULE_MIN_TEST_ACC) -> Claim:
    """Every schedule trains: no divergence and test accuracy above ``threshold`` % (guessing gives 10%).

    A sanity bound, not a finding: seeds 100-119 gave at least 55.6% (smoke) and 65.2% (laptop).
    """
    accuracy = table["final test accuracy (%)"].fillna(-math.inf)
    worst = accuracy.idxmin()
    diverged = table.index[table["diverged"]].tolist()
    return Claim("schedules_train", f"Every schedule trains: none diverges and each reaches a test accuracy above "
                 f"{threshold:g}% (guessing gives 10%).", f"lowest test accuracy > {threshold:g}%, no divergence",
                 f"lowest {accuracy[worst]:.1f}% ({worst}); diverged: {diverged or 'none'}",
                 float(accuracy.min() - threshold), kind="check")


def check_closed_form_rates(table: pd.DataFrame, rtol: float = CLOSED_FORM_RTOL) -> Claim:
    """The rates `fit` used equal each schedule's closed form to ``rtol`` (relative; an identity)."""
    worst = float(table["max relative deviation from closed form"].max())
    return Claim("closed_form_rates", "The rates fit used, update by update, equal each schedule's closed form.",
                 f"largest relative deviation < {rtol:g}", f"largest relative deviation {worst:.1e}",
                 1.0 - worst / rtol, kind="check")


def claim_adam_beats_sgd_at_defaults(table: pd.DataFrame, factor: float = ADAM_OVER_SGD_MAX) -> Claim:
    """At torch's defaults Adam ends below ``factor`` times SGD's training loss (SGD's default rate is 0.001).

    Seeds 100-119: ratio at most 0.25 (smoke), 0.20 (laptop).
    """
    adam, sgd = table.loc["Adam", "final train loss"], table.loc["SGD", "final train loss"]
    ratio = adam / sgd if np.isfinite(adam) and np.isfinite(sgd) else math.inf
    return Claim("adam_beats_sgd_at_defaults", f"At torch's defaults, Adam reaches less than {factor:g} times the "
                 "training loss of SGD.", f"Adam / SGD < {factor:g}",
                 f"Adam {adam:.3f}, SGD {sgd:.3f} (ratio {ratio:.2f})", factor - min(ratio, 10.0))


def claim_good_ranges(ranges: pd.DataFrame, minimum: int = MIN_GOOD_LRS) -> Claim:
    """Each optimizer has at least ``minimum`` rates on the grid within `GOOD_RANGE_TOLERANCE` of its best loss."""
    counts = ranges["good lrs"].astype(int)
    return Claim("good_ranges", f"SGD and Adam each have a range of good rates: at least {minimum} grid points within "
                 f"{GOOD_RANGE_TOLERANCE:.0%} of the optimizer's best loss.", f"good rates >= {minimum} for each",
                 ", ".join(f"{name} {count}" for name, count in counts.items()), float(counts.min() - minimum + 1))


def claim_adam_best_below_sgd(ranges: pd.DataFrame) -> Claim:
    """Adam's best rate on the grid is smaller than SGD's (margin in decades)."""
    adam, sgd = ranges.loc["adam", "best lr"], ranges.loc["sgd", "best lr"]
    return Claim("adam_best_below_sgd", "Adam's best rate is smaller than SGD's: the two optimizers work at different "
                 "scales.", "Adam's best lr < SGD's best lr", f"Adam {adam:.2g}, SGD {sgd:.2g}",
                 float(np.log10(sgd / adam)))


def check_sweep_diverges_at_top(ranges: pd.DataFrame) -> Claim:
    """Both optimizers diverge somewhere on the grid (its top, 10, is far too large for both: a sanity bound)."""
    first = ranges["smallest lr that diverged"]
    return Claim("sweep_diverges_at_top", "Both optimizers diverge at the top of the grid.",
                 "a diverged rate for each", ", ".join(f"{name} from {lr:.2g}" for name, lr in first.items()),
                 1.0 if first.notna().all() else 0.0, kind="check")


def check_comparison_matched(matched: pd.DataFrame, limit: float = LOSS_MATCH_MAX) -> Claim:
    """Section 5's comparison is fair: every run reached the target and, per seed, the two training losses are
    within ``limit`` (largest / smallest). A precondition of the comparison, true by its design
    (seeds 100-119: largest ratio 1.05 in smoke, 1.14 in laptop)."""
    missed = matched.loc[~matched["reached target"], ["seed", "rate"]].values.tolist()
    ratio = float(loss_match_ratio(matched).max())
    return Claim("comparison_matched", f"Every run reached the target loss, and per seed the two rates' training "
                 f"losses are within a factor {limit:g}.", f"no run missed the target; largest ratio < {limit:g}",
                 f"missed: {missed or 'none'}; largest ratio {ratio:.3f}",
                 -math.inf if missed else limit - ratio, kind="check")


def run(seed: int, profile: str) -> list[Claim]:
    """Every claim and check of the lesson for one seed at one profile's budget (the seed harness calls this).

    The same calls as the notebook (which uses seed 0), without figures or widgets. Section 5's
    verdict on "a large rate regularizes" is printed, not asserted, so it is not among them.
    """
    cfg = budget("05", profile)
    data = load_data(cfg.n_train, cfg.n_test, seed=seed)
    claims = [check_quadratic_regimes(quadratic_regimes(lr_times_curvature=(0.3, 0.7, 1.0, 1.3, 1.7, 2.0, 2.2),
                                                        curvature=4.0))]
    regime_runs = lr_regimes(data, epochs=cfg.epochs, width=cfg.width, seed=seed)
    summary = regimes_table(regime_runs)
    claims += [claim_good_rate_trains(summary), claim_good_rate_catches_up(regime_runs),
               check_too_large_diverges(summary)]
    schedules = schedules_table(compare_schedules(data, epochs=cfg.epochs, width=cfg.width, seed=seed))
    claims += [check_schedules_train(schedules), check_closed_form_rates(schedules)]
    optimizers = optimizers_table(compare_default_optimizers(data, epochs=cfg.epochs, width=cfg.width, seed=seed))
    claims.append(claim_adam_beats_sgd_at_defaults(optimizers))
    sweep = lr_sweep(data, lrs=sweep_grid(1e-4, 10.0, cfg.sweep_points_per_decade), epochs=cfg.sweep_epochs,
                     width=cfg.width, seed=seed)
    ranges = good_lr_ranges(sweep, tolerance=GOOD_RANGE_TOLERANCE)
    claims += [claim_good_ranges(ranges), claim_adam_best_below_sgd(ranges), check_sweep_diverges_at_top(ranges)]
    runs = lr_generalization(n_train=cfg.gen_n_train, n_test=cfg.gen_n_test, seeds=range(seed, seed + cfg.gen_seeds),
                             target_loss=cfg.gen_target_loss, max_epochs=cfg.gen_max_epochs, width=cfg.width)
    claims.append(check_comparison_matched(generalization_table(runs, cfg.gen_target_loss)))
    return claims
