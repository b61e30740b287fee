"""Optimizers by name: what `fit` and the range test train with.

`make_optimizer` builds a torch optimizer from a name and checked hyperparameters;
`build_optimizer` accepts a name, a ready optimizer or a factory ``params -> Optimizer``
(the three ways `fit` and `lr_range_test` take one).
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .validation import check_choice, check_fraction, check_non_negative, check_positive

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
_OPTIMIZER_CLASSES = {
    "sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad,
}
_TAKES_MOMENTUM = ("sgd", "rmsprop")


def make_optimizer(
    name: str,
    params,
    lr: float | None = None,
    momentum: float = 0.0,
    weight_decay: float | None = None,
    nesterov: bool = False,
) -> torch.optim.Optimizer:
    """Build a torch optimizer by name, checking every hyperparameter first.

    ``lr=None`` and ``weight_decay=None`` keep torch's own defaults for that optimizer
    (AdamW's default decay is 0.01, the others' 0). ``momentum`` applies to SGD and
    RMSprop only; ``nesterov`` to SGD only.
    """
    name = check_choice("optimizer", name, OPTIMIZERS)
    kwargs: dict = {}
    if weight_decay is not None:
        kwargs["weight_decay"] = check_non_negative("weight_decay", weight_decay)
    if lr is not None:
        kwargs["lr"] = check_positive("lr", lr)
    check_fraction("momentum", momentum, include_one=False)
    if momentum and name not in _TAKES_MOMENTUM:
        raise ValueError(
            f"momentum applies to {' and '.join(_TAKES_MOMENTUM)} only (got momentum={momentum} "
            f"with optimizer={name!r}); Adam-type optimizers set theirs through betas"
        )
    if name in _TAKES_MOMENTUM:
        kwargs["momentum"] = momentum
    if nesterov:
        if name != "sgd" or not momentum:
            raise ValueError("nesterov=True needs optimizer='sgd' and momentum in (0, 1)")
        kwargs["nesterov"] = True
    return _OPTIMIZER_CLASSES[name](params, **kwargs)


def build_optimizer(
    model: nn.Module,
    optimizer: str | torch.optim.Optimizer | Callable = "sgd",
    *,
    lr: float | None = None,
    momentum: float = 0.0,
    weight_decay: float | None = None,
    nesterov: bool = False,
) -> torch.optim.Optimizer:
    """The optimizer `fit` and `lr_range_test` train ``model`` with.

    ``optimizer`` is a name from ``OPTIMIZERS`` (built by `make_optimizer` with the other
    arguments), a ready ``torch.optim.Optimizer`` on the model's parameters (used as is), or
    a callable ``params -> Optimizer`` such as ``functools.partial(torch.optim.SGD, lr=0.1)``.
    The hyperparameters go with a name only: with your own optimizer they would be ignored,
    so giving both is an error.
    """
    if isinstance(optimizer, str):
        return make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay, nesterov)
    if lr is not None or momentum or weight_decay is not None or nesterov:
        raise ValueError(
            "lr, momentum, weight_decay and nesterov go either with an optimizer name "
            "or into your own optimizer, not both"
        )
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer):
        return optimizer(model.parameters())
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, a torch optimizer or a callable (got {optimizer!r})")
