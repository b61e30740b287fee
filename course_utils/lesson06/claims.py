"""Lesson 06's claims: each a function of the run's results returning a `Claim`.

The notebook checks them one by one after each experiment; `run(seed, profile)` runs every
experiment behind them at that profile's budget (the notebook's calls, no figures) for the
tests and for ``python -m course_utils.claims --lessons 06``. Calibrated on seeds 100-119
in the smoke and laptop profiles (``claims/lesson06_smoke_laptop.csv``).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from ..claims import Claim
from ..config import budget
from ..data import fashion_mnist
from ..lr_finder import RangeTestResult, lr_range_test
from ..models import new_model
from ..training import History
from .experiments import (
    compare_rates,
    compare_rates_over_seeds,
    mean_over_seeds,
    one_cycle_vs_constant,
    run_range_test,
    spread_ratio,
    suggestion_spread,
    train_at,
)
from .least_squares import LeastSquares, least_squares_problem, least_squares_range_test, predicted_stop

CENTRED_WINDOW = 9  # steps of the centred running mean that stands for the raw curve's bottom (no lag)
COMPARE_SEEDS = 3  # model seeds the suggested rate is compared over
ONE_CYCLE_ACC_TOLERANCE = 0.02  # one-cycle may end this much validation accuracy below the constant rate ...
ONE_CYCLE_LOSS_TOLERANCE = 0.05  # ... and this much validation loss above it


# ---------------------------------------------------------------- 4. smoothing
def claim_bias_correction_needed(result: RangeTestResult, beta: float = 0.98, factor: float = 4.0) -> Claim:
    """Without the bias correction the stopping rule fires within 10 steps; with it the test runs over 50.

    Margin in steps: the smaller of (11 - the uncorrected stop step) and (steps run - 50).
    """
    losses = result.curve["loss"].to_numpy()
    stop = predicted_stop(losses, beta, factor, bias_correction=False)
    stop_step = len(losses) + 1 if stop is None else stop + 1
    return Claim("bias_correction_needed", "Without the bias correction the stopping rule fires within the first 10 "
                 "steps; with it the same losses run for more than 50 steps.",
                 "uncorrected stop <= step 10 and > 50 steps run",
                 f"uncorrected stop at step {stop_step}; {len(losses)} steps run", float(min(11 - stop_step,
                                                                                          len(losses) - 50)))


def claim_smoothed_minimum_lags(result: RangeTestResult, window: int = CENTRED_WINDOW) -> Claim:
    """The lowest smoothed loss comes at a larger rate than the bottom of the raw losses (margin in ramp steps).

    The bottom of the raw curve is read off a centred running mean of ``window`` mini-batch
    losses, which has no lag. The single lowest mini-batch loss, used before, is one noisy
    batch: on some seeds it fell after the smoothed minimum (the claim failed 2 of 12 seeds).
    """
    curve = result.curve
    centred = curve["loss"].rolling(window, center=True, min_periods=1).mean()
    raw_step = int(np.nanargmin(centred.to_numpy()))
    smooth_step = int(np.nanargmin(curve[result.monitor].to_numpy()))
    return Claim("smoothed_minimum_lags", "The lowest smoothed loss comes at a larger rate than the bottom of the raw "
                 f"mini-batch losses (their centred running mean over {window} steps).",
                 "smoothed minimum at a later step",
                 f"raw bottom at lr {curve['lr'].iloc[raw_step]:.3g} (step {raw_step + 1}), smoothed minimum at lr "
                 f"{curve['lr'].iloc[smooth_step]:.3g} (step {smooth_step + 1})",
                 float(smooth_step - raw_step))


# ---------------------------------------------------------------- 5. stopping and restoring
def claim_stopped_by_divergence(result: RangeTestResult, steps: int = 100) -> Claim:
    """The test stopped before its last step because the smoothed loss diverged (margin: steps left)."""
    diverged = result.stop_reason == "diverged"
    return Claim("stopped_by_divergence", f"The test stopped before its {steps}th step because the smoothed loss "
                 "diverged.", f"stop reason 'diverged', fewer than {steps} steps",
                 f"{result.stop_reason} after {len(result.curve)} steps",
                 float(steps - len(result.curve)) if diverged else 0.0)


def check_model_restored(before: Sequence[torch.Tensor], model: torch.nn.Module) -> Claim:
    """After a range test the model's weights are bit for bit the ones it had before (by construction)."""
    same = sum(torch.equal(b, a) for b, a in zip(before, model.parameters(), strict=True))
    return Claim("model_restored", "After a range test the model's weights are bit for bit the ones it had before.",
                 f"{len(before)} of {len(before)} tensors equal", f"{same} of {len(before)} tensors equal",
                 float(same - len(before) + 1), kind="check")


