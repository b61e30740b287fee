"""Lesson 07: batch size.

What is where:

- from the toolkit, re-exported: `course_utils.throughput` (samples per second against
  batch size and its knee, the out-of-memory search `largest_batch_that_fits`; lesson 10
  uses them too) and `batch_runs.scaled_lr` (the linear and square-root rules);
- `experiments`: the batch-size sweep under three rate rules (fixed, scaled,
  scaled + warm-up) measured against epochs, updates and seconds, time to a target accuracy
  over rates x batch sizes, the large-batch generalization gap, growing the batch instead
  of decaying the rate;
- `noise_scale`: the gradient noise scale B_simple by two estimators, steps to a target
  against batch size and the fitted steps/examples trade-off;
- `claims`: one function per claim, and `run(seed, profile)` for the seed harness;
- `figures`, `panels` (the "try it" panel), `exercises` (`EXERCISES`).
"""
from ..batch_runs import scaled_lr  # toolkit, re-exported for the notebook
from ..models import new_model  # the course's seeded MLP, re-exported for the notebook
from ..throughput import (
                     Knee,
                     MemorySearch,
                     free_device_memory,
                     is_out_of_memory,
                     largest_batch_that_fits,
                     measure_throughput,
                     throughput_knee,
                     training_step_at,
)
from .claims import (
                     all_claims,
                     check_fewer_updates,
                     claim_epochs_axis,
                     claim_estimators_agree,
                     claim_gap_closes,
                     claim_grow_batch_matches,
                     claim_knee_matches_noise,
                     claim_large_batch_gap,
                     claim_lr_matters,
                     claim_noise_grows,
                     claim_scaled_together,
                     claim_scaling_breaks,
                     claim_throughput_gain,
                     claim_throughput_model,
                     claim_tradeoff_fits,
                     claim_unscaled_behind,
                     claim_updates_axis,
                     claim_warmup_no_rescue,
                     run,
                     run_experiments,
)
from .exercises import EXERCISES
from .experiments import (
                     batch_size_sweep,
                     break_point,
                     generalization_gap,
                     increase_batch_vs_decay,
                     loss_at,
                     sweep_table,
                     time_to_target,
)
from .figures import (
                     plot_generalization,
                     plot_grow_batch,
                     plot_noise_scale,
                     plot_scaling,
                     plot_steps_to_target,
                     plot_three_axes,
                     plot_throughput,
                     plot_time_to_target,
)
from .noise_scale import (
                     b_simple_at_loss,
                     b_simple_per_example,
                     b_simple_two_batch,
                     fit_tradeoff,
                     noise_scale_during_training,
                     steps_to_target,
                     steps_to_target_sweep,
                     two_batch_estimates,
)
from .panels import explore_batch_size, explore_batch_size_panel

__all__ = [
    "EXERCISES", "Knee", "MemorySearch", "all_claims", "b_simple_at_loss", "b_simple_per_example",
    "b_simple_two_batch", "batch_size_sweep", "break_point", "check_fewer_updates", "claim_epochs_axis",
    "claim_estimators_agree", "claim_gap_closes", "claim_grow_batch_matches", "claim_knee_matches_noise",
    "claim_large_batch_gap", "claim_lr_matters", "claim_noise_grows", "claim_scaled_together",
    "claim_scaling_breaks", "claim_throughput_gain", "claim_throughput_model", "claim_tradeoff_fits",
    "claim_unscaled_behind", "claim_updates_axis", "claim_warmup_no_rescue", "explore_batch_size",
    "explore_batch_size_panel", "fit_tradeoff", "free_device_memory", "generalization_gap",
    "increase_batch_vs_decay", "is_out_of_memory", "largest_batch_that_fits", "loss_at", "measure_throughput",
    "new_model", "noise_scale_during_training", "plot_generalization", "plot_grow_batch", "plot_noise_scale",
    "plot_scaling", "plot_steps_to_target", "plot_three_axes", "plot_throughput", "plot_time_to_target", "run",
    "run_experiments", "scaled_lr", "steps_to_target", "steps_to_target_sweep", "sweep_table", "throughput_knee",
    "time_to_target", "training_step_at", "two_batch_estimates",
]
