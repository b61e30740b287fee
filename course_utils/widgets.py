"""Sliders. A slider panel is a plain function plus a one-line wrapper.

The pattern every lesson follows::

    def explore_capacity(width=64, depth=2) -> Figure:        # plain, tested headless
        ...
    def explore_capacity_panel():                              # the classroom slider
        return slider_panel(explore_capacity, width=int_slider("width", 64, 8, 512, 8), ...)

`slider_panel` redraws when a slider is released (not while it moves); with
``manual=True`` a "Run" button starts the (slower) function instead.
"""
from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

_STYLE = {"description_width": "initial"}
_LAYOUT = widgets.Layout(width="420px")


def slider_panel(function: Callable, *, manual: bool = False, **controls) -> widgets.interactive:
    """Sliders (or other controls) for the keyword arguments of ``function``.

    The function's return value (usually a figure) is shown below the controls and
    redrawn on every change.
    """
    options = {"manual": manual, "manual_name": "Run", "auto_display": True}
    return widgets.interactive(function, options, **controls)


def int_slider(description: str, value: int, low: int, high: int, step: int = 1) -> widgets.IntSlider:
    """An integer slider that updates on release."""
    return widgets.IntSlider(value=value, min=low, max=high, step=step, description=description,
                             continuous_update=False, style=_STYLE, layout=_LAYOUT)


def float_slider(description: str, value: float, low: float, high: float, step: float = 0.01) -> widgets.FloatSlider:
    """A float slider that updates on release."""
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                               continuous_update=False, style=_STYLE, layout=_LAYOUT)


def log_slider(description: str, value: float, low: float, high: float, steps_per_decade: int = 4) -> widgets.FloatLogSlider:
    """A slider over powers of ten, from ``low`` to ``high`` (e.g. learning rates)."""
    import math

    return widgets.FloatLogSlider(value=value, base=10, min=math.log10(low), max=math.log10(high),
                                  step=1 / steps_per_decade, description=description, readout_format=".2g",
                                  continuous_update=False, style=_STYLE, layout=_LAYOUT)


def choice(description: str, options, value=None) -> widgets.Dropdown:
    """A drop-down list."""
    options = list(options)
    return widgets.Dropdown(options=options, value=options[0] if value is None else value,
                            description=description, style=_STYLE)