# ---------------------------------------------------------------- 7. the validation variant
def claim_variants_agree(result: RangeTestResult, val_result: RangeTestResult, factor: float = 3.0) -> Claim:
    """The training-loss and validation-loss tests agree on the steepest-descent rate within ``factor``."""
    a, b = result.suggestions["steepest"], val_result.suggestions["steepest"]
    ratio = max(a, b) / min(a, b) if min(a, b) > 0 else math.inf
    return Claim("variants_agree",
                 f"The two variants agree on the steepest-descent rate within a factor of {factor:g}.",
                 f"ratio <= {factor:g}", f"{a:.3g} (training loss) vs {b:.3g} (validation loss): ratio {ratio:.2f}",
                 factor - min(ratio, 100.0))


def claim_val_valley_in_flat_start(val_result: RangeTestResult) -> Claim:
    """On the smooth validation curve the valley lands in the flat start, over 10x below the steepest descent.

    Margin in decades: log10(steepest / valley) - 1.
    """
    steepest, low = val_result.suggestions["steepest"], val_result.suggestions["valley"]
    decades = math.log10(steepest / low) if low > 0 and math.isfinite(low) else -math.inf
    return Claim("val_valley_in_flat_start", "On the validation curve the valley rule lands in the flat start, more "
                 "than 10 times below the steepest-descent rate.", "valley < steepest / 10",
                 f"valley {low:.2g}, steepest {steepest:.2g} ({10 ** decades:.0f} times lower)", decades - 1)


# ---------------------------------------------------------------- 8. stability over seeds
def claim_steepest_spread(ratios: pd.Series, factor: float = 6.0) -> Claim:
    """The steepest-descent suggestion moves by at most ``factor`` (largest / smallest) over the seeds.

    Restated from "at most 4, and less than the valley's spread": over 5 seeds, seeds 100-119
    gave at most 3.05 except one laptop run at 5.34 (one seed's suggestion 9 ramp steps off),
    so the bound is 6 (10 steps of 1.2x). The valley moved less than the steepest descent in 3 of
    the 40 runs (1 smoke, 2 laptop) and tied in 2 more (smoke), so that comparison is printed, not asserted.
    """
    return Claim("steepest_spread", f"The steepest-descent suggestion moves by at most a factor of {factor:g} from "
                 "seed to seed.", f"largest / smallest <= {factor:g}", f"{ratios['steepest']:.2f}",
                 factor - float(ratios["steepest"]))


# ---------------------------------------------------------------- 9. least squares
def check_stop_matches_closed_form(result: RangeTestResult, predicted_step: int | None) -> Claim:
    """The test stops at exactly the step the closed-form loss curve predicts (an identity, up to rounding)."""
    stop = len(result.curve) - 1
    shown = "never" if predicted_step is None else f"step {predicted_step + 1}"
    return Claim("stop_matches_closed_form", "On least squares the test stops at exactly the step that the closed "
                 "form of the loss predicts.", "same step", f"stopped at step {stop + 1}, closed form: {shown}",
                 1.0 if predicted_step == stop else 0.0, kind="check")


