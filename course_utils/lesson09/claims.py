"""Lesson 09's claims: one function per claim, each returning a `course_utils.claims.Claim`.

The notebook, the tests and the seed harness (``python -m course_utils.claims --lessons 09``)
call the same functions; `run(seed, profile)` runs every experiment behind them at that
profile's budget. Margins are in each claim's own units (accuracy points are fractions:
0.05 = 5 points) and positive exactly when the claim holds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..claims import Claim
from ..config import budget
from ..data import fashion_mnist
from .experiments import (
    SMITH_GRID,
    DecaySweep,
    best_decay_per_lr,
    best_decay_per_size,
    decay_sweep,
    lr_decay_grid,
    size_sweep,
)
from .update_rules import compare_update_rules

IDENTITY_TOLERANCE = 1e-10  # float64 round-off after a few steps is ~1e-15; a real difference is > 1e-3
DIFFERENT_AT_LEAST = 1e-3
NOISY_GAIN_AT_LEAST = 0.03  # 3 accuracy points
SMITH_SHORTFALL_AT_LEAST = 0.03
CLEAN_EFFECT_BELOW = 0.03
GAP_SHRINK_AT_LEAST = 0.10
INTERACTION_AT_LEAST = 0.01
LARGE_LR_DEFICIT_AT_LEAST = 0.02


def _pct(x: float) -> str:
    return f"{100 * x:+.1f} points"


def _points(x: float) -> str:
    """A threshold in accuracy points, as words: 0.01 -> '1 point', 0.05 -> '5 points'."""
    return f"{100 * x:.0f} point" + ("" if round(100 * x) == 1 else "s")


def _decades_below(tolerance: float, value: float) -> float:
    """How many decades ``value`` lies below ``tolerance`` (> 0: below)."""
    return math.log10(tolerance) - math.log10(max(value, 1e-300))


def _row(rules: pd.DataFrame, prefix: str) -> float:
    return float(rules.loc[rules["comparison"].str.startswith(prefix), "relative_difference"].iloc[0])


# --------------------------------------------------------------------------- checks (by construction)

def claim_sgd_l2_identity(rules: pd.DataFrame) -> Claim:
    """SGD's weight_decay and an L2 penalty in the loss give the same weights (float64)."""
    worst = max(_row(rules, "SGD: L2 in the loss"), _row(rules, "SGD(weight_decay) vs the formula"))
    return Claim("sgd_l2_identity",
                 "With SGD (and momentum), an L2 penalty wd/2 |w|^2 in the loss and SGD's weight_decay=wd give "
                 "the same weights, and both follow w <- w - lr (g + wd w).",
                 f"relative difference < {IDENTITY_TOLERANCE:g}", f"{worst:.1e}",
                 _decades_below(IDENTITY_TOLERANCE, worst), kind="check")


def claim_adam_decay_is_l2(rules: pd.DataFrame) -> Claim:
    """torch's Adam(weight_decay) is the L2 penalty: coupled to the adaptive scaling."""
    diff = _row(rules, "Adam: L2 in the loss")
    return Claim("adam_decay_is_l2",
                 "Adam's weight_decay is an L2 penalty in disguise: it gives the same weights as adding wd/2 |w|^2 "
                 "to the loss, so the decay is divided by sqrt(v_hat) like the gradient.",
                 f"relative difference < {IDENTITY_TOLERANCE:g}", f"{diff:.1e}",
                 _decades_below(IDENTITY_TOLERANCE, diff), kind="check")


def claim_adamw_decoupled(rules: pd.DataFrame) -> Claim:
    """AdamW follows the decoupled formula and differs from Adam + L2."""
    same = _row(rules, "AdamW vs the formula")
    apart = _row(rules, "AdamW vs Adam + L2")
    margin = min(_decades_below(IDENTITY_TOLERANCE, same), math.log10(apart) - math.log10(DIFFERENT_AT_LEAST))
    return Claim("adamw_decoupled",
                 "AdamW follows w <- w - lr wd w - lr m_hat / (sqrt(v_hat) + eps) exactly, and ends far from Adam + L2 "
                 "with the same lr and wd.",
                 f"difference from the formula < {IDENTITY_TOLERANCE:g}; from Adam + L2 > {DIFFERENT_AT_LEAST:g}",
                 f"{same:.1e} from the formula, {apart:.2g} from Adam + L2", margin, kind="check")


# --------------------------------------------------------------------------- claims about training

