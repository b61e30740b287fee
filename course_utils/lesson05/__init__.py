"""Lesson 05: the learning rate, schedules and adaptive methods.

What is where:

- `quadratic`: gradient descent on ``f(x) = L/2 x^2`` (`gd_on_quadratic`): monotone for
  ``lr < 1/L``, oscillating for ``1/L < lr < 2/L``, diverging above ``2/L``; the regime
  predicted from ``lr x L`` against the one read off the iterates (`quadratic_regimes`), and
  the parabola's slider view `explore_quadratic`;
- `experiments`: the Fashion-MNIST runs, each a plain function returning `History` objects
  or tables, every network trained by `train_tracking_test` (the toolkit's `training.train_mlp`
  with the lesson's settings; the lesson has no validation split and shows how the *test*
  accuracy moves, so ``data.test`` is passed as ``test`` and read from ``test_*`` columns): a too-small, a good and a
  too-large rate (`lr_regimes`), the schedules of `course_utils.schedules` and your own
  (`compare_schedules`, `factor_schedule`), torch's optimizers at their defaults
  (`compare_default_optimizers`), the rate sweep of SGD and Adam (`lr_sweep`,
  `good_lr_ranges`), and "a low rate overfits, a large rate regularizes" tested at matched
  training loss (`lr_generalization`, `generalization_table`);
- `claims`: one function per claim (``claim_*``, ``check_*`` for sanity bounds), each returning a
  `Claim` the notebook checks, their thresholds (`CATCH_UP_MAX`, ...), the numbers and sentences
  they are worded from (`catch_up_fraction`, `describe_*`, the paired 95% interval), and `run`
  for the seed harness;
- `figures` (``plot_*``), `panels` (`quadratic_panel`, `explore_learning_rate` and its
  live `learning_rate_panel`), `exercises` (`EXERCISES`).
"""
from .claims import (
    ADAM_OVER_SGD_MAX,
    CATCH_UP_MAX,
    CLOSED_FORM_RTOL,
    GOOD_LOSS_REMOVED_PCT,
    GOOD_RANGE_TOLERANCE,
    LOSS_MATCH_MAX,
    MIN_GOOD_LRS,
    SCHEDULE_MIN_TEST_ACC,
    catch_up_fraction,
    check_closed_form_rates,
    check_comparison_matched,
    check_quadratic_regimes,
    check_schedules_train,
    check_sweep_diverges_at_top,
    check_too_large_diverges,
    claim_adam_beats_sgd_at_defaults,
    claim_adam_best_below_sgd,
    claim_good_ranges,
    claim_good_rate_catches_up,
    claim_good_rate_trains,
    describe_equal_epochs,
    describe_generalization,
    describe_schedules,
    describe_sensitivity,
    generalization_interval,
    loss_match_ratio,
    paired_difference,
    t_critical_95,
)
from .exercises import EXERCISES
from .experiments import (
    BATCH_SIZE,
    GENERALIZATION_LRS,
    LR_REGIMES,
    SCHEDULE_LR0,
    catch_up_grid,
    compare_default_optimizers,
    compare_schedules,
    default_optimizers,
    equal_epoch_table,
    factor_schedule,
    generalization_table,
    good_lr_ranges,
    load_data,
    lr_generalization,
    lr_regimes,
    lr_sweep,
    optimizers_table,
    regimes_table,
    schedules_table,
    steps_per_run,
    sweep_grid,
    train_to_target,
    train_tracking_test,
)
from .figures import (
    plot_generalization,
    plot_learning_rate_run,
    plot_lr_sweep,
    plot_optimizers,
    plot_quadratic_iterates,
    plot_regimes,
    plot_schedule_runs,
)
from .panels import explore_learning_rate, learning_rate_panel, quadratic_panel
from .quadratic import (
    explore_quadratic,
    gd_on_quadratic,
    measured_regime,
    predicted_regime,
    quadratic_regimes,
)

__all__ = [
    "ADAM_OVER_SGD_MAX", "BATCH_SIZE", "CATCH_UP_MAX", "CLOSED_FORM_RTOL", "EXERCISES", "GENERALIZATION_LRS",
    "GOOD_LOSS_REMOVED_PCT", "GOOD_RANGE_TOLERANCE", "LOSS_MATCH_MAX", "LR_REGIMES", "MIN_GOOD_LRS", "SCHEDULE_LR0",
    "SCHEDULE_MIN_TEST_ACC", "catch_up_fraction", "catch_up_grid", "check_closed_form_rates",
    "check_comparison_matched", "check_quadratic_regimes", "check_schedules_train", "check_sweep_diverges_at_top",
    "check_too_large_diverges", "claim_adam_beats_sgd_at_defaults", "claim_adam_best_below_sgd",
    "claim_good_ranges", "claim_good_rate_catches_up", "claim_good_rate_trains", "compare_default_optimizers",
    "compare_schedules", "default_optimizers", "describe_equal_epochs", "describe_generalization",
    "describe_schedules", "describe_sensitivity", "equal_epoch_table", "explore_learning_rate", "explore_quadratic",
    "factor_schedule", "gd_on_quadratic", "generalization_interval", "generalization_table", "good_lr_ranges",
    "learning_rate_panel", "load_data", "loss_match_ratio", "lr_generalization", "lr_regimes", "lr_sweep",
    "measured_regime", "optimizers_table", "paired_difference", "plot_generalization", "plot_learning_rate_run",
    "plot_lr_sweep", "plot_optimizers", "plot_quadratic_iterates", "plot_regimes", "plot_schedule_runs",
    "predicted_regime", "quadratic_panel", "quadratic_regimes", "regimes_table", "schedules_table", "steps_per_run",
    "sweep_grid", "t_critical_95", "train_to_target", "train_tracking_test",
]