def claim_stop_within_bound(result: RangeTestResult, problem: LeastSquares, upper: float = 15.0) -> Claim:
    """The test stops between 1 and ``upper`` times 2/L (margin in units of 2/L to the nearer bound).

    About 10 x is expected (regrowth at 6.3 x plus two or three steps of the 1.2x ramp); seeds
    0-4 stopped at 9.2-10.0 x, seeds 100-119 at up to 11.98 x (seed 117, one step more), so
    the bound, 12 before, is 15: two steps above 10 x.
    """
    ratio = result.stop_lr / problem.divergence_lr
    return Claim("stop_within_bound", f"The test never stops below 2/L, and stops within {upper:g} x 2/L.",
                 f"1 <= stop / (2/L) <= {upper:g}", f"{ratio:.2f} x 2/L", float(min(ratio - 1, upper - ratio)))


def claim_suggestions_safe(result: RangeTestResult, problem: LeastSquares) -> Claim:
    """The steepest-descent and minimum/10 suggestions are below 2/L (margin in decades).

    Seeds 100-119: smallest margin 0.017 decades (seed 109: 4% below 2/L), typically 0.3-0.5.
    """
    top = max(result.suggestions["steepest"], result.suggestions["min/10"])
    return Claim("suggestions_safe", "The steepest-descent and minimum/10 suggestions are below 2/L: safe rates.",
                 "max(steepest, min/10) < 2/L", f"{top:.3g} vs 2/L = {problem.divergence_lr:.3g}",
                 float(np.log10(problem.divergence_lr / top)))


# ---------------------------------------------------------------- 10. training at the suggestion
def claim_suggested_beats_tenfold(over_seeds: pd.DataFrame) -> Claim:
    """Averaged over the model seeds, the suggestion ends with a lower validation loss than 10x less and 10x more.

    Per seed it failed 2 of 12 seeds in smoke and 1 in laptop (one of the other two rates came
    out ahead on that seed's initial weights), so the claim is on the mean over `COMPARE_SEEDS`
    model seeds (same data). Margin: the closer rival's mean loss minus the suggestion's; seeds
    100-119: smallest 0.17 (smoke), 0.033 (laptop).
    """
    means = mean_over_seeds(over_seeds).set_index("rate")
    suggested = means.loc["1 x suggestion", "val_loss"]
    rivals = means.drop("1 x suggestion")["val_loss"]
    return Claim("suggested_beats_tenfold", f"Averaged over {int(means['seeds'].min())} model seeds, the suggested "
                 "rate ends with a lower validation loss than ten times less and ten times more.",
                 "mean loss at the suggestion < both others", ", ".join(
                     f"{rate} {loss:.3f}" for rate, loss in means["val_loss"].items()),
                 float(rivals.min() - suggested))


def claim_suggested_more_accurate(over_seeds: pd.DataFrame) -> Claim:
    """Averaged over the model seeds, the suggestion ends with a higher validation accuracy than 10x less and more.

    Seeds 100-119: smallest margin 3.6 points (smoke), 1.7 points (laptop).
    """
    means = mean_over_seeds(over_seeds).set_index("rate")
    suggested = means.loc["1 x suggestion", "val_acc"]
    rivals = means.drop("1 x suggestion")["val_acc"]
    return Claim("suggested_more_accurate", f"Averaged over {int(means['seeds'].min())} model seeds, the suggested "
                 "rate also ends with a higher validation accuracy than both.", "mean accuracy highest",
                 ", ".join(f"{rate} {acc:.1%}" for rate, acc in means["val_acc"].items()),
                 float(suggested - rivals.max()))


def claim_valley_trains_worse(table: pd.DataFrame, valley_run: History) -> Claim:
    """With the same budget, the valley rate ends with a higher validation loss than the steepest-descent rate."""
    steepest = float(table.set_index("rate").loc["1 x suggestion", "val_loss"])
    valley_loss = valley_run.final("val_loss")
    return Claim("valley_trains_worse", "For plain SGD here, the valley rate ends with a higher validation loss than "
                 "the steepest-descent rate.", "valley loss > steepest loss",
                 f"valley {valley_loss:.3f}, steepest {steepest:.3f}", valley_loss - steepest)


