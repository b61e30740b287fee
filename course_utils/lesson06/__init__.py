"""Lesson 06: the learning-rate range test.

The tool itself is `course_utils.lr_finder` (toolkit: the ramp, the smoothing, the stopping
rule, the restore and the suggestions, usable on any model). This package trains with it.

What is where:

- `experiments`: the lesson's MLP (`new_model`), one range test on it (`run_range_test`, the
  model is an argument), the suggested rate against 10x smaller and larger (`compare_rates`,
  and over model seeds `compare_rates_over_seeds`),
  one-cycle against a constant rate, the spread of the suggestions over seeds;
- `least_squares`: a problem whose divergence point ``2/L`` is known, the loss curve of a
  range test on it in closed form, the stopping rule replayed on a curve (`predicted_stop`)
  and how far beyond ``2/L`` the test must stop (`regrowth_factor`);
- `claims`: one function per claim returning a `Claim` (the notebook checks each on its run), and
  `run(seed, profile)` for the seed harness (``python -m course_utils.claims --lessons 06``);
- `figures`, `panels` (the "try it" panel), `exercises` (`EXERCISES` and the coding exercise).
"""
from ..models import new_model  # the course's seeded MLP, re-exported for the notebook
from .exercises import EXERCISES, bias_corrected_average
from .experiments import (
                          ModelFactory,
                          compare_rates,
                          compare_rates_over_seeds,
                          mean_over_seeds,
                          one_cycle_vs_constant,
                          run_range_test,
                          spread_ratio,
                          suggestion_spread,
                          train_at,
)
from .figures import (
                          plot_least_squares,
                          plot_one_cycle,
                          plot_ramps,
                          plot_rate_comparison,
                          plot_smoothing,
                          plot_spread,
                          plot_variants,
)
from .least_squares import (
                          LeastSquares,
                          least_squares_problem,
                          least_squares_range_test,
                          predicted_stop,
                          regrowth_factor,
)
from .panels import explore_range_test, range_test_panel

__all__ = [
    "EXERCISES", "LeastSquares", "ModelFactory", "bias_corrected_average", "compare_rates",
    "compare_rates_over_seeds", "explore_range_test", "least_squares_problem", "least_squares_range_test",
    "mean_over_seeds", "new_model", "one_cycle_vs_constant", "plot_least_squares", "plot_one_cycle", "plot_ramps",
    "plot_rate_comparison", "plot_smoothing", "plot_spread", "plot_variants", "predicted_stop", "range_test_panel",
    "regrowth_factor", "run_range_test", "spread_ratio", "suggestion_spread", "train_at",
]
