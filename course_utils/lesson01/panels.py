"""Lesson 01's "try it" panel: training-set size, epochs and the share of shuffled labels."""
from __future__ import annotations

from matplotlib.figure import Figure

from ..widgets import float_slider, int_slider, slider_panel
from .experiments import train_wide_mlp
from .figures import plot_train_test


def explore_generalization(n_train: int = 300, epochs: int = 20, shuffled_fraction: float = 0.0,
                           seed: int = 0, n_test: int = 1_000) -> Figure:
    """Train the lesson's wide MLP and draw its learning curves (the slider's function)."""
    run = train_wide_mlp(n_train, epochs, shuffled_fraction=shuffled_fraction, n_test=n_test, seed=seed)
    return plot_train_test(run, title=f"{n_train} images, {100 * shuffled_fraction:.0f}% of labels shuffled")


def explore_generalization_panel(n_test: int = 1_000, max_train: int = 4_000):
    """Sliders for training-set size, epochs and shuffled fraction, with a Run button."""
    return slider_panel(
        lambda n_train, epochs, shuffled_fraction: explore_generalization(
            n_train, epochs, shuffled_fraction, n_test=n_test),
        manual=True,
        n_train=int_slider("training images", 300, 100, max_train, 100),
        epochs=int_slider("epochs", 20, 1, 60),
        shuffled_fraction=float_slider("labels shuffled", 0.0, 0.0, 1.0, 0.1, readout_format=".0%"),
    )
