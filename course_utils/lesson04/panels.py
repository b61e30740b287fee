"""Lesson 04's "try it" panel: the three variants' paths on the 2-D problem, with sliders."""
from __future__ import annotations

import math

from matplotlib.figure import Figure

from ..toy_regression import (
    LrRule,
    constant_lr,
    make_regression_2d,
    plot_trajectories,
    trace_2d,
)
from ..validation import check_int
from ..widgets import fixed, int_slider, log_slider, slider_panel, slider_text


def explore_trajectories(lr: float = 0.1, batch_size: int = 8, epochs: int = 10, seed: int = 0,
                         n: int = 64, *, lr_at: LrRule = constant_lr) -> Figure:
    """Slider function: full batch, stochastic (B=1) and mini-batch (``batch_size``) paths.

    ``lr_at(lr, epoch)``: the rate of each update (see `trace_2d`); the title names any rule
    other than the default `constant_lr`.
    """
    problem = make_regression_2d(n, seed=seed)
    check_int("batch_size", batch_size, 1, n, "the number of data points")
    sizes = {"full batch": n, "mini-batch": batch_size, "stochastic": 1}
    paths, per_epoch = {}, {}
    for name, b in sizes.items():
        label = f"{name} (B={b})"
        paths[label] = trace_2d(problem, batch_size=b, lr=lr, epochs=epochs, seed=seed, lr_at=lr_at)
        per_epoch[label] = math.ceil(n / b)
    lengths = ", ".join(f"B={b}: {len(paths[f'{k} (B={b})']) - 1}" for k, b in sizes.items())
    rule = "" if lr_at is constant_lr else f" ({getattr(lr_at, '__name__', 'rate rule')})"
    # The learning rate as the slider writes it (two significant digits), not 0.177828.
    return plot_trajectories(problem, paths, updates_per_epoch=per_epoch,
                             title=f"lr={slider_text(lr)}{rule}, {epochs} epochs; updates made: {lengths}")


def explore_trajectories_panel():
    """Sliders for learning rate, mini-batch size and epochs (redraws on release).

    The data stay the lesson's 64 points (``n`` and ``seed`` keep their defaults), so the
    mini-batch slider stops at 64, the number of points.
    """
    return slider_panel(explore_trajectories, lr=log_slider("learning rate", 0.1, 0.01, 1.0, steps_per_decade=20),
                        batch_size=int_slider("mini-batch size", 8, 1, 64),
                        epochs=int_slider("epochs", 10, 1, 60), seed=fixed(0), n=fixed(64))
