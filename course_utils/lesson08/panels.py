"""Lesson 08's "try it" slider: gradient descent, heavy ball and Nesterov side by side.

`explore_momentum` is a plain function (tests call it headless); `momentum_panel` puts
sliders on it. Everything runs on a 2-D quadratic in NumPy: a redraw takes a fraction of a second.
"""
from __future__ import annotations

from ipywidgets import fixed
from matplotlib.figure import Figure

from ..validation import check_int, check_positive
from ..widgets import float_slider, int_slider, log_slider, slider_panel
from .figures import plot_side_by_side
from .quadratic import check_kappa, check_settings, make_quadratic, run_method, stability_limit, start_point

PANEL_ANGLE = 0.5  # radians: the valley's long axis, fixed so that only the sliders change the picture


def explore_momentum(lr: float = 1.0, momentum: float = 0.8, kappa: float = 30.0, n_steps: int = 60,
                     seed: int = 0) -> Figure:
    """Paths of gradient descent, heavy ball and Nesterov with the same ``lr`` (and the same
    ``momentum`` for the two momentum methods) on a valley of condition number ``kappa``
    (curvatures 1/kappa and L = 1). ``momentum = 0`` shows Nesterov as gradient descent,
    which is what it is then."""
    check_positive("lr", lr)
    check_settings(lr, momentum)
    check_kappa(kappa)
    check_int("n_steps", n_steps, 1)
    problem = make_quadratic(kappa, angle=PANEL_ANGLE, seed=seed)
    start = start_point(problem, seed)
    paths = {
        "gradient descent": run_method(problem, start, lr=lr, n_steps=n_steps),
        f"heavy ball (β={momentum:g})": run_method(problem, start, lr=lr, momentum=momentum, n_steps=n_steps),
        f"nesterov (β={momentum:g})": run_method(problem, start, lr=lr, momentum=momentum, nesterov=momentum > 0,
                                                 n_steps=n_steps),
    }
    title = (f"lr = {lr:.3g}, momentum β = {momentum:g}, κ = {kappa:g} (L = 1): stable below lr = 2 for gradient "
             f"descent, {stability_limit(momentum):.3g} for heavy ball, {stability_limit(momentum, nesterov=True):.3g}"
             " for Nesterov")
    return plot_side_by_side(problem, paths, title=title)


def momentum_panel():
    """Sliders for step size, momentum, condition number and steps (redraws on release)."""
    return slider_panel(explore_momentum, seed=fixed(0),
                        lr=log_slider("learning rate (× 1/L)", 1.0, 0.01, 4.0, steps_per_decade=20),
                        momentum=float_slider("momentum β", 0.8, 0.0, 0.99, 0.01),
                        kappa=log_slider("condition number κ", 30.0, 1.0, 1000.0, steps_per_decade=4),
                        n_steps=int_slider("steps", 60, 5, 300, 5))
