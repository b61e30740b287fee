"""Plots: learning curves, step-level loss curves, image grids and a live loss plot.

Every function returns a `matplotlib.figure.Figure` that pyplot does not manage, so a
notebook cell shows it exactly once (as the cell's value), a slider redraws it without
piling up open figures, and tests render it headless. The course's look (seaborn theme,
talk size) is set by `use_course_style`, which every lesson and dashboard calls first.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import matplotlib
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .data import CLASS_NAMES, PIXEL_MEAN, PIXEL_STD, Split


def use_course_style(talk: bool | None = None) -> None:
    """The course's figure style; the first thing a lesson's set-up cell (or a dashboard) does.

    In a Jupyter kernel it also renders returned figures as images (``%matplotlib inline``;
    pyplot is never used here). ``talk`` chooses talk-size figures (`talk_size`); the default
    reads the environment variable ``COURSE_TALK`` (`talk_size_requested`). Importing this
    module changes nothing in matplotlib: tests render figures headless without the style.
    """
    _show_figures_inline()
    talk_size(talk_size_requested() if talk is None else talk)


def _show_figures_inline() -> None:
    """In a Jupyter kernel, render returned figures as images (pyplot is never used here)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and "IPKernelApp" in shell.config:
        shell.run_line_magic("matplotlib", "inline")


def talk_size(on: bool = True) -> None:
    """Figures for a projector (``on=True``) or for a screen at arm's length (``on=False``).

    Talk size draws every figure made afterwards 1.5x larger on screen (more pixels per
    inch), with slightly larger text and thicker lines, so that the back row can read it.
    Lessons and dashboards alike start in talk size when the environment variable
    ``COURSE_TALK=1`` is set (`make present` sets it; see `use_course_style`); this call
    switches in mid-lesson.
    """
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", font_scale=1.15 if on else 1.0,
                  rc={"lines.linewidth": 2.4 if on else 1.5, "lines.markersize": 8 if on else 6})
    matplotlib.rcParams.update({"figure.dpi": 150 if on else 100, "axes.titleweight": "bold"})


def talk_size_requested() -> bool:
    """True when ``COURSE_TALK`` asks for talk-size figures (1, yes, true, on)."""
    return os.environ.get("COURSE_TALK", "").strip().lower() in {"1", "yes", "true", "on"}


def _named(histories) -> Mapping:
    """Accept one History or a mapping of label -> History."""
    return histories if isinstance(histories, Mapping) else {"": histories}


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 5.0, height: float = 3.6, **kwargs):
    """A figure and its axes (a flat array when there are several), outside pyplot."""
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes.ravel() if axes.size > 1 else axes[0, 0]


