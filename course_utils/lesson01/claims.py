"""Lesson 01's claims: the tolerances, the numbers they compare, and one function per claim.

Each ``claim_*`` function takes the run's results (a `GeneralizationRun` or the size
sweep's table) and returns a `Claim`; the notebook calls ``.check()`` on it, the tests and
the seed harness (``python -m course_utils.claims --lessons 01``) call the same functions,
the harness through `run(seed, profile)`. Bounds were calibrated on seeds 100-119 in the
smoke and laptop profiles (``claims/lesson01_smoke_laptop.csv``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims import Claim
from ..config import budget
from ..models import mlp
from ..training import History
from ..validation import check_fraction
from .experiments import GeneralizationRun, size_sweep, train_wide_mlp

N_CLASSES = 10
CHANCE_ACCURACY = 1 / N_CLASSES  # guessing among 10 balanced classes
MIN_TRAIN_ACC_TRUE = 0.98       # "about 100 %" training accuracy on true labels
MIN_GAP_SMALL_SET = 0.10        # the train/test gap on a small subset, at least 10 points
MIN_TRAIN_ACC_SHUFFLED = 0.95   # shuffled labels are fitted too
CHANCE_TOLERANCE = 0.10         # test accuracy on shuffled labels within 10 points of chance, i.e. <= 20 %
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


# ---------------------------------------------------------------- the claims, one function each
def claim_fits_small_set(run: GeneralizationRun) -> Claim:
    """The wide network fits its small training subset: training accuracy at least 98 %."""
    return Claim("fits_small_set", "On a small training subset the wide network reaches about 100 % training "
                 f"accuracy (at least {MIN_TRAIN_ACC_TRUE:.0%}).", f"training accuracy >= {MIN_TRAIN_ACC_TRUE:.0%}",
                 f"{run.train_acc:.1%} on {run.n_train:,} images", run.train_acc - MIN_TRAIN_ACC_TRUE)


def claim_gap_small_set(run: GeneralizationRun) -> Claim:
    """Test accuracy stays at least 10 points below training accuracy on the small subset."""
    return Claim("gap_small_set", f"Test accuracy stays at least {100 * MIN_GAP_SMALL_SET:.0f} points below "
                 "training accuracy.", f"gap >= {100 * MIN_GAP_SMALL_SET:.0f} points",
                 f"train {run.train_acc:.1%}, test {run.test_acc:.1%}, gap {100 * run.gap:.1f} points",
                 run.gap - MIN_GAP_SMALL_SET)


def claim_memorizes_shuffled(shuffled: GeneralizationRun) -> Claim:
    """The same network fits randomly shuffled labels too: training accuracy at least 95 %."""
    return Claim("memorizes_shuffled", "The network fits the shuffled labels too: training accuracy at least "
                 f"{MIN_TRAIN_ACC_SHUFFLED:.0%}.", f"training accuracy >= {MIN_TRAIN_ACC_SHUFFLED:.0%}",
                 f"{shuffled.train_acc:.1%}", shuffled.train_acc - MIN_TRAIN_ACC_SHUFFLED)


def claim_shuffled_test_at_chance(shuffled: GeneralizationRun) -> Claim:
    """Trained on shuffled labels, test accuracy stays near chance: within 10 points of 10 %, i.e. at most 20 %.

    Restated from "10 % give or take 6 points", which held on seeds 100-119 but with 0.5
    points to spare in laptop: the test score ranged from 5.6 % to 12.1 % in smoke and from
    7.3 % to 15.5 % in laptop (standard deviation 2.3 points, more than the test set's own
    sampling error, because the memorized labels are spread unevenly over the classes), so
    16 % was about two standard deviations above the mean. The true labels give 70-80 %.
    """
    off = abs(shuffled.test_acc - CHANCE_ACCURACY)
    return Claim("shuffled_test_at_chance", "Trained on shuffled labels, its test accuracy stays near chance: within "
                 f"{100 * CHANCE_TOLERANCE:.0f} points of {CHANCE_ACCURACY:.0%}, i.e. at most "
                 f"{CHANCE_ACCURACY + CHANCE_TOLERANCE:.0%}.",
                 f"|test accuracy - {CHANCE_ACCURACY:.0%}| <= {100 * CHANCE_TOLERANCE:.0f} points",
                 f"{shuffled.test_acc:.1%} ({100 * off:.1f} points from chance)", CHANCE_TOLERANCE - off)


def claim_true_fitted_sooner(true_labels: GeneralizationRun, shuffled: GeneralizationRun,
                             level: float = 0.95) -> Claim:
    """The true labels reach 95 % training accuracy in fewer epochs than the shuffled ones (both reach it).

    The margin is the difference in epochs; if either run never reaches the level, the claim
    fails (margin -1).
    """
    true_epochs, shuffled_epochs = (epochs_to_reach(run.history, level) for run in (true_labels, shuffled))

    def when(epochs: int | None, run: GeneralizationRun) -> str:
        return f"after {epochs} epochs" if epochs is not None else f"never in {len(run.history.epochs) - 1} epochs"

    margin = -1.0 if true_epochs is None or shuffled_epochs is None else float(shuffled_epochs - true_epochs)
    return Claim("true_fitted_sooner", f"Memorizing noise is harder: the true labels reach {level:.0%} training "
                 "accuracy in fewer epochs than the shuffled ones.", "epochs(true) < epochs(shuffled)",
                 f"true labels {when(true_epochs, true_labels)}, shuffled labels {when(shuffled_epochs, shuffled)}",
                 margin)


def claim_narrow_memorizes_less(narrow_true: GeneralizationRun, narrow_shuffled: GeneralizationRun,
                                wide_shuffled: GeneralizationRun, fits: float = 0.92, fewer: float = 0.10) -> Claim:
    """A 16-unit network still fits the true labels (>= 92 %) but memorizes >= 10 points fewer shuffled ones.

    The margin is the smaller of the two, in accuracy (fractions). Restated from ">= 95 %
    and >= 20 points fewer": seed 102 failed in laptop (the narrow network memorized 82 % of
    the shuffled labels, 18 points fewer than the wide one), and in smoke the narrow network
    fitted the true labels to only 96.0 % at worst. Over seeds 100-119 the narrow network
    memorized 18-45 points fewer (laptop) and 25-47 points fewer (smoke), and fitted the true
    labels to 96.0-99.0 % (smoke) and 98.0-100 % (laptop).
    """
    fewer_by = wide_shuffled.train_acc - narrow_shuffled.train_acc
    return Claim("narrow_memorizes_less", f"A narrow network (16 hidden units) still fits the true labels (at least "
                 f"{fits:.0%}) but, in the same epochs, memorizes at least {100 * fewer:.0f} points fewer shuffled "
                 "labels than the wide one.", f"narrow true >= {fits:.0%}, wide - narrow shuffled >= "
                 f"{100 * fewer:.0f} points", f"narrow: true {narrow_true.train_acc:.1%}, shuffled "
                 f"{narrow_shuffled.train_acc:.1%}; wide shuffled {wide_shuffled.train_acc:.1%}",
                 min(narrow_true.train_acc - fits, fewer_by - fewer))


def claim_gap_drops(sweep: pd.DataFrame) -> Claim:
    """The gap is at least 5 points smaller at the largest training set than at the smallest."""
    gaps = 100 * sweep["gap"]
    drop = float(gaps.iloc[0] - gaps.iloc[-1])
    return Claim("gap_drops", f"The gap shrinks as the training set grows: at least {100 * MIN_GAP_DROP:.0f} points "
                 f"smaller at {int(sweep['n_train'].iloc[-1]):,} images than at {int(sweep['n_train'].iloc[0]):,}.",
                 f"gap(smallest) - gap(largest) >= {100 * MIN_GAP_DROP:.0f} points",
                 f"gaps {', '.join(f'{g:.1f}' for g in gaps)} points (drop {drop:.1f})", drop - 100 * MIN_GAP_DROP)


def claim_gap_trend(sweep: pd.DataFrame) -> Claim:
    """The gap's least-squares trend against log2(size) falls by at least 1 point per doubling of the data."""
    trend = gap_trend(sweep)
    return Claim("gap_trend", f"The gap's trend falls by at least {-MAX_GAP_TREND:g} point per doubling of the "
                 "training set.", f"slope <= {MAX_GAP_TREND:g} points per doubling",
                 f"slope {trend:.2f} points per doubling", MAX_GAP_TREND - trend)


