"""Lesson 08: momentum (heavy ball and Nesterov).

What is where:

- `quadratic`: the quadratic valley, the update rule `momentum_step` (torch's SGD), paths,
  iterations to a tolerance, grid search and closed-form settings, speed against the
  condition number, the closed-form stability limit.
- `stability`: the stability limit measured by running the methods and by the eigenvalues,
  and the convergence map of the (lr, momentum) plane.
- `experiments`: Fashion-MNIST runs: effective learning rate, momentum 0 / 0.9 / 0.99 at
  range-tested rates, cyclical momentum in one-cycle, Adam's beta1.
- `claims`: one function per claim, and ``run(seed, profile)`` for the seed harness.
- `figures`: the lesson's plots; `panels`: the "try it" slider; `exercises`: `EXERCISES`.
"""
from .claims import (
    claim_effective_lr,
    claim_gd_slope,
    claim_grid_finds_optimum,
    claim_momentum_slope,
    claim_range_test_momentum,
    claim_stability_eigenvalues,
    claim_stability_measured,
    claim_steady_steps,
    claim_trains,
    claim_update_matches_torch,
)
from .exercises import EXERCISES
from .experiments import (
    adam_beta1_runs,
    cyclical_momentum_runs,
    effective_lr_gaps,
    effective_lr_runs,
    momentum_sequence,
    momentum_sgd,
    nesterov_sgd,
    runs_table,
    steady_gradient_steps,
    suggested_rates,
    tuned_momentum_runs,
)
from .figures import (
    plot_constant_gradient,
    plot_cyclical,
    plot_effective_lr,
    plot_side_by_side,
    plot_speed,
    plot_stability,
    plot_tuned,
)
from .panels import explore_momentum, momentum_panel
from .quadratic import (
    fitted_slopes,
    make_quadratic,
    matches_torch,
    momentum_step,
    optimal_settings,
    regression_as_quadratic,
    run_method,
    speed_against_kappa,
    stability_limit,
    start_point,
)
from .stability import convergence_map, stability_table

__all__ = [
    "claim_effective_lr", "claim_gd_slope", "claim_grid_finds_optimum", "claim_momentum_slope",
    "claim_range_test_momentum", "claim_stability_eigenvalues", "claim_stability_measured", "claim_steady_steps",
    "claim_trains", "claim_update_matches_torch",
    "adam_beta1_runs", "cyclical_momentum_runs", "effective_lr_gaps", "effective_lr_runs", "momentum_sequence",
    "momentum_sgd", "nesterov_sgd", "runs_table", "steady_gradient_steps", "suggested_rates", "tuned_momentum_runs",
    "EXERCISES",
    "plot_constant_gradient", "plot_cyclical", "plot_effective_lr", "plot_side_by_side", "plot_speed",
    "plot_stability", "plot_tuned",
    "explore_momentum", "momentum_panel",
    "convergence_map", "fitted_slopes", "make_quadratic", "matches_torch", "momentum_step", "optimal_settings",
    "regression_as_quadratic", "run_method", "speed_against_kappa", "stability_limit", "stability_table",
    "start_point",
]
