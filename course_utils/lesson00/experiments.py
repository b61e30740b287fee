"""Lesson 00's experiments: counting the classes, one epoch of training spelled out, per-class accuracy.

The lesson trains with `course_utils.training.fit`, the loop every lesson uses. `one_epoch`
is what `fit` does in each epoch, without its bookkeeping (the clock, the progress bar, the
divergence check, the tables); `tests/test_tour.py` checks that it gives the same weights.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import torch
from torch import nn

from ..data import CLASS_NAMES, Split
from ..training import predict


def class_counts(split: Split) -> pd.Series:
    """How many examples of each class ``split`` holds, indexed by class name."""
    counts = torch.bincount(split.y.cpu(), minlength=len(CLASS_NAMES))
    return pd.Series(counts.numpy(), index=list(CLASS_NAMES), name="images")


def one_epoch(model: nn.Module, train: Split, optimizer: torch.optim.Optimizer, *, batch_size: int = 128,
              generator: torch.Generator | None = None, loss_fn: Callable | None = None) -> list[float]:
    """One pass over ``train`` in shuffled mini-batches, one optimizer step per batch; the loss of each batch.

    This is `fit`'s epoch. ``generator`` draws the order (`fit` seeds one with its ``seed``
    and draws a new order every epoch); the last batch is smaller when ``batch_size`` does not
    divide the number of images.
    """
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model.train()
    order = torch.randperm(len(train), generator=generator).to(train.y.device)
    losses = []
    for begin in range(0, len(train), batch_size):
        index = order[begin:begin + batch_size]                # the images of this mini-batch
        loss = loss_fn(model(train.x[index]), train.y[index])  # forward: the batch's mean loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()                                        # backward: the gradient of every parameter
        optimizer.step()                                       # update: move each parameter against its gradient
        losses.append(loss.item())
    return losses


def per_class_accuracy(model: nn.Module, split: Split) -> pd.Series:
    """Fraction of each class's images that ``model`` labels correctly."""
    correct = (predict(model, split.x) == split.y).cpu().float()
    labels = split.y.cpu()
    accuracy = [correct[labels == k].mean().item() for k in range(len(CLASS_NAMES))]
    return pd.Series(accuracy, index=list(CLASS_NAMES), name="accuracy")
