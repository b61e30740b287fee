"""Lesson 07's "try it" panel: batch size, learning rate, the scaling toggle and the x-axis."""
from __future__ import annotations

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..batch_runs import scaled_lr, train_variant
from ..data import Split
from ..models import new_model
from ..plots import new_figure
from ..validation import check_int, check_positive
from ..widgets import choice, log_slider, slider_panel
from .experiments import X_AXES, check_batch_size, check_x_axis

PANEL_BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024)
AXIS_LABELS = {"epoch": "epochs", "updates": "updates (log scale)", "seconds": "measured training seconds"}


def explore_batch_size(batch_size: int = 256, lr: float = 0.02, scale_lr: bool = True, x_axis: str = "epochs", *,
                       train: Split, base_batch: int = 16, epochs: int = 3, seed: int = 0) -> Figure:
    """Train ``base_batch`` at ``lr`` and ``batch_size`` at ``lr`` (times ``batch_size / base_batch``
    if ``scale_lr``) for ``epochs`` epochs; draw both losses against ``x_axis``."""
    check_batch_size(batch_size, len(train))
    check_batch_size(base_batch, len(train), "base_batch")
    check_positive("lr", lr)
    check_int("epochs", epochs, 1)
    column = check_x_axis(x_axis)
    chosen_lr = scaled_lr(lr, batch_size, base_batch, "linear" if scale_lr else "none")
    fig, ax = new_figure(width=7.0, height=4.0)
    for b, rate, colour in ((base_batch, lr, "#999999"), (batch_size, chosen_lr, "#0072B2")):
        model = new_model(64, 1, seed=seed, device=train.x.device)
        run = train_variant(model, train, batch_size=b, lr=rate, epochs=epochs, seed=seed, per_epoch=4)
        end = "diverged" if run.history.diverged else f"ends at {run.curve['train_loss'].iloc[-1]:.3f}"
        xs = run.curve[column].clip(lower=0.5) if column == "updates" else run.curve[column]
        ax.plot(xs, run.curve["train_loss"],
                "o-", markersize=3, color=colour, label=f"B={b}, lr={rate:.3g}: {run.curve['updates'].iloc[-1]:.0f} "
                f"updates, {end}")
    if column == "updates":
        ax.set_xscale("log")
    ax.set(ylim=(0, 2.6), xlabel=AXIS_LABELS[column], ylabel="training loss (whole set)",
           title=f"B={batch_size}, lr={chosen_lr:.3g}" + (f" (scaled from {lr:g} at B={base_batch})" if scale_lr else
                                                          " (not scaled)") + f", {epochs} epochs, against {x_axis}")
    ax.legend(fontsize="small", loc="upper right")
    return fig


def explore_batch_size_panel(train: Split, *, epochs: int = 3, seed: int = 0) -> widgets.interactive:
    """Sliders for batch size and rate, the scaling toggle and a drop-down for the x-axis."""
    sizes = [b for b in PANEL_BATCH_SIZES if b <= len(train)]
    return slider_panel(
        explore_batch_size,
        train=widgets.fixed(train), base_batch=widgets.fixed(16), epochs=widgets.fixed(epochs),
        seed=widgets.fixed(seed),
        batch_size=widgets.SelectionSlider(options=sizes, value=min(256, sizes[-1]), description="batch size",
                                           continuous_update=False, style={"description_width": "initial"}),
        lr=log_slider("learning rate at B=16", 0.02, 0.002, 0.2, steps_per_decade=4),
        scale_lr=widgets.Checkbox(value=True, description="scale the rate with the batch size"),
        x_axis=choice("x-axis", [(name, name) for name in X_AXES], value="epochs"),
    )
