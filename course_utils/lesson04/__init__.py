"""Lesson 04: batch, stochastic and mini-batch gradient descent.

The three variants differ only in how many training examples each update looks at: all of
them (full batch), one (stochastic, B = 1) or a few (mini-batch). What is where:

- `experiments`: `compare_variants` (the three batch sizes on the same model, data and rate,
  the full training loss against epochs, updates and seconds), `gradient_quality` (cosine
  and variance of mini-batch gradients against the full gradient, and the variance predicted
  from the exact per-example gradients), `time_per_epoch` (seconds per epoch against batch size);
- `claims`: the numbers behind each comparison (`variant_claims`, `trajectory_claims`), their
  tables, the lesson's claims as functions returning a `Claim` (``claim_...``) and `run`, which
  the seed harness calls;
- `figures`, `panels` (the 2-D paths with sliders, `explore_trajectories`), `exercises`
  (`EXERCISES`, the coding exercise `cosine_similarity`).

Toolkit pieces the lesson shares with others live outside this package:
`course_utils.batch_runs` (`train_variant`, `VariantRun`), `course_utils.gradients`
(`flat_gradient`, `per_sample_gradient_variance`) and `course_utils.toy_regression` (the 2-D
problem, `trace_2d`, `plot_trajectories`).
"""
from .claims import (
    claim_b1_epoch_slower,
    claim_b1_never_settles,
    claim_cosine_lower_when_trained,
    claim_cosine_rises,
    claim_minibatch_hovers_less,
    claim_per_epoch,
    claim_per_second,
    claim_per_update,
    claim_stochastic_closer,
    claim_variance_one_over_b,
    lowest_variant,
    trajectory_claims,
    trajectory_table,
    variant_claims,
    variant_table,
)
from .exercises import EXERCISES, cosine_similarity
from .experiments import (
    batch_gradient_spread,
    compare_variants,
    expected_cosine,
    gradient_quality,
    time_per_epoch,
    variance_slope,
)
from .figures import (
    plot_batch_losses,
    plot_gradient_quality,
    plot_time_per_epoch,
    plot_variants,
)
from .panels import explore_trajectories, explore_trajectories_panel

__all__ = [
    "EXERCISES", "batch_gradient_spread", "claim_b1_epoch_slower", "claim_b1_never_settles",
    "claim_cosine_lower_when_trained", "claim_cosine_rises", "claim_minibatch_hovers_less", "claim_per_epoch",
    "claim_per_second", "claim_per_update", "claim_stochastic_closer", "claim_variance_one_over_b",
    "compare_variants", "cosine_similarity", "expected_cosine", "explore_trajectories",
    "explore_trajectories_panel", "gradient_quality", "lowest_variant", "plot_batch_losses",
    "plot_gradient_quality", "plot_time_per_epoch", "plot_variants", "time_per_epoch", "trajectory_claims",
    "trajectory_table", "variance_slope", "variant_claims", "variant_table",
]
