"""Lesson 05, section 1: gradient descent on the parabola ``f(x) = L/2 x^2``.

One step is ``x <- x - lr * L * x = (1 - lr L) x``, so the iterates shrink without changing
sign for ``lr < 1/L``, land on 0 in one step at ``lr = 1/L``, flip sign while shrinking for
``1/L < lr < 2/L``, and flip sign while growing above ``2/L``. That bound holds for this
fixed quadratic and plain gradient descent: a network's curvature changes while it trains
(edge of stability, Cohen et al. 2021; catapult phase, Lewkowycz et al. 2020), and with
heavy-ball momentum ``beta`` the bound on a quadratic is ``2 (1 + beta) / L`` (lesson 08).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from ..plots import new_figure
from ..validation import check_int, check_positive


def gd_on_quadratic(lr: float, curvature: float = 1.0, x0: float = 1.0, n_steps: int = 20) -> np.ndarray:
    """Iterates ``x_0 .. x_n`` of gradient descent (torch's SGD) on ``f(x) = curvature/2 * x^2``.

    Each step is ``x <- x - lr * f'(x) = (1 - lr * curvature) * x``, so the iterates are
    ``x0 * (1 - lr * curvature) ** t``; the function runs the real optimizer anyway.
    """
    check_positive("lr", lr)
    check_positive("curvature", curvature)
    check_int("n_steps", n_steps, 1)
    # float64 on the CPU (no device given): one scalar, and exact enough to compare with the closed form
    x = torch.tensor(float(x0), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=lr)
    iterates = [x.item()]
    for _ in range(n_steps):
        optimizer.zero_grad()
        (0.5 * curvature * x ** 2).backward()
        optimizer.step()
        iterates.append(x.item())
    return np.array(iterates)


def predicted_regime(lr: float, curvature: float = 1.0) -> str:
    """What theory says gradient descent does on the quadratic, from ``lr * curvature``."""
    product = check_positive("lr", lr) * check_positive("curvature", curvature)
    if math.isclose(product, 1.0):
        return "one step"
    if math.isclose(product, 2.0):
        return "bouncing"
    if product < 1:
        return "monotone"
    return "oscillating" if product < 2 else "diverging"


def measured_regime(iterates: Sequence[float]) -> str:
    """Classify iterates by what they did (not by the formula).

    ``monotone``: same sign throughout and ``|x|`` shrinking; ``oscillating``: the sign
    flips every step and ``|x|`` shrinks; ``diverging``: ``|x|`` grows; ``one step``:
    reached 0 and stayed; ``bouncing``: sign flips with constant size; otherwise ``other``.
    """
    x = np.asarray(iterates, dtype=float)
    if len(x) < 3 or x[0] == 0:
        raise ValueError(f"iterates must have >= 3 values and a nonzero start "
                         f"(got {len(x)} values, x0={x[0] if len(x) else None})")
    size, products = np.abs(x), x[:-1] * x[1:]
    # Rounding: lr * L = 1 or 2 in floating point can leave a residue of ~1e-16 per step.
    if np.all(size[1:] <= 1e-12 * size[0]):
        return "one step"
    if np.all(np.isclose(size, size[0], rtol=1e-9)) and np.all(products < 0):
        return "bouncing"
    if np.all(size[1:] > size[:-1]):
        return "diverging"
    if np.all(size[1:] < size[:-1]):
        if np.all(products > 0):
            return "monotone"
        if np.all(products < 0):
            return "oscillating"
    return "other"


def quadratic_regimes(lr_times_curvature: Sequence[float] = (0.3, 0.7, 1.0, 1.3, 1.7, 2.0, 2.2),
                      curvature: float = 4.0, n_steps: int = 12) -> pd.DataFrame:
    """One row per learning rate ``lr = factor / curvature``: predicted and measured regime."""
    rows = []
    for factor in lr_times_curvature:
        lr = check_positive("lr_times_curvature", factor) / curvature
        iterates = gd_on_quadratic(lr, curvature, n_steps=n_steps)
        rows.append({"lr": lr, "lr x L": factor, "predicted": predicted_regime(lr, curvature),
                     "measured": measured_regime(iterates), "x after 1 step": iterates[1],
                     f"|x| after {n_steps} steps": abs(iterates[-1])})
    return pd.DataFrame(rows)


def explore_quadratic(lr: float = 0.4, curvature: float = 4.0, n_steps: int = 12) -> Figure:
    """Slider view: the path of gradient descent drawn on the parabola, and ``x_t`` against ``t``."""
    iterates = gd_on_quadratic(lr, curvature, n_steps=n_steps)
    fig, (ax_path, ax_t) = new_figure(ncols=2, width=4.8, height=3.4)
    reach = float(np.clip(np.abs(iterates).max(), 1.2, 3.0)) * 1.1
    grid = np.linspace(-reach, reach, 200)
    ax_path.plot(grid, 0.5 * curvature * grid ** 2, color="grey")
    shown = iterates[np.abs(iterates) <= reach]
    ax_path.plot(shown, 0.5 * curvature * shown ** 2, "o-", color="C1", markersize=4)
    ax_path.plot(iterates[0], 0.5 * curvature * iterates[0] ** 2, "s", color="C3", markersize=7)
    ax_path.set(xlabel="x", ylabel="loss f(x) = L/2 x²", title="Path on the loss curve (square: start)",
                ylim=(-0.05 * curvature, 0.5 * curvature * reach ** 2))
    ax_t.axhline(0, color="grey", linewidth=0.8)
    ax_t.plot(np.arange(n_steps + 1), iterates, "o-", color="C1", markersize=4)
    ax_t.set(xlabel="step t", ylabel="iterate x_t", title="Iterates over time", ylim=(-reach, reach))
    fig.suptitle(f"lr = {lr:.2f}, L = {curvature:.1f}: lr x L = {lr * curvature:.2f} -> {measured_regime(iterates)} "
                 f"(1/L = {1 / curvature:.3g}, 2/L = {2 / curvature:.3g})")
    return fig
