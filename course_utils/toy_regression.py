"""A 2-parameter toy problem on which gradient descent's path can be drawn.

Fit a line ``y ~ w x + b`` to a few noisy points by least squares: the loss is a mean over
the points, so a batch of them gives a noisy gradient, as with a network, but the two
parameters fit on a contour plot.

- `make_regression_2d` / `Regression2D`: the data, the loss at any ``(w, b)`` (or a grid of
  them) and the least-squares minimum;
- `trace_2d`: the path of mini-batch gradient descent from `START_2D`, one row per update,
  with the learning rate of each update given by a rule (`constant_lr` by default);
- `plot_trajectories`: paths on the contours, and the loss along each path.

Lesson 04 compares full-batch, mini-batch and stochastic paths on it; lesson 08 draws
momentum's path on the same valley.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from .plots import new_figure
from .validation import check_int, check_positive

START_2D = (-1.0, 3.0)
VARIANT_COLOURS = {"full batch": "#D55E00", "mini-batch": "#009E73", "stochastic": "#0072B2"}
LrRule = Callable[[float, float], float]  # (lr, epochs done so far) -> the rate of the next update


@dataclass
class Regression2D:
    """Data of the 2-parameter problem: fit ``y ~ w * x + b`` by least squares."""

    x: np.ndarray
    y: np.ndarray

    def loss(self, w, b):
        """Mean of ``(w x + b - y)^2 / 2`` over the data; ``w`` and ``b`` may be arrays (a grid)."""
        w, b = np.asarray(w, dtype=float), np.asarray(b, dtype=float)
        residual = w[..., None] * self.x + b[..., None] - self.y
        return 0.5 * np.mean(residual ** 2, axis=-1)

    def minimum(self) -> np.ndarray:
        """The least-squares solution ``(w*, b*)``."""
        design = np.stack([self.x, np.ones_like(self.x)], 1)
        return np.linalg.lstsq(design, self.y, rcond=None)[0]


def make_regression_2d(n: int = 64, noise: float = 1.0, *, seed: int = 0) -> Regression2D:
    """``n`` points with ``x ~ U(0, 2)`` and ``y = 2 x - 1 + noise * N(0, 1)``.

    Because x is not centred, the loss surface is an elongated, tilted valley.
    """
    check_int("n", n, 2)
    if noise < 0:
        raise ValueError(f"noise must be a finite number >= 0 (got {noise!r})")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 2, n)
    return Regression2D(x, 2 * x - 1 + noise * rng.standard_normal(n))


def constant_lr(lr: float, epoch: float) -> float:
    """The same rate ``lr`` at every update, whatever the epoch (the lesson's rule)."""
    return lr


def trace_2d(
    problem: Regression2D,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    seed: int = 0,
    start: tuple[float, float] = START_2D,
    lr_at: LrRule = constant_lr,
) -> np.ndarray:
    """The path ``(w, b)`` of mini-batch gradient descent, one row per update (start included).

    Each epoch shuffles the data and walks through it in batches of ``batch_size``.
    Each update steps by ``lr_at(lr, epoch)`` times the batch's mean gradient, ``epoch``
    being the epochs done so far (fractional); the default `constant_lr` keeps ``lr``.
    Stops early (returning the path so far) if the parameters blow up.
    """
    n = len(problem.x)
    check_int("batch_size", batch_size, 1, n, "the number of data points")
    check_positive("lr", lr)
    check_int("epochs", epochs, 1)
    rng = np.random.default_rng(seed)
    steps_per_epoch = math.ceil(n / batch_size)
    path = np.empty((epochs * steps_per_epoch + 1, 2))
    w, b = map(float, start)
    path[0] = w, b
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        x_epoch, y_epoch = problem.x[order], problem.y[order]  # slices of these are cheap views
        for begin in range(0, n, batch_size):
            x, y = x_epoch[begin:begin + batch_size], y_epoch[begin:begin + batch_size]
            residual = w * x + b - y  # the batch's mean gradient is (mean(residual * x), mean(residual))
            rate = lr_at(lr, step / steps_per_epoch)
            w, b = w - rate * float(residual @ x) / len(x), b - rate * float(residual.sum()) / len(x)
            step += 1
            path[step] = w, b
            if not (math.isfinite(w) and math.isfinite(b)) or max(abs(w), abs(b)) > 1e3:
                return path[:step + 1]  # blown up: stop here
    return path


def plot_trajectories(
    problem: Regression2D,
    paths: dict[str, np.ndarray],
    *,
    updates_per_epoch: dict[str, int] | None = None,
    title: str = "",
) -> Figure:
    """Contours of the loss with the paths (left) and the loss along each path per epoch (right)."""
    fig, (ax_map, ax_loss) = new_figure(ncols=2, width=5.2, height=4.3)
    w_star, b_star = problem.minimum()
    w_grid, b_grid = np.meshgrid(np.linspace(-2.5, 4.5, 160), np.linspace(-3.5, 4.5, 160))
    surface = problem.loss(w_grid, b_grid)
    levels = float(problem.loss(w_star, b_star)) + np.geomspace(0.01, 20, 14)
    ax_map.contour(w_grid, b_grid, surface, levels=levels, colors="grey", linewidths=0.6, alpha=0.7)
    # Start and minimum on top of every path (zorder), white-edged so that they stand out on a dark path.
    ax_map.plot(*START_2D, "ks", markersize=8, markeredgecolor="white", markeredgewidth=1.2, zorder=6,
                label="start")
    ax_map.plot(w_star, b_star, "*", color="gold", markersize=17, markeredgecolor="black", markeredgewidth=1.0,
                zorder=6, label="minimum")
    palette = sns.color_palette(n_colors=len(paths))
    # The noisiest path first, so that the smoother ones stay visible on top of it.
    drawing_order = {"stochastic": 0, "mini-batch": 1, "full batch": 2}
    order = sorted(paths, key=lambda label: drawing_order.get(label.split(" (")[0], 1))
    for colour, label in zip(palette, order, strict=False):
        path = paths[label]
        colour = VARIANT_COLOURS.get(label.split(" (")[0], colour)
        width = 2.2 if label.startswith("full batch") else 1.6 if label.startswith("mini") else 0.7
        # The B=1 path has an update per data point: thin and translucent, or it hides everything under it.
        alpha = 0.9 if label.startswith("full batch") else 0.75 if label.startswith("mini") else 0.45
        blown_up = not np.all(np.isfinite(path[-1])) or np.abs(path[-1]).max() > 1e3
        shown = f"{label}: diverged" if blown_up else label
        ax_map.plot(path[:, 0], path[:, 1], "-", color=colour, linewidth=width, alpha=alpha, label=shown)
        ax_map.plot(path[-1, 0], path[-1, 1], "o", color=colour, markersize=7, markeredgecolor="white",
                    markeredgewidth=1.2, zorder=5)
        per_epoch = (updates_per_epoch or {}).get(label, 1)
        ax_loss.plot(np.arange(len(path)) / per_epoch, problem.loss(path[:, 0], path[:, 1]), color=colour,
                     label=shown, linewidth=width)
    ax_loss.axhline(float(problem.loss(w_star, b_star)), color="black", linestyle=":", label="minimum")
    ax_loss.set_ylim(0, 1.5 * float(problem.loss(*START_2D)))  # a diverging path leaves the top
    ax_map.set(xlim=(-2.5, 4.5), ylim=(-3.5, 4.5), xlabel="slope w", ylabel="intercept b",
               title="Paths on the loss surface")
    ax_map.legend(fontsize="x-small", loc="upper right")
    ax_loss.set(xlabel="epochs (passes over the data)", ylabel="training loss (mean squared error / 2)",
                title="Loss along each path")
    ax_loss.legend(fontsize="x-small", loc="upper right")
    fig.suptitle(title or "Gradient descent on a 2-parameter linear regression")
    return fig
