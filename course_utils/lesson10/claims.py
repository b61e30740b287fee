"""Lesson 10's claims, computed from the run's results; `run` is what the seed harness calls."""
from __future__ import annotations

import pandas as pd

from ..claims import Claim
from ..config import budget
from ..data import fashion_mnist
from .experiments import grid_vs_random, random_wins, run_recipe


def claim_tuned_beats_baseline(table: pd.DataFrame) -> Claim:
    """The recipe's last step beats the baseline on test accuracy, both trained for the same epochs."""
    base, tuned = float(table["test_acc"].iloc[0]), float(table["test_acc"].iloc[-1])
    return Claim("tuned_beats_baseline",
                 "After the recipe, the model beats the baseline on test accuracy with the same number of epochs.",
                 "tuned test accuracy > baseline test accuracy",
                 f"baseline {base:.3f}, tuned {tuned:.3f} ({tuned - base:+.3f})", tuned - base)


def claim_random_beats_grid(table: pd.DataFrame) -> Claim:
    """Random search finds a better score than the grid in more than half of the repeats."""
    share = random_wins(table)
    return Claim("random_beats_grid",
                 "With the same number of trials, random search finds a better value than the grid in most repeats.",
                 "random better than the grid in > 50% of repeats",
                 f"random better in {share:.0%} of {len(table)} repeats", share - 0.5)


def claim_random_beats_random_grid(table: pd.DataFrame) -> Claim:
    """Random points also beat a random subset of a finer grid (the article's "random grid search")."""
    share = random_wins(table, "random grid")
    return Claim("random_beats_random_grid",
                 "Random search also beats a random subset of a 5 x 5 grid in most repeats.",
                 "random better than the random grid in > 50% of repeats",
                 f"random better in {share:.0%} of {len(table)} repeats", share - 0.5)


def check_grid_tries_few_values(n_trials: int) -> Claim:
    """A k x k grid tries only k values of the hyperparameter that matters (true by construction)."""
    from .experiments import grid_points

    distinct = len(set(grid_points(n_trials)[:, 0].round(9)))
    return Claim("grid_tries_few_values", f"A grid of {n_trials} trials tries only {distinct} values of each "
                 "hyperparameter; random search tries as many as it has trials.",
                 f"{distinct} distinct values < {n_trials} trials", f"{distinct} distinct values",
                 float(n_trials - distinct), kind="check")


def run(seed: int, profile: str) -> list[Claim]:
    """The lesson's claims for one seed at one profile's budget (the seed harness's entry point)."""
    cfg = budget("10", profile)
    data = fashion_mnist(cfg.n_train, cfg.n_val, cfg.n_test, seed=seed, device="cpu")
    recipe = run_recipe(data, epochs=cfg.epochs, seed=seed)
    search = grid_vs_random(cfg.gvr_trials, cfg.gvr_repeats, seed=seed)
    return [claim_tuned_beats_baseline(recipe.table), claim_random_beats_grid(search),
            claim_random_beats_random_grid(search), check_grid_tries_few_values(cfg.gvr_trials)]
