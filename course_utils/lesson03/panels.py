"""Lesson 03's "try it" panel: any width, depth, number of epochs and label noise, with a verdict."""
from __future__ import annotations

import ipywidgets
from matplotlib.figure import Figure

from ..data import fashion_mnist
from ..models import count_parameters
from ..plots import plot_history
from ..training import train_mlp
from ..validation import check_fraction, check_int
from ..widgets import float_slider, int_slider, slider_panel
from .experiments import ADAM, DEFAULT_BATCH_SIZE, DEFAULT_LR, PERCENT, diagnose


def explore_fit(
    width: int = 64,
    depth: int = 1,
    epochs: int = 20,
    label_noise: float = 0.0,
    *,
    n_train: int = 1_000,
    n_val: int = 1_000,
    seed: int = 0,
) -> Figure:
    """Train ``mlp(width, depth)`` on ``n_train`` images and draw its learning curves."""
    check_int("width", width, 1)
    check_int("depth", depth, 0)
    check_fraction("label_noise", label_noise, include_one=False)
    data = fashion_mnist(n_train, n_val, 1, label_noise=label_noise, seed=seed)
    model, history = train_mlp(data, width, depth, epochs=epochs, lr=DEFAULT_LR, batch_size=DEFAULT_BATCH_SIZE,
                               seed=seed, **ADAM)
    train_acc, val_acc = history.final("train_acc"), history.final("val_acc")
    # Training accuracy is measured against the noisy labels, so lower the bar accordingly.
    verdict = diagnose(train_acc, val_acc, low=0.7 * (1 - label_noise))
    shape = "linear model" if depth == 0 else f"{depth} hidden layer(s) of {width} units"
    return plot_history(history, title=f"{shape} ({count_parameters(model):,} parameters), "
                                       f"{PERCENT * label_noise:.0f}% noisy labels: {verdict}")


def explore_fit_panel(n_train: int = 1_000, n_val: int = 1_000) -> ipywidgets.interactive:
    """Sliders for `explore_fit` with a Run button (each run trains a network)."""
    return slider_panel(explore_fit, manual=True, width=int_slider("hidden units (width)", 64, 1, 512),
                        depth=int_slider("hidden layers (depth)", 1, 0, 4),
                        epochs=int_slider("epochs", 20, 1, 100),
                        label_noise=float_slider("noisy labels", 0.0, 0.0, 0.8, 0.1, readout_format=".0%"),
                        n_train=ipywidgets.fixed(n_train), n_val=ipywidgets.fixed(n_val),
                        seed=ipywidgets.fixed(0))