def claim_test_acc_rises(sweep: pd.DataFrame) -> Claim:
    """Test accuracy is higher at the largest size than at the smallest (the gap does not close only by
    training accuracy dropping)."""
    first, last = float(sweep["test_acc"].iloc[0]), float(sweep["test_acc"].iloc[-1])
    return Claim("test_acc_rises", "Test accuracy is higher at the largest training set than at the smallest, so "
                 "the gap does not close merely because training accuracy dropped.", "test(largest) > test(smallest)",
                 f"{first:.1%} -> {last:.1%}", last - first)


def run_experiments(cfg, seed: int = 0) -> dict:
    """The notebook's training runs (no figures) at the sizes of ``cfg`` (a `budget("01")`)."""
    def narrow_mlp():
        return mlp(width=16, depth=1)

    results = {"true": train_wide_mlp(cfg.n_train, cfg.epochs, n_test=cfg.n_test, seed=seed, progress=False),
               "shuffled": train_wide_mlp(cfg.n_train, cfg.epochs, shuffled_fraction=1.0, n_test=cfg.n_test,
                                          seed=seed, progress=False)}
    results["narrow_true"] = train_wide_mlp(cfg.n_train, cfg.epochs, n_test=cfg.n_test, make_model=narrow_mlp,
                                            seed=seed, progress=False)
    results["narrow_shuffled"] = train_wide_mlp(cfg.n_train, cfg.epochs, shuffled_fraction=1.0, n_test=cfg.n_test,
                                                make_model=narrow_mlp, seed=seed, progress=False)
    results["sweep"] = size_sweep(cfg.sizes, cfg.sweep_epochs, n_test=cfg.n_test, seed=seed, progress=False)
    return results


def all_claims(results: dict) -> list[Claim]:
    """Every claim of the lesson on the results of `run_experiments`."""
    true, shuffled, sweep = results["true"], results["shuffled"], results["sweep"]
    return [claim_fits_small_set(true), claim_gap_small_set(true), claim_memorizes_shuffled(shuffled),
            claim_shuffled_test_at_chance(shuffled), claim_true_fitted_sooner(true, shuffled),
            claim_narrow_memorizes_less(results["narrow_true"], results["narrow_shuffled"], shuffled),
            claim_gap_drops(sweep), claim_gap_trend(sweep), claim_test_acc_rises(sweep)]


def run(seed: int, profile: str) -> list[Claim]:
    """The lesson's claims for one seed at one profile's budget (the seed harness calls this)."""
    return all_claims(run_experiments(budget("01", profile), seed))