def plot_history(histories, *, title: str = "") -> Figure:
    """Loss and accuracy per epoch; training solid, validation dashed.

    ``histories`` is one `History` or a dict label -> `History`; each label gets a colour.
    """
    histories = _named(histories)
    fig, (ax_loss, ax_acc) = new_figure(ncols=2)
    palette = sns.color_palette(n_colors=max(len(histories), 1))
    for colour, (label, history) in zip(palette, histories.items(), strict=False):
        frame = history.epochs
        prefix = f"{label} " if label else ""
        for split, style in (("train", "-"), ("val", "--")):
            if frame[f"{split}_loss"].notna().any():
                name = "training" if split == "train" else "validation"
                ax_loss.plot(frame["epoch"], frame[f"{split}_loss"], style, color=colour, label=f"{prefix}{name}")
                ax_acc.plot(frame["epoch"], 100 * frame[f"{split}_acc"], style, color=colour, label=f"{prefix}{name}")
    ax_loss.set(xlabel="epoch", ylabel="loss (cross-entropy)", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def draw_step_loss(ax, x, losses, *, smooth: int, colour=None, label: str | None = None, raw: bool = True,
                   raw_label: str | None = None, raw_alpha: float = 0.25, raw_width: float = 0.8) -> None:
    """On ``ax``: the loss of every mini-batch (a faint line, unless ``raw=False``) and its moving
    average over ``smooth`` steps (fewer at the start), solid, labelled ``label``.

    ``losses`` is a pandas Series (e.g. ``history.steps["loss"]``), ``x`` the positions of the steps.
    """
    if raw:
        ax.plot(x, losses, color=colour, alpha=raw_alpha, linewidth=raw_width, label=raw_label)
    ax.plot(x, losses.rolling(smooth, min_periods=1).mean(), color=colour, label=label)


def plot_step_loss(histories, *, x: str = "step", smooth: int = 20, log_y: bool = False, title: str = "") -> Figure:
    """Training loss of every update against ``x`` (``"step"``, ``"epoch"`` or ``"seconds"``).

    A faint line shows the raw mini-batch losses, a solid one their moving average over
    ``smooth`` steps (`draw_step_loss`).
    """
    labels = {"step": "update (step)", "epoch": "epoch", "seconds": "training time (s)"}
    histories = _named(histories)
    fig, ax = new_figure(width=6.5)
    palette = sns.color_palette(n_colors=max(len(histories), 1))
    for colour, (label, history) in zip(palette, histories.items(), strict=False):
        steps = history.steps
        if x == "epoch":  # fractional epochs, so the curve is not a staircase
            per_epoch = steps.groupby("epoch")["step"].transform("count")
            xs = steps["epoch"] - 1 + steps.groupby("epoch").cumcount().add(1) / per_epoch
        else:
            xs = steps[x]
        draw_step_loss(ax, xs, steps["loss"], smooth=smooth, colour=colour, label=label or None)
    ax.set(xlabel=labels.get(x, x), ylabel="training loss (mini-batch)", title=title or "Training loss")
    if log_y:
        ax.set_yscale("log")
    if any(histories):
        ax.legend(fontsize="small")
    return fig


def show_images(split: Split, n: int = 24, *, predictions=None, class_names=CLASS_NAMES, ncols: int = 8,
                labels: bool = True, title: str = "") -> Figure:
    """A grid of the first ``n`` images with their labels (and predictions, if given).

    A wrong prediction is titled in red as ``predicted (true)``. ``labels=False`` leaves the
    images untitled (e.g. all of one class: say it once, in ``title``).
    """
    n = min(n, len(split))
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(1.3 * ncols, (1.55 if labels else 1.35) * nrows + (0.4 if title else 0)),
                 layout="constrained")
    if title:
        fig.suptitle(title)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    images = (split.x[:n].detach().cpu().reshape(n, 28, 28) * PIXEL_STD + PIXEL_MEAN).numpy()
    targets = split.y[:n].cpu().tolist()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
        if not labels and predictions is None:
            continue
        caption, colour = class_names[targets[i]], "black"
        if predictions is not None:
            guess = int(predictions[i])
            if guess != targets[i]:
                caption, colour = f"{class_names[guess]}\n({class_names[targets[i]]})", "red"
        ax.set_title(caption, fontsize=8, color=colour)
    return fig


class LiveLossPlot:
    """A `fit` callback that redraws a figure of the run so far, in place, after every epoch.

    ``draw`` makes the figure from the `History` so far (default: `plot_history`'s loss and
    accuracy curves, titled with the epoch). In a cell (the default) the figure is the cell's
    output, replaced by display id, so a saved notebook keeps the last one. A run started from
    a slider panel's button (``in_widget=True``) draws into an Output widget of its own, shown
    at once, since outputs inside a widget cannot be replaced by display id; `close` removes it
    (the panel then shows its final figure).
    """

    def __init__(self, draw: Callable | None = None, *, in_widget: bool = False) -> None:
        self.draw = draw or _history_so_far
        self.handle = self.output = None
        if in_widget:
            import ipywidgets
            from IPython.display import display

            self.output = ipywidgets.Output()
            display(self.output)

    def __call__(self, history) -> None:
        from IPython.display import display

        if self.output is not None:
            with self.output:
                self.output.clear_output(wait=True)
                display(self.draw(history))
        elif self.handle is None:
            self.handle = display(self.draw(history), display_id=True)
        else:
            self.handle.update(self.draw(history))

    def close(self) -> None:
        """Remove the live figure's Output widget (``in_widget=True``; in a cell the figure stays)."""
        if self.output is not None:
            self.output.close()


def _history_so_far(history) -> Figure:
    """`plot_history` titled with the last epoch: the default figure of `LiveLossPlot`."""
    return plot_history(history, title=f"Training run: epoch {int(history.epochs['epoch'].iloc[-1])}")
