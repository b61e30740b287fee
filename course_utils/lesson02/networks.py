"""The same decomposition for small MLPs of growing width, trained side by side.

The ``R`` networks of one width are one `StackedMLP` (``R`` independent copies of the course's
1-D ``mlp``), trained with one call to the course's `fit`; each trains exactly as it would alone.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..config import seed_everything
from ..data import sine_function
from ..models import mlp
from ..training import fit
from ..validation import check_choice, check_int, check_positive
from .decomposition import (
    N_TRAIN,
    NOISE,
    ResampledFits,
    decompose,
    decomposition_row,
    draw_training_sets,
    grid_inputs,
)


class StackedMLP(nn.Module):
    """``R`` independent one-hidden-layer ReLU networks for 1-D regression, run side by side.

    Member ``r`` is an exact copy of ``mlp(width, depth=1, n_inputs=1, n_classes=1)``
    (the course's network, same initialisation), reading column ``r`` of an ``(N, R)``
    input and writing column ``r`` of the ``(N, R)`` output. The members share no weights,
    so training the stack with `stacked_mse` trains each of them exactly as if alone, but
    with one call to `fit` instead of ``R``.
    """

    def __init__(self, networks: Sequence[nn.Sequential]):
        super().__init__()
        hidden = [net[1] for net in networks]   # Linear(1, width)
        output = [net[3] for net in networks]   # Linear(width, 1)
        self.hidden_weight = nn.Parameter(torch.stack([layer.weight[:, 0] for layer in hidden]).detach().clone())
        self.hidden_bias = nn.Parameter(torch.stack([layer.bias for layer in hidden]).detach().clone())
        self.output_weight = nn.Parameter(torch.stack([layer.weight[0] for layer in output]).detach().clone())
        self.output_bias = nn.Parameter(torch.stack([layer.bias[0] for layer in output]).detach().clone())

    @classmethod
    def build(cls, n_members: int, width: int, *, seed: int = 0) -> StackedMLP:
        """``n_members`` freshly initialised copies of the 1-D ``mlp`` of this ``width``."""
        check_int("n_members", n_members, 1)
        seed_everything(seed)
        return cls([mlp(width, depth=1, n_inputs=1, n_classes=1) for _ in range(n_members)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(x[:, :, None] * self.hidden_weight + self.hidden_bias)  # (N, R, width)
        return (hidden * self.output_weight).sum(-1) + self.output_bias


def stacked_mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sum over the members (columns) of each member's mean squared error.

    Each member's gradient is then exactly what its own MSE would give it alone.
    """
    return ((output - target) ** 2).mean(dim=0).sum()


def train_networks(
    x_train: np.ndarray, y_train: np.ndarray, width: int, *, epochs: int, lr: float = 0.01,
    seed: int = 0,
) -> StackedMLP:
    """Train one 1-D MLP per training set (rows of ``x_train``, ``y_train``), full batch, Adam.

    Tiny networks train faster on the CPU than on a GPU, so this runs on the CPU.
    """
    check_int("width", width, 1)
    check_int("epochs", epochs, 1)
    check_positive("lr", lr)
    n_members, n_train = np.shape(x_train)
    model = StackedMLP.build(n_members, width, seed=seed)
    columns = [torch.tensor(np.asarray(array).T, dtype=torch.float32) for array in (x_train, y_train)]  # (N, R)
    fit(model, tuple(columns), epochs=epochs, batch_size=n_train, optimizer="adam", lr=lr,
        loss_fn=stacked_mse, seed=seed, progress=False)
    return model


@torch.no_grad()
def predict_networks(model: StackedMLP, x: np.ndarray) -> np.ndarray:
    """Values ``(R, len(x))`` of every member of the stack at the inputs ``x``."""
    n_members = model.hidden_weight.shape[0]
    inputs = torch.tensor(np.repeat(np.asarray(x, dtype=np.float32)[:, None], n_members, axis=1))
    return model(inputs).numpy().T.astype(float)


@torch.no_grad()
def predict_networks_on_own_data(model: StackedMLP, x_train: np.ndarray) -> np.ndarray:
    """Each member's predictions ``(R, n)`` on its own training inputs (row ``r`` of ``x_train``)."""
    return model(torch.tensor(np.asarray(x_train).T, dtype=torch.float32)).numpy().T.astype(float)


def network_bias_variance(
    widths: Sequence[int],
    *,
    n_train: int = N_TRAIN,
    noise: float = NOISE,
    n_resamples: int = 20,
    epochs: int = 1000,
    lr: float = 0.01,
    n_test: int = 200,
    vary: str = "both",
    seed: int = 0,
) -> pd.DataFrame:
    """Bias^2, variance, noise and the measured expected error of small MLPs, one row per width.

    ``vary="both"``: every network gets its own training set and its own initialisation
    (the usual decomposition). ``vary="init"``: all networks share one training set, so
    the variance measured is the part caused by the random initialisation alone.
    """
    widths = [check_int("width", w, 1) for w in widths]
    vary = check_choice("vary", vary, ("both", "init"))
    x_train, y_train = draw_training_sets(n_resamples, n_train, noise, seed=seed)
    if vary == "init":  # R copies of the first training set: only the initialisations differ
        x_train, y_train = np.repeat(x_train[:1], n_resamples, 0), np.repeat(y_train[:1], n_resamples, 0)
    x_test = grid_inputs(n_test)
    rows = []
    for width in widths:
        model = train_networks(x_train, y_train, width, epochs=epochs, lr=lr, seed=seed + width)
        parts = decompose(predict_networks(model, x_test), sine_function(x_test), noise, seed=seed + 1)
        train_error = float(np.mean((predict_networks_on_own_data(model, x_train) - y_train) ** 2))
        rows.append({**decomposition_row("width", width, parts, train_error), "parameters": 3 * width + 1})
    return pd.DataFrame(rows)


def network_fits(width: int = 8, epochs: int = 300, n_train: int = N_TRAIN, noise: float = NOISE,
                 n_resamples: int = 10, seed: int = 0) -> ResampledFits:
    """``n_resamples`` 1-D MLPs of one ``width``, each trained on its own training set, on 300
    inputs in [0, 1], with their decomposition there (what `explore_network_fits` draws)."""
    check_int("n_train", n_train, 2)
    x_train, y_train = draw_training_sets(n_resamples, n_train, noise, seed=seed)
    model = train_networks(x_train, y_train, width, epochs=epochs, seed=seed)
    x_grid = np.linspace(0, 1, 300)
    predictions = predict_networks(model, x_grid)
    parts = decompose(predictions, sine_function(x_grid), noise, seed=seed + 1)
    return ResampledFits(x_train, y_train, x_grid, predictions, parts)
