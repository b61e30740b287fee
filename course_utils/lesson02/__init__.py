"""Lesson 02: the bias-variance tradeoff.

What is where:

- `decomposition`: the lesson's problem (n = 30 noisy samples of one sine period,
  ``N_TRAIN``, ``NOISE``), resampled training sets (`draw_training_sets`) and `decompose`,
  which splits the error of R fitted models into bias^2, variance and noise and measures the
  expected error directly;
- `polynomials`: least-squares polynomials by degree (`polynomial_bias_variance`; the fitting
  rule is an argument, e.g. `fit_ridge_polynomials`);
- `networks`: the same decomposition for small MLPs by width, R networks trained side by side
  as one `StackedMLP` (`network_bias_variance`);
- `random_features`: double descent, min-norm least squares on p random ReLU features
  (`double_descent`, `fit_random_features`);
- `claims`: ``IDENTITY_TOLERANCE``, the `trends` of a decomposition table, the
  `double_descent_summary`, one ``claim_*`` / ``check_*`` function per statement and
  `run(seed, profile)` for the seed harness;
- `figures`, `panels` (the "try it" pictures and their sliders), `exercises` (`EXERCISES`).
"""
from .claims import IDENTITY_TOLERANCE, Trends, double_descent_summary, trends
from .decomposition import (
                     N_TRAIN,
                     NOISE,
                     Decomposition,
                     ResampledFits,
                     decompose,
                     decomposition_row,
                     draw_training_sets,
                     grid_inputs,
)
from .exercises import EXERCISES
from .figures import (
                     plot_decomposition,
                     plot_double_descent,
                     plot_fits,
                     plot_network_decomposition,
)
from .networks import (
                     StackedMLP,
                     network_bias_variance,
                     network_fits,
                     predict_networks,
                     predict_networks_on_own_data,
                     stacked_mse,
                     train_networks,
)
from .panels import (
                     explore_network_fits,
                     explore_network_fits_panel,
                     explore_polynomial_fits,
                     explore_polynomial_fits_panel,
)
from .polynomials import (
                     DEGREES,
                     Fitter,
                     fit_polynomials,
                     fit_ridge_polynomials,
                     legendre_design,
                     polynomial_bias_variance,
                     polynomial_fits,
                     predict_polynomials,
)
from .random_features import double_descent, feature_counts, fit_random_features

__all__ = [
    "DEGREES", "EXERCISES", "IDENTITY_TOLERANCE", "NOISE", "N_TRAIN", "Decomposition", "Fitter", "ResampledFits",
    "StackedMLP", "Trends", "decompose", "decomposition_row", "double_descent", "double_descent_summary",
    "draw_training_sets", "explore_network_fits", "explore_network_fits_panel", "explore_polynomial_fits",
    "explore_polynomial_fits_panel", "feature_counts", "fit_polynomials", "fit_random_features",
    "fit_ridge_polynomials", "grid_inputs", "legendre_design", "network_bias_variance", "network_fits",
    "plot_decomposition", "plot_double_descent", "plot_fits", "plot_network_decomposition",
    "polynomial_bias_variance", "polynomial_fits", "predict_networks", "predict_networks_on_own_data",
    "predict_polynomials", "stacked_mse", "train_networks", "trends",
]
