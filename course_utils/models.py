"""The networks the lessons train: a multi-layer perceptron and a small CNN."""
from __future__ import annotations

import torch
from torch import nn

from .config import get_device, seed_everything
from .validation import check_int


def mlp(width: int = 256, depth: int = 2, n_inputs: int = 28 * 28, n_classes: int = 10) -> nn.Sequential:
    """A fully connected ReLU network with ``depth`` hidden layers of ``width`` units.

    ``depth=0`` gives a linear (softmax-regression) model. Images are flattened first, so
    the same model takes ``(N, 1, 28, 28)`` images or ``(N, n_inputs)`` feature vectors.
    """
    check_int("width", width, 1)
    check_int("depth", depth, 0)
    layers: list[nn.Module] = [nn.Flatten()]
    size = n_inputs
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.ReLU()]
        size = width
    layers.append(nn.Linear(size, n_classes))
    return nn.Sequential(*layers)


def small_cnn(channels: int = 16, n_classes: int = 10) -> nn.Sequential:
    """Two conv-ReLU-pool blocks and a linear classifier for 1x28x28 images."""
    check_int("channels", channels, 1)
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),          # 14x14
        nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 7x7
        nn.Flatten(),
        nn.Linear(2 * channels * 7 * 7, n_classes),
    )


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def new_model(width: int = 256, depth: int = 2, seed: int = 0, device: torch.device | str | None = None) -> nn.Module:
    """A fresh ``mlp(width, depth)`` initialised from ``seed``, on ``device`` (default: the lessons' device)."""
    seed_everything(seed)
    return mlp(width, depth).to(device or get_device())
