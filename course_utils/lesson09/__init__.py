"""Lesson 09, weight decay: what is where.

- `update_rules`: the three ways to decay (L2 in the loss, SGD's and Adam's ``weight_decay``,
  AdamW) written out and compared numerically on a tiny float64 model (`compare_update_rules`).
- `experiments`: the training experiments in lesson 03's over-fitting regime: `train_with_decay`,
  `decay_sweep` (Smith's grid and beyond), `lr_decay_grid` (the heat map), `size_sweep` (two
  training-set sizes) and `optimizer_runs` (what the slider shows). Optimizers are passed as
  factories ``(params, lr, weight_decay) -> Optimizer`` (`sgd`, `adam_l2`, `adamw`, `sgd_no_bias_decay`).
- `claims`: one function per claim, and `run(seed, profile)` for the seed harness.
- `figures`: every picture of the lesson. `panels`: the "try it" slider. `exercises`: `EXERCISES`.
"""
from .claims import (
    Results,
    all_claims,
    claim_adam_decay_is_l2,
    claim_adamw_decoupled,
    claim_clean_effect_small,
    claim_decay_beats_zero_noisy,
    claim_gap_shrinks,
    claim_large_lr_no_regularizer,
    claim_lr_decay_interact,
    claim_sgd_l2_identity,
    claim_small_set_larger_decay,
    claim_smith_grid_too_weak,
    claim_weight_norm_falls,
    run_experiments,
)
from .exercises import EXERCISES, adamw_step, sgd_l2_step
from .experiments import (
    DECAY_GRID,
    OPTIMIZERS,
    SMITH_GRID,
    DecayRun,
    DecaySweep,
    adam_l2,
    adamw,
    best_decay_per_lr,
    best_decay_per_size,
    decay_sweep,
    lr_decay_grid,
    optimizer_runs,
    sgd,
    sgd_no_bias_decay,
    size_sweep,
    train_with_decay,
    weight_norm,
)
from .figures import plot_decay_sweep, plot_heat_map, plot_learning_curves, plot_size_sweep, plot_update_rules
from .panels import explore_decay, explore_decay_panel
from .update_rules import adamw_by_hand, compare_update_rules, l2_penalty, sgd_by_hand, train_tiny

__all__ = [
    "Results", "all_claims", "claim_adam_decay_is_l2", "claim_adamw_decoupled", "claim_clean_effect_small",
    "claim_decay_beats_zero_noisy", "claim_gap_shrinks", "claim_large_lr_no_regularizer", "claim_lr_decay_interact",
    "claim_sgd_l2_identity", "claim_small_set_larger_decay", "claim_smith_grid_too_weak", "claim_weight_norm_falls",
    "run_experiments", "EXERCISES", "adamw_step", "sgd_l2_step", "DECAY_GRID", "OPTIMIZERS", "SMITH_GRID",
    "DecayRun", "DecaySweep", "adam_l2", "adamw", "best_decay_per_lr", "best_decay_per_size", "decay_sweep",
    "lr_decay_grid", "optimizer_runs", "sgd", "sgd_no_bias_decay", "size_sweep", "train_with_decay", "weight_norm",
    "plot_decay_sweep", "plot_heat_map", "plot_learning_curves", "plot_size_sweep", "plot_update_rules",
    "explore_decay", "explore_decay_panel", "adamw_by_hand", "compare_update_rules", "l2_penalty", "sgd_by_hand",
    "train_tiny",
]