def claim_weight_norm_falls(sweeps: dict[str, DecaySweep], from_decay: float = 1e-3) -> Claim:
    """In every sweep, the final weight norm falls at each step up the decay grid (from ``from_decay`` on)."""
    worst, where = math.inf, ""
    for label, sweep in sweeps.items():
        table = sweep.table.sort_values("weight_decay")
        table = table[(table["weight_decay"] == 0) | (table["weight_decay"] >= from_decay)]
        norms, decays = table["weight_norm"].to_numpy(), table["weight_decay"].to_numpy()
        drops = norms[:-1] / norms[1:] - 1  # relative fall from one decay to the next
        i = int(np.argmin(drops))
        if drops[i] < worst:
            worst = float(drops[i])
            where = f"{label}: {norms[i]:.2f} at wd={decays[i]:g} -> {norms[i + 1]:.2f} at wd={decays[i + 1]:g}"
    return Claim("weight_norm_falls",
                 "The larger the weight decay, the smaller the final weights: the norm falls at every step of the grid "
                 f"(0, then {from_decay:g} and up), with clean and with noisy labels.",
                 "every step up the grid lowers the norm", f"smallest fall {100 * worst:.1f}% ({where})", worst)


def claim_decay_beats_zero_noisy(sweep: DecaySweep) -> Claim:
    """With label noise, the best decay of the grid (chosen on validation) beats no decay on test accuracy."""
    best, zero = sweep.best(), sweep.at(0.0)
    gain = float(best["test_acc"] - zero["test_acc"])
    return Claim("decay_beats_zero_noisy",
                 f"With noisy labels, the decay chosen on the validation set (here {best['weight_decay']:g}) beats no "
                 f"decay on test accuracy by at least {_points(NOISY_GAIN_AT_LEAST)}.",
                 f"gain >= {_pct(NOISY_GAIN_AT_LEAST)}",
                 f"{100 * zero['test_acc']:.1f}% -> {100 * best['test_acc']:.1f}% ({_pct(gain)})",
                 gain - NOISY_GAIN_AT_LEAST)


def claim_smith_grid_too_weak(sweep: DecaySweep) -> Claim:
    """In a run this short, Smith's grid leaves most of the gain on the table (noisy labels)."""
    smith, best, zero = sweep.best(among=SMITH_GRID), sweep.best(), sweep.at(0.0)
    shortfall = float(best["test_acc"] - smith["test_acc"])
    return Claim("smith_grid_too_weak",
                 "In a short run (hundreds to about a thousand updates), Smith's grid {1e-3, 1e-4, 1e-5, 0} is too "
                 "weak: on noisy labels "
                 f"the best decay of the wider grid beats the best of Smith's grid by at least "
                 f"{_points(SMITH_SHORTFALL_AT_LEAST)} of test accuracy.",
                 f"shortfall >= {_pct(SMITH_SHORTFALL_AT_LEAST)}",
                 f"no decay {100 * zero['test_acc']:.1f}%, Smith's best (wd={smith['weight_decay']:g}) "
                 f"{100 * smith['test_acc']:.1f}%, wider grid's best (wd={best['weight_decay']:g}) "
                 f"{100 * best['test_acc']:.1f}%", shortfall - SMITH_SHORTFALL_AT_LEAST)


def claim_clean_effect_small(sweep: DecaySweep) -> Claim:
    """On clean labels, the decay chosen on validation moves test accuracy by less than 2 points."""
    best, zero = sweep.best(), sweep.at(0.0)
    effect = float(best["test_acc"] - zero["test_acc"])
    return Claim("clean_effect_small",
                 "On clean labels, the decay chosen on the validation set changes test accuracy by less than "
                 f"{_points(CLEAN_EFFECT_BELOW)} from no decay: no gain beyond seed noise at this size.",
                 f"|effect| < {_points(CLEAN_EFFECT_BELOW)}",
                 f"wd={best['weight_decay']:g}: {_pct(effect)}", CLEAN_EFFECT_BELOW - abs(effect))


def claim_gap_shrinks(sweep: DecaySweep) -> Claim:
    """With label noise, the train-test gap at the chosen decay is far smaller than without decay."""
    best, zero = sweep.best(), sweep.at(0.0)
    shrink = float(zero["gap"] - best["gap"])
    return Claim("gap_shrinks",
                 "With noisy labels, the gap between training and test accuracy shrinks by at least "
                 f"{_points(GAP_SHRINK_AT_LEAST)} from no decay to the chosen decay.",
                 f"shrink >= {_pct(GAP_SHRINK_AT_LEAST)}",
                 f"gap {100 * zero['gap']:.1f} -> {100 * best['gap']:.1f} points", shrink - GAP_SHRINK_AT_LEAST)


def claim_lr_decay_interact(grid: pd.DataFrame) -> Claim:
    """Decay gains more at the largest learning rate than at the smallest: the two interact."""
    table = best_decay_per_lr(grid)
    low, high = table.iloc[0], table.iloc[-1]
    difference = float(high["gain"] - low["gain"])
    return Claim("lr_decay_interact",
                 "Learning rate and weight decay interact: on noisy labels, the best decay gains at least "
                 f"{_points(INTERACTION_AT_LEAST)} more validation accuracy at the largest learning rate than "
                 "at the smallest, and the best decay is not smaller there.",
                 f"difference in gain >= {_pct(INTERACTION_AT_LEAST)}; best decay at the largest lr >= at the smallest",
                 f"lr {low['lr']:g}: best wd {low['best_decay']:g}, gain {_pct(low['gain'])}; lr {high['lr']:g}: best "
                 f"wd {high['best_decay']:g}, gain {_pct(high['gain'])}",
                 difference - INTERACTION_AT_LEAST if high["best_decay"] >= low["best_decay"] else -1.0)


