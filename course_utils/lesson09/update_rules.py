"""Three ways to decay, checked numerically on a tiny model in float64 on the CPU.

The update rules, for a weight ``w`` with loss gradient ``g`` (learning rate ``lr``, decay ``wd``):

- **L2 in the loss**: minimise ``loss + wd/2 * |w|^2``. Its gradient is ``g + wd * w``, and
  whatever the optimizer does with a gradient, it does with this one.
- **SGD's ``weight_decay``**: torch adds ``wd * w`` to the gradient before the step, so
  ``w <- w - lr * (g + wd * w)``: the same as L2 in the loss (with or without momentum).
- **Adam's ``weight_decay``**: also adds ``wd * w`` to the gradient, *before* the moments, so the
  decay is divided by ``sqrt(v_hat)`` like the gradient: L2, coupled to the adaptive scaling.
- **AdamW** (Loshchilov & Hutter 2019): ``w <- w - lr * wd * w - lr * m_hat / (sqrt(v_hat) + eps)``,
  where ``m_hat`` and ``v_hat`` see only the loss gradient: the decay is *decoupled*.

`compare_update_rules` trains copies of one tiny network for a few full-batch steps each way
and measures how far apart they end, relative to how far the weights moved.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import torch
from torch import nn

from ..training import make_optimizer
from ..validation import check_int, check_non_negative, check_positive

TINY_SHAPE = (6, 5, 3)  # inputs, hidden units, classes: small enough to run in milliseconds
TINY_SAMPLES = 32


def l2_penalty(params: Iterable[torch.Tensor], weight_decay: float) -> torch.Tensor:
    """``weight_decay / 2 * sum of squared parameters``: its gradient is ``weight_decay * w``."""
    check_non_negative("weight_decay", weight_decay)
    return 0.5 * weight_decay * sum((p ** 2).sum() for p in params)


def tiny_problem(seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A tanh MLP (6 -> 5 -> 3) in float64 and 32 random labelled inputs, all from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    n_in, n_hidden, n_out = TINY_SHAPE
    # float64 on the CPU (no device anywhere here): identities to 1e-10 need it, and MPS has no float64
    model = nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh(), nn.Linear(n_hidden, n_out)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64) * 0.5)  # on the CPU
    x = torch.randn(TINY_SAMPLES, n_in, generator=generator, dtype=torch.float64)  # CPU, like the model
    y = torch.randint(0, n_out, (TINY_SAMPLES,), generator=generator)
    return model, x, y


def _flat(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).clone()


def train_tiny(optimizer: str, weight_decay: float, *, penalty_in_loss: bool, lr: float = 0.1,
               momentum: float = 0.0, steps: int = 10, seed: int = 0) -> torch.Tensor:
    """Train the tiny model for ``steps`` full-batch steps; return its final parameters (flat).

    ``penalty_in_loss=True`` adds `l2_penalty` to the loss and builds the optimizer with
    ``weight_decay=0``; otherwise the optimizer's own ``weight_decay`` does the decaying.
    The optimizer comes from `make_optimizer`, so bad values raise its clear errors.
    """
    check_int("steps", steps, 1)
    check_non_negative("weight_decay", weight_decay)
    model, x, y = tiny_problem(seed)
    opt = make_optimizer(optimizer, model.parameters(), lr=lr, momentum=momentum,
                         weight_decay=0.0 if penalty_in_loss else weight_decay)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(model(x), y)
        if penalty_in_loss:
            loss = loss + l2_penalty(model.parameters(), weight_decay)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return _flat(model)


def sgd_by_hand(weight_decay: float, *, lr: float = 0.1, momentum: float = 0.0, steps: int = 10,
                seed: int = 0) -> torch.Tensor:
    """SGD with L2 written out: ``buf <- momentum * buf + g + wd * w``, ``w <- w - lr * buf``."""
    model, x, y = tiny_problem(seed)
    params = list(model.parameters())
    buffers = [torch.zeros_like(p) for p in params]
    for _ in range(steps):
        grads = torch.autograd.grad(nn.functional.cross_entropy(model(x), y), params)
        with torch.no_grad():
            for p, g, buf in zip(params, grads, buffers, strict=True):
                buf.mul_(momentum).add_(g + weight_decay * p)
                p.sub_(lr * buf)
    return _flat(model)


def adamw_by_hand(weight_decay: float, *, lr: float = 0.1, steps: int = 10, seed: int = 0,
                  betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> torch.Tensor:
    """AdamW written out: the moments see only the loss gradient; the decay ``lr * wd * w`` is separate."""
    model, x, y = tiny_problem(seed)
    params = list(model.parameters())
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    beta1, beta2 = betas
    for t in range(1, steps + 1):
        grads = torch.autograd.grad(nn.functional.cross_entropy(model(x), y), params)
        with torch.no_grad():
            for p, g, m_t, v_t in zip(params, grads, m, v, strict=True):
                m_t.mul_(beta1).add_((1 - beta1) * g)
                v_t.mul_(beta2).add_((1 - beta2) * g * g)
                m_hat, v_hat = m_t / (1 - beta1 ** t), v_t / (1 - beta2 ** t)
                p.sub_(lr * weight_decay * p + lr * m_hat / (v_hat.sqrt() + eps))
    return _flat(model)


def relative_difference(a: torch.Tensor, b: torch.Tensor, start: torch.Tensor) -> float:
    """``|a - b| / |a - start|``: how far two runs end apart, relative to how far the weights moved."""
    moved = float((a - start).norm())
    return float((a - b).norm()) / moved if moved > 0 else float((a - b).norm())


def compare_update_rules(lr: float = 0.1, weight_decay: float = 0.1, *, momentum: float = 0.9,
                         steps: int = 10, seed: int = 0) -> pd.DataFrame:
    """Each pair of update rules trained side by side; one row per comparison.

    Columns: ``comparison``, ``formula`` (what both sides compute), ``same`` (whether they
    should agree), ``relative_difference`` (`relative_difference` of the final weights).
    ``momentum`` is used by the SGD rows (torch adds the decay before the momentum buffer).
    """
    check_positive("lr", lr)
    check_positive("weight_decay", weight_decay)  # with 0 every rule agrees and nothing is tested
    check_int("steps", steps, 1)
    start = _flat(tiny_problem(seed)[0])
    common = {"lr": lr, "steps": steps, "seed": seed}
    sgd_loss = train_tiny("sgd", weight_decay, penalty_in_loss=True, momentum=momentum, **common)
    sgd_wd = train_tiny("sgd", weight_decay, penalty_in_loss=False, momentum=momentum, **common)
    sgd_hand = sgd_by_hand(weight_decay, momentum=momentum, **common)
    adam_loss = train_tiny("adam", weight_decay, penalty_in_loss=True, **common)
    adam_wd = train_tiny("adam", weight_decay, penalty_in_loss=False, **common)
    adamw = train_tiny("adamw", weight_decay, penalty_in_loss=False, **common)
    adamw_hand = adamw_by_hand(weight_decay, **common)
    rows = [
        ("SGD: L2 in the loss vs SGD(weight_decay)", "w <- w - lr (g + wd w)  [momentum: buf <- mu buf + g + wd w]",
         True, sgd_loss, sgd_wd),
        ("SGD(weight_decay) vs the formula by hand", "buf <- mu buf + g + wd w;  w <- w - lr buf",
         True, sgd_wd, sgd_hand),
        ("Adam: L2 in the loss vs Adam(weight_decay)", "g' = g + wd w goes into m and v: decay / sqrt(v_hat)",
         True, adam_loss, adam_wd),
        ("AdamW vs the formula by hand", "w <- w - lr wd w - lr m_hat / (sqrt(v_hat) + eps)", True, adamw, adamw_hand),
        ("AdamW vs Adam + L2 (same lr, same wd)", "decoupled vs coupled decay", False, adamw, adam_wd),
    ]
    return pd.DataFrame([{"comparison": name, "formula": formula, "same": same,
                          "relative_difference": relative_difference(a, b, start)}
                         for name, formula, same, a, b in rows])
