"""Lesson 04's claims: the numbers behind each comparison, and the tables that show them.

- `variant_claims` / `variant_table`: the three variants' full training loss per epoch, per
  update and per second (claims 1-3), and their seconds per epoch; `lowest_variant` names the
  variant ahead on one of these comparisons;
- `trajectory_claims` / `trajectory_table`: on the 2-D problem, each variant's excess loss
  above the minimum after a few and after many epochs (claim 5).

The notebook's assert cells state the thresholds; the tests check the same ones over seeds.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..batch_runs import VariantRun
from ..toy_regression import LrRule, Regression2D, constant_lr, trace_2d
from ..validation import check_choice, check_int

VARIANT_KEYS = {"full batch": "full", "mini-batch": "mini", "stochastic": "sgd"}  # prefixes of the claims' keys


def variant_claims(runs: dict[str, VariantRun], at_epoch: int | None = None) -> dict[str, float]:
    """The numbers behind the lesson's three comparisons.

    - per epoch: loss after ``at_epoch`` epochs (default: the shortest run's last epoch);
    - per update: loss after as many updates as the full-batch run made;
    - per second: loss of each run at the moment ``at_seconds`` when the first run stops
      (``*_seconds_loss``), and averaged over the second half of that time, from
      ``at_seconds / 2`` to ``at_seconds`` (``*_window_loss``), which is less at the mercy
      of one noisy point of the stochastic curve;
    - per second at typical speed (``*_typical_loss``, what the claim judges): the same
      average, on a clock where every update of a run costs that run's median time per
      update (``*_seconds_per_update``), from ``at_typical / 2`` to ``at_typical``. Another
      program that holds the CPU for a moment stretches a few updates of one run and can
      move the measured curves past each other on a short run; it cannot move a median.
    """
    full, mini, sgd = runs["full batch"], runs["mini-batch"], runs["stochastic"]
    diverged = [name for name, run in runs.items() if run.history.diverged]
    if diverged:
        raise ValueError(f"cannot compare: {', '.join(diverged)} diverged (try a smaller lr)")
    at_epoch = at_epoch or min(int(run.curve["epoch"].iloc[-1]) for run in runs.values())
    at_updates = int(full.curve["updates"].iloc[-1])
    at_seconds = min(run.curve["seconds"].iloc[-1] for run in runs.values())
    at_typical = min(run.curve["updates"].iloc[-1] * run.median_seconds_per_update for run in runs.values())
    claims = {"at_epoch": at_epoch, "at_updates": at_updates, "at_seconds": float(at_seconds),
              "at_typical": float(at_typical)}
    for key, run in (("full", full), ("mini", mini), ("sgd", sgd)):
        per_update = run.median_seconds_per_update
        claims[f"{key}_seconds_per_update"] = per_update
        claims[f"{key}_typical_loss"] = float(np.mean([run.loss_at("updates", t / per_update)
                                                      for t in np.linspace(at_typical / 2, at_typical, 64)]))
        claims[f"{key}_epoch_loss"] = run.loss_at("epoch", at_epoch)
        claims[f"{key}_update_loss"] = run.loss_at("updates", at_updates)
        claims[f"{key}_seconds_loss"] = run.loss_at("seconds", at_seconds)
        claims[f"{key}_window_loss"] = run.mean_loss_between("seconds", at_seconds / 2, at_seconds)
        claims[f"{key}_seconds_per_epoch"] = run.seconds_per_epoch
    return claims


def variant_table(claims: dict[str, float]) -> pd.DataFrame:
    """`variant_claims` as a table: one row per variant, one column per comparison (labelled)."""
    at_epoch, at_updates, at_seconds = claims["at_epoch"], claims["at_updates"], claims["at_seconds"]
    columns = {
        f"loss after {at_epoch:g} epochs": "epoch_loss",
        f"loss after {at_updates:g} updates": "update_loss",
        f"loss at {at_seconds:.2f} s": "seconds_loss",
        f"mean loss {at_seconds / 2:.2f}-{at_seconds:.2f} s": "window_loss",
        f"same, at typical speed {claims['at_typical'] / 2:.2f}-{claims['at_typical']:.2f} s": "typical_loss",
        "seconds per epoch": "seconds_per_epoch",
    }
    rows = {"full batch": "full", "mini-batch": "mini", "stochastic (B=1)": "sgd"}
    table = pd.DataFrame({label: [claims[f"{key}_{suffix}"] for key in rows.values()]
                          for label, suffix in columns.items()}, index=list(rows))
    table.index.name = "variant"
    return table.round(4)


def lowest_variant(claims: dict[str, float], comparison: str,
                   among: Sequence[str] = ("full batch", "mini-batch", "stochastic")) -> str:
    """The variant (of those in ``among``) with the lowest loss in one comparison of `variant_claims`.

    ``comparison``: ``"epoch"``, ``"update"``, ``"seconds"``, ``"window"`` or ``"typical"`` (the
    part of the claims' keys before ``_loss``).
    """
    comparison = check_choice("comparison", comparison, ("epoch", "update", "seconds", "window", "typical"))
    names = [check_choice("among", name, VARIANT_KEYS) for name in among]
    return min(names, key=lambda name: claims[f"{VARIANT_KEYS[name]}_{comparison}_loss"])


def trajectory_claims(problem: Regression2D, *, lr: float, epochs: int, minibatch_size: int,
                      long_epochs: int, seed: int = 0, lr_at: LrRule = constant_lr) -> dict[str, float]:
    """Excess loss (above the minimum) of each variant, averaged over the updates of its last epoch.

    ``*_excess`` after ``epochs`` epochs (the per-epoch comparison), ``*_long_excess``
    after ``long_epochs`` (does it settle at the minimum?). Averaging over the last epoch
    rather than taking the end point keeps one lucky or unlucky step of a noisy path
    from deciding; for full batch the last epoch is its single last update. ``lr_at``: the
    rule that sets each update's rate (see `trace_2d`).
    """
    best = float(problem.loss(*problem.minimum()))
    n = len(problem.x)
    check_int("long_epochs", long_epochs, 1)
    claims = {}
    for key, b in (("full", n), ("mini", minibatch_size), ("sgd", 1)):
        for suffix, n_epochs in (("excess", epochs), ("long_excess", long_epochs)):
            path = trace_2d(problem, batch_size=b, lr=lr, epochs=n_epochs, seed=seed, lr_at=lr_at)
            last_epoch = path[-math.ceil(n / b):]
            claims[f"{key}_{suffix}"] = float(np.mean(problem.loss(last_epoch[:, 0], last_epoch[:, 1]))) - best
    return claims


def trajectory_table(claims: dict[str, float], epochs: int, long_epochs: int) -> pd.DataFrame:
    """`trajectory_claims` as a table: excess loss (above the minimum) of each variant, per budget."""
    rows = {"full batch": "full", "mini-batch": "mini", "stochastic (B=1)": "sgd"}

    def two_digits(value: float) -> float:  # the excess losses span many decades: significant digits, not decimals
        return float(f"{value:.2g}")

    table = pd.DataFrame({
        f"excess loss after {epochs} epochs": [two_digits(claims[f"{key}_excess"]) for key in rows.values()],
        f"excess loss after {long_epochs} epochs": [two_digits(claims[f"{key}_long_excess"]) for key in rows.values()],
    }, index=list(rows))
    table.index.name = "variant"
    return table
