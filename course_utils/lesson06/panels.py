"""Lesson 06's "try it" panel: one range test with the smoothing, range, steps, ramp and mode on sliders."""
from __future__ import annotations

from ipywidgets import fixed
from matplotlib.figure import Figure

from ..data import Data
from ..lr_finder import RAMPS
from ..widgets import choice, float_slider, int_slider, log_slider, slider_panel, slider_text
from .experiments import run_range_test


def explore_range_test(data: Data, smoothing: float = 0.98, start_lr: float = 1e-7, end_lr: float = 10.0,
                       steps: int = 100, ramp: str = "exponential", mode: str = "train", width: int = 256,
                       seed: int = 0) -> Figure:
    """One range test with the given smoothing, range, number of steps and mode, plotted."""
    result = run_range_test(data, width=width, seed=seed, smoothing=smoothing, start_lr=start_lr,
                            end_lr=end_lr, steps=steps, ramp=ramp, mode=mode, progress=False)
    # Values written as the sliders write them (two significant digits).
    return result.plot(title=f"{slider_text(start_lr)} to {slider_text(end_lr)}, beta {smoothing:.2f}: "
                             f"{result.stop_reason} after {len(result.curve)} of {steps} steps")


def range_test_panel(data: Data):
    """Sliders for `explore_range_test` with a Run button (each run trains for a second or two).

    It draws the default test once before the first Run, so the panel never starts empty.
    """
    return slider_panel(explore_range_test, manual=True, draw_first=True, data=fixed(data), width=fixed(256),
                        seed=fixed(0),
                        smoothing=float_slider("smoothing beta", 0.98, 0.0, 0.99, 0.01),
                        start_lr=log_slider("start lr", 1e-7, 1e-8, 1e-2),
                        end_lr=log_slider("end lr", 10.0, 0.1, 100.0),
                        steps=int_slider("steps", 100, 10, 300, 10),
                        ramp=choice("ramp", [(f"{ramp} ramp", ramp) for ramp in RAMPS]),
                        mode=choice("watch the loss of", [("training batches", "train"),
                                                          ("validation subset", "val")]))

