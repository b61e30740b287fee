"""Gradients as vectors: one batch's gradient, and the spread of the per-example gradients.

- `flat_gradient`: the gradient of the mean loss over a batch with respect to all
  parameters, as one vector (to compare batch gradients with each other);
- `per_sample_gradient_variance`: ``tr Sigma`` (the total variance of the N per-example
  gradients) and the squared norm of their mean, computed exactly with ``torch.func``.

Lesson 04 measures how good a mini-batch gradient is with them; lesson 07 estimates the
gradient noise scale.
"""
from __future__ import annotations

import torch
from torch import nn

from .data import Split


def flat_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module | None = None) -> torch.Tensor:
    """The gradient of the mean loss over ``(x, y)`` with respect to all parameters, as one vector."""
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    parameters = [p for p in model.parameters() if p.requires_grad]
    loss = loss_fn(model(x), y)
    grads = torch.autograd.grad(loss, parameters)
    return torch.cat([g.reshape(-1) for g in grads]).detach()


def per_sample_gradient_variance(model: nn.Module, train: Split, chunk: int = 256) -> tuple[float, float]:
    """``(tr Sigma, |G|^2)``: total variance of the per-sample gradients and the squared norm of their mean.

    ``Sigma`` is the covariance of the N per-sample gradients (divided by N), computed
    exactly with ``torch.func`` (vmap of grad). Sampling B of the N examples without
    replacement then gives a mini-batch gradient whose expected squared distance from the
    full gradient is ``tr Sigma / B * (N - B) / (N - 1)``.
    """
    from torch.func import functional_call, grad, vmap

    params = {name: p.detach() for name, p in model.named_parameters()}
    loss_fn = nn.CrossEntropyLoss()

    def sample_loss(parameters, x, y):
        out = functional_call(model, parameters, (x.unsqueeze(0),))
        return loss_fn(out, y.unsqueeze(0))

    sample_grad = vmap(grad(sample_loss), in_dims=(None, 0, 0))
    total, total_sq = None, 0.0
    for start in range(0, len(train), chunk):
        grads = sample_grad(params, train.x[start:start + chunk], train.y[start:start + chunk])
        # Sums of many squares lose digits in float32; MPS has no float64, so sum on the CPU.
        flat = torch.cat([g.reshape(g.shape[0], -1) for g in grads.values()], dim=1).cpu().double()
        total = flat.sum(0) if total is None else total + flat.sum(0)
        total_sq += float((flat ** 2).sum())
    n = len(train)
    mean = total / n
    mean_sq = float(mean @ mean)
    return total_sq / n - mean_sq, mean_sq
