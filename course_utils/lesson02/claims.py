"""What the lesson's claims are computed from: the identity's tolerance, the trends of a
decomposition table and the landmarks of the double-descent curve.

The notebook and ``tests/test_bias_variance.py`` assert the claims on these numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# The sum bias^2 + variance + noise and the directly measured expected error may differ by
# Monte Carlo error only (the fresh test noise is random); we accept up to 2 % of the error.
IDENTITY_TOLERANCE = 0.02


@dataclass(frozen=True)
class Trends:
    """How the terms of a decomposition table change from the low end to the high end.

    ``bias2_fall`` is mean bias^2 over the lower half of the rows divided by that over the
    upper half (> 1: bias^2 falls); ``variance_rise`` the reverse ratio for the variance
    (> 1: variance rises). ``best`` is the row (degree or width) with the lowest expected
    error, ``end_ratio`` the lower of (error at either end) / (lowest error), and
    ``max_gap`` the largest |relative gap| of the identity.
    """

    bias2_fall: float
    variance_rise: float
    best: int
    end_ratio: float
    max_gap: float


def trends(table: pd.DataFrame, key: str = "degree") -> Trends:
    """The `Trends` of a table from `polynomial_bias_variance` or `network_bias_variance`."""
    half = len(table) // 2
    low, high = table.iloc[:half], table.iloc[-half:]
    error = table["expected_error"].to_numpy()
    return Trends(
        bias2_fall=float(low["bias2"].mean() / high["bias2"].mean()),
        variance_rise=float(high["variance"].mean() / low["variance"].mean()),
        best=int(table[key].iloc[int(np.argmin(error))]),
        end_ratio=float(min(error[0], error[-1]) / error.min()),
        max_gap=float(table["relative_gap"].abs().max()),
    )


def double_descent_summary(table: pd.DataFrame) -> dict[str, float]:
    """The averaged curve's landmarks: where it peaks (``peak_ratio`` = p / n), how high,
    how far it falls again by the largest ``p`` (``fall`` = peak / final error), where the
    fitted weights are largest (``norm_peak_ratio``) and the largest training error from
    ``p = n`` on (zero up to rounding: every such fit is exact)."""
    curve = table.groupby("n_features")["test_error"].mean()
    norms = table.groupby("n_features")["norm"].mean()
    n_train = int(table["n_train"].iloc[0])
    peak_p = int(curve.idxmax())
    under = curve[curve.index < n_train]
    return {"peak_features": peak_p, "peak_ratio": peak_p / n_train, "peak_error": float(curve.max()),
            "norm_peak_ratio": int(norms.idxmax()) / n_train,
            "final_error": float(curve.iloc[-1]), "fall": float(curve.max() / curve.iloc[-1]),
            "best_underparameterized": float(under.min()),
            "max_train_error_beyond_n": float(table.loc[table["n_features"] >= n_train, "train_error"].max())}
