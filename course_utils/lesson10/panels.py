"""Lesson 10's "try it" panel: grid against random search, for any budget and any weight of b."""
from __future__ import annotations

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..validation import check_int, check_non_negative
from ..widgets import choice, float_slider, slider_panel
from .experiments import grid_vs_random
from .figures import plot_grid_vs_random

PANEL_TRIALS = (4, 9, 16, 25, 36)


def explore_grid_vs_random(n_trials: int = 9, weight_b: float = 0.02, *, repeats: int = 300, seed: int = 0) -> Figure:
    """Grid against random search with ``n_trials`` trials when b's effect has height ``weight_b``."""
    check_int("n_trials", n_trials, 1)
    check_non_negative("weight_b", weight_b)
    table = grid_vs_random(n_trials, repeats, seed=seed, weight_b=weight_b, fine=max(5, int(n_trials ** 0.5) + 1))
    share = float((table["random"] > table["grid"]).mean())
    return plot_grid_vs_random(table, n_trials, seed=seed, weight_b=weight_b,
                               title=f"{n_trials} trials, weight of b {weight_b:.2f}: random beats the grid in "
                                     f"{share:.0%} of {repeats} repeats")


def grid_vs_random_panel(repeats: int = 300, seed: int = 0):
    """The slider: the number of trials (perfect squares, so that the grid is square) and b's weight."""
    return slider_panel(explore_grid_vs_random, repeats=widgets.fixed(repeats), seed=widgets.fixed(seed),
                        n_trials=choice("trials", [(f"{n} ({int(n ** 0.5)} x {int(n ** 0.5)} grid)", n)
                                                   for n in PANEL_TRIALS], 9),
                        weight_b=float_slider("weight of b", 0.02, 0.0, 1.0, 0.02))
