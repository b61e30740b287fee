"""Argument checks with errors a learner can act on.

Each check raises ``ValueError`` naming the parameter, the value it got and the valid
range, e.g. ``lr must be a number > 0 (got -1)``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real


def check_positive(name: str, value) -> float:
    """``value`` must be a finite number > 0 (learning rates, scales)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0 (got {value!r})")
    return float(value)


def check_non_negative(name: str, value) -> float:
    """``value`` must be a finite number >= 0 (weight decay, noise levels)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (got {value!r})")
    return float(value)


def check_int(name: str, value, low: int, high: int | None = None, why: str = "") -> int:
    """``value`` must be an integer in ``[low, high]`` (``high=None``: no upper bound)."""
    valid = f"[{low}, {high}]" if high is not None else f">= {low}"
    reason = f" ({why})" if why else ""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer {valid}{reason} (got {value!r})")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer in {valid}{reason} (got {value!r})")
    return int(value)


def check_fraction(name: str, value, *, include_one: bool = True) -> float:
    """``value`` must lie in ``[0, 1]`` (or ``[0, 1)`` with ``include_one=False``)."""
    high_ok = (lambda v: v <= 1) if include_one else (lambda v: v < 1)
    interval = "[0, 1]" if include_one else "[0, 1)"
    if isinstance(value, bool) or not isinstance(value, Real) or not (0 <= value and high_ok(value)):
        raise ValueError(f"{name} must be a number in {interval} (got {value!r})")
    return float(value)


def check_choice(name: str, value, choices: Iterable[str]) -> str:
    """``value`` must be one of ``choices`` (case-insensitive)."""
    choices = list(choices)
    key = value.lower() if isinstance(value, str) else value
    if key not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))} (got {value!r})")
    return key
