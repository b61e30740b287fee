"""Lesson 05's "try it" panels: the parabola (`quadratic_panel`) and a live training run
(`explore_learning_rate`, `learning_rate_panel`). The slider functions are plain functions
that return a figure; the ``*_panel`` wrappers only add the controls.
"""
from __future__ import annotations

from matplotlib.figure import Figure

from ..plots import LiveLossPlot
from ..schedules import SCHEDULE_NAMES, make_schedule
from ..validation import check_choice, check_positive
from .experiments import BATCH_SIZE, load_data, steps_per_run, train_tracking_test
from .figures import plot_learning_rate_run
from .quadratic import explore_quadratic


def quadratic_panel():
    """Sliders for the learning rate and the curvature of the quadratic."""
    from ..widgets import float_slider, int_slider, slider_panel

    return slider_panel(explore_quadratic, lr=float_slider("learning rate", 0.4, 0.02, 0.7, 0.01),
                        curvature=float_slider("curvature L", 4.0, 1.0, 6.0, 0.5),
                        n_steps=int_slider("steps", 12, 3, 40))


def explore_learning_rate(lr: float = 0.1, schedule: str = "constant", optimizer: str = "sgd",
                          epochs: int = 3, n_train: int = 2000, width: int = 64, seed: int = 0,
                          live: bool = False) -> Figure:
    """Train a small MLP and draw its loss and learning rate against the update.

    ``live=True`` (the slider panel) shows a progress bar and redraws the curves after
    every epoch while training runs.
    """
    check_positive("lr", lr)
    check_choice("schedule", schedule, SCHEDULE_NAMES)
    data = load_data(n_train, 2000, seed=seed)
    scheduler = make_schedule(schedule, steps_per_run(n_train, epochs))
    redraw = LiveLossPlot(lambda history: plot_learning_rate_run(history, lr, schedule, optimizer),
                          in_widget=True) if live else None
    history = train_tracking_test(data, lr=lr, optimizer=optimizer, scheduler=scheduler, epochs=epochs, width=width,
                                  seed=seed, progress=live, callbacks=[redraw] if live else ())
    if redraw is not None:
        redraw.close()
    return plot_learning_rate_run(history, lr, schedule, optimizer)


def learning_rate_panel(n_train: int = 2000, epochs: int = 3):
    """The classroom panel: rate, schedule and optimizer, then Run (trains live).

    ``n_train`` and ``epochs`` are checked here, so that every schedule the drop-down offers
    can be built (some need 10 updates or more), rather than failing after a Run.
    """
    from ipywidgets import fixed

    from ..widgets import choice, log_slider, slider_panel

    updates = steps_per_run(n_train, epochs)
    if updates < 10:
        raise ValueError(f"n_train={n_train} and epochs={epochs} give {updates} updates of {BATCH_SIZE} images; "
                         "the schedules need at least 10: raise n_train or epochs")

    return slider_panel(explore_learning_rate, manual=True,
                        lr=log_slider("learning rate", 0.1, 1e-4, 10.0),
                        schedule=choice("schedule", SCHEDULE_NAMES),
                        optimizer=choice("optimizer", [("SGD", "sgd"), ("Adam", "adam"), ("RMSprop", "rmsprop"),
                                                       ("Adagrad", "adagrad"), ("AdamW", "adamw")]),
                        epochs=fixed(epochs), n_train=fixed(n_train), width=fixed(64), seed=fixed(0),
                        live=fixed(True))