# ---------------------------------------------------------------- 11. one-cycle
def claim_one_cycle_as_good(runs: dict[str, History], acc_tolerance: float = ONE_CYCLE_ACC_TOLERANCE,
                            loss_tolerance: float = ONE_CYCLE_LOSS_TOLERANCE) -> Claim:
    """One-cycle ends no more than ``acc_tolerance`` accuracy below and ``loss_tolerance`` loss above the constant rate.

    Margin in accuracy units: the smaller of the accuracy slack and the loss slack. The bound of
    1 point / 0.02 failed some seeds before; with 2 points / 0.05, seeds 100-119 gave a smallest
    margin of 0.009 (smoke) and 0.016 (laptop).
    """
    constant, one_cycle = runs.values()
    acc_slack = one_cycle.final("val_acc") - constant.final("val_acc") + acc_tolerance
    loss_slack = constant.final("val_loss") - one_cycle.final("val_loss") + loss_tolerance
    margin = -math.inf if one_cycle.diverged else min(acc_slack, loss_slack)
    return Claim("one_cycle_as_good", f"One-cycle ends at least about as well as the constant rate: no more than "
                 f"{100 * acc_tolerance:g} points of validation accuracy below it and {loss_tolerance:g} of validation "
                 "loss above it.", "accuracy slack > 0 and loss slack > 0",
                 f"one-cycle {one_cycle.final('val_acc'):.1%} / {one_cycle.final('val_loss'):.3f}, constant "
                 f"{constant.final('val_acc'):.1%} / {constant.final('val_loss'):.3f}", float(margin))


def run(seed: int, profile: str) -> list[Claim]:
    """All of the lesson's claims for one seed at one profile's budget (the seed harness calls this)."""
    cfg = budget("06", profile)
    data = fashion_mnist(cfg.n_train, cfg.n_val, cfg.n_test, seed=seed)
    result = run_range_test(data, seed=seed, progress=False)
    model = new_model(seed=seed)
    before = [p.detach().clone() for p in model.parameters()]
    lr_range_test(model, data, seed=seed, progress=False)
    val_result = run_range_test(data, seed=seed, mode="val", val_size=cfg.val_size, progress=False)
    ratios = spread_ratio(suggestion_spread(data, range(seed, seed + cfg.n_seeds), progress=False))
    problem = least_squares_problem(n=200, d=10, noise=0.1, seed=seed)
    ls_result, predicted = least_squares_range_test(problem, seed=seed)
    lr = result.suggestions["steepest"]
    table, _ = compare_rates(data, lr, epochs=cfg.compare_epochs, seed=seed)
    over_seeds = compare_rates_over_seeds(data, lr, epochs=cfg.compare_epochs, known={seed: table},
                                          seeds=range(seed, seed + COMPARE_SEEDS))
    valley_run = train_at(data, result.suggestions["valley"], epochs=cfg.compare_epochs, seed=seed)
    runs = one_cycle_vs_constant(data, max_lr=lr, constant_lr=lr, epochs=cfg.one_cycle_epochs, seed=seed)
    return [claim_bias_correction_needed(result), claim_smoothed_minimum_lags(result),
            claim_stopped_by_divergence(result), check_model_restored(before, model),
            claim_variants_agree(result, val_result), claim_val_valley_in_flat_start(val_result),
            claim_steepest_spread(ratios),
            check_stop_matches_closed_form(ls_result, predicted), claim_stop_within_bound(ls_result, problem),
            claim_suggestions_safe(ls_result, problem), claim_suggested_beats_tenfold(over_seeds),
            claim_suggested_more_accurate(over_seeds), claim_valley_trains_worse(table, valley_run),
            claim_one_cycle_as_good(runs)]