def claim_large_lr_no_regularizer(grid: pd.DataFrame) -> Claim:
    """The article: a large learning rate regularizes. Without decay, on noisy labels, the largest rate does worst."""
    zero = grid[grid["weight_decay"] == 0].sort_values("lr")
    largest = zero.iloc[-1]
    others = zero.iloc[:-1]
    best_other = others.loc[others["val_acc"].idxmax()]
    deficit = float(best_other["val_acc"] - largest["val_acc"])
    return Claim("large_lr_no_regularizer",
                 "Against the article's 'a large learning rate regularizes': without decay, on noisy labels, the "
                 f"largest learning rate ends at least {_points(LARGE_LR_DEFICIT_AT_LEAST)} below a smaller "
                 "one on validation accuracy: in a fixed budget it memorizes more of the noise, not less.",
                 f"deficit >= {_pct(LARGE_LR_DEFICIT_AT_LEAST)}",
                 f"lr {largest['lr']:g}: {100 * largest['val_acc']:.1f}%, lr {best_other['lr']:g}: "
                 f"{100 * best_other['val_acc']:.1f}%", deficit - LARGE_LR_DEFICIT_AT_LEAST)


def claim_small_set_larger_decay(sizes: pd.DataFrame) -> Claim:
    """With label noise, the smaller training set's best decay is larger (grid steps apart)."""
    best = best_decay_per_size(sizes).sort_values("n_train")
    grid = sorted(sizes["weight_decay"].unique())
    small, large = best.iloc[0], best.iloc[-1]
    steps = grid.index(small["best_decay"]) - grid.index(large["best_decay"])
    return Claim("small_set_larger_decay",
                 "With noisy labels and the same number of updates, the smaller training set prefers a larger decay "
                 "(chosen on validation) than the larger set.",
                 "best decay of the small set > best decay of the large set",
                 f"{int(small['n_train'])} images: wd={small['best_decay']:g}; {int(large['n_train'])} images: "
                 f"wd={large['best_decay']:g} ({steps:+d} grid steps)", float(steps))


# --------------------------------------------------------------------------- the run behind them

@dataclass
class Results:
    """Everything `run_experiments` measured for one seed."""

    rules: pd.DataFrame
    clean: DecaySweep
    noisy: DecaySweep
    grid: pd.DataFrame
    sizes: pd.DataFrame


def run_experiments(seed: int, profile: str | None = None) -> Results:
    """The experiments behind the claims, at ``profile``'s budget (the notebook runs them one by one)."""
    cfg = budget("09", profile)
    train = {"epochs": cfg.epochs, "width": cfg.width, "batch_size": cfg.batch_size, "seed": seed}
    clean = fashion_mnist(cfg.n_train, cfg.n_val, cfg.n_test, seed=seed)
    noisy = fashion_mnist(cfg.n_train, cfg.n_val, cfg.n_test, label_noise=cfg.label_noise, seed=seed)
    return Results(
        rules=compare_update_rules(seed=seed),
        clean=decay_sweep(clean, cfg.decays, lr=cfg.lr, curves=False, **train),
        noisy=decay_sweep(noisy, cfg.decays, lr=cfg.lr, **train),
        grid=lr_decay_grid(noisy, cfg.grid_lrs, cfg.grid_decays, **{**train, "epochs": cfg.grid_epochs}),
        sizes=size_sweep(cfg.sizes, cfg.size_decays, steps=cfg.size_steps, batch_size=cfg.batch_size,
                         n_val=cfg.n_val, n_test=cfg.n_test, label_noise=cfg.label_noise, seed=seed,
                         lr=cfg.lr, width=cfg.width),
    )


def all_claims(results: Results) -> list[Claim]:
    """Every claim of the lesson on one run's results."""
    return [
        claim_sgd_l2_identity(results.rules),
        claim_adam_decay_is_l2(results.rules),
        claim_adamw_decoupled(results.rules),
        claim_weight_norm_falls({"clean labels": results.clean, "noisy labels": results.noisy}),
        claim_decay_beats_zero_noisy(results.noisy),
        claim_smith_grid_too_weak(results.noisy),
        claim_clean_effect_small(results.clean),
        claim_gap_shrinks(results.noisy),
        claim_lr_decay_interact(results.grid),
        claim_large_lr_no_regularizer(results.grid),
        claim_small_set_larger_decay(results.sizes),
    ]


def run(seed: int, profile: str) -> list[Claim]:
    """The seed harness's entry point: every claim for one seed at one profile's budget."""
    return all_claims(run_experiments(seed, profile))
