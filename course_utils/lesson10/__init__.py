"""Lesson 10, putting it together: the recipe, grid against random search, Optuna, a class searching together.

- `experiments`: `run_recipe` (baseline -> range test -> one-cycle -> batch size -> weight decay),
  `grid_vs_random` on `one_matters`, `compare_samplers` and `compare_pruning` with Optuna.
- `claims`: the claims checked in the notebook and by the seed harness (`run`).
- `figures`: `plot_recipe`, `plot_grid_vs_random`, `optuna_plots` (Optuna's matplotlib plots), `plot_best_so_far`.
- `panels`: `explore_grid_vs_random` and its slider `grid_vs_random_panel`.
- `exercises`: `EXERCISES`.
The search tool itself (storage, workers, command line) is `course_utils.search`.
"""
from .claims import (
                     check_grid_tries_few_values,
                     claim_random_beats_grid,
                     claim_random_beats_random_grid,
                     claim_tuned_beats_baseline,
)
from .exercises import EXERCISES
from .experiments import (
                     BASELINE,
                     WEIGHT_DECAYS,
                     compare_pruning,
                     compare_samplers,
                     grid_points,
                     grid_vs_random,
                     one_matters,
                     random_wins,
                     run_recipe,
                     study_summary,
                     train_once,
)
from .figures import optuna_plots, plot_best_so_far, plot_grid_vs_random, plot_recipe
from .panels import explore_grid_vs_random, grid_vs_random_panel

__all__ = [
    "check_grid_tries_few_values", "claim_random_beats_grid", "claim_random_beats_random_grid",
    "claim_tuned_beats_baseline", "EXERCISES", "BASELINE", "WEIGHT_DECAYS", "compare_pruning", "compare_samplers",
    "grid_points", "grid_vs_random", "one_matters", "random_wins", "run_recipe", "study_summary", "train_once",
    "optuna_plots", "plot_best_so_far", "plot_grid_vs_random", "plot_recipe", "explore_grid_vs_random",
    "grid_vs_random_panel",
]
