"""Lesson 07's exercises, with feedback (`EXERCISES`)."""
from __future__ import annotations

import numpy as np

from ..exercises import Exercise, function_exercise, multiple_choice, numeric


def two_batch_b_simple(norm_sq_small: float, norm_sq_big: float, b_small: int, b_big: int) -> float:
    """B_simple from the mean squared gradient norms at a small and a big batch (McCandlish et al., appendix A)."""
    g_squared = (b_big * norm_sq_big - b_small * norm_sq_small) / (b_big - b_small)
    trace_sigma = (norm_sq_small - norm_sq_big) / (1 / b_small - 1 / b_big)
    return trace_sigma / g_squared


def _forgot_unbiasing(norm_sq_small, norm_sq_big, b_small, b_big):
    """Takes the big batch's norm as |G|^2, without removing its own noise."""
    trace_sigma = (norm_sq_small - norm_sq_big) / (1 / b_small - 1 / b_big)
    return trace_sigma / norm_sq_big


def _inverted(norm_sq_small, norm_sq_big, b_small, b_big):
    return 1 / two_batch_b_simple(norm_sq_small, norm_sq_big, b_small, b_big)


def _small_norm_as_noise(norm_sq_small, norm_sq_big, b_small, b_big):
    """Uses B_small |g_small|^2 as tr(Sigma): forgets that the small batch's norm also holds the signal."""
    g_squared = (b_big * norm_sq_big - b_small * norm_sq_small) / (b_big - b_small)
    return b_small * norm_sq_small / g_squared


def _cases():
    """Norms generated from a true |G|^2 and tr(Sigma), so that the answer is known; plus edge cases."""
    rng = np.random.default_rng()
    cases = []
    for _ in range(6):
        g2, trace = rng.uniform(0.1, 5), rng.uniform(1, 500)
        b_small, b_big = int(rng.integers(1, 64)), int(rng.integers(128, 4096))
        cases.append((g2 + trace / b_small, g2 + trace / b_big, b_small, b_big))
    cases.append((2.0 + 100 / 1, 2.0 + 100 / 2, 1, 2))  # neighbouring batch sizes
    cases.append((0.01 + 1000 / 8, 0.01 + 1000 / 64, 8, 64))  # noise dominates: B_simple = 100,000
    return cases


EXERCISES: dict[str, Exercise] = {
    "scale_the_rate": numeric(
        "You train with batches of 256 at a learning rate of 0.1. Your new GPU fits batches of 2048. Following the "
        "linear scaling rule (Goyal et al. 2017), what learning rate do you start from?",
        0.8, rel_tol=0.01,
        hint_low="The rule multiplies the rate by the same factor as the batch. By how much did the batch grow?",
        hint_high="Linear, not quadratic: the rate grows by the batch's factor, 2048 / 256.",
        explanation="2048 / 256 = 8, so 8 x 0.1 = 0.8. Then check, as section 4 did, that you are below the break "
                    "point: the rule keeps the noise lr / B constant, but nothing protects against a rate above "
                    "the stability limit set by the curvature of the loss; a warm-up or a smaller rate is the fix.",
    ),
    "which_axis": multiple_choice(
        "The article says: 'larger batch sizes tend to have low early losses, whereas the final loss values are "
        "low when the batch size is reduced.' On which x-axis did your run confirm both halves?",
        {"a": "epochs: the large batch is lower in the first epoch",
         "b": "updates: after the same number of updates the large batch is lower; the small batch ends lower "
              "because it makes many more updates in the same epochs",
         "c": "neither: small batches were lower everywhere"},
        correct="b",
        hints={"a": "Look at the left panel of section 3 again: which curve is lower after half an epoch?",
               "c": "Against epochs, yes. Now look at the middle panel, where each update is one step of the x-axis."},
        explanation="Against epochs, the small batch has made many more updates and is lower everywhere. Against "
                    "updates, the large batch's steps are better (less noisy, and with a scaled rate longer), so it "
                    "is lower at any given update count; the small batch ends lower only because the same epochs give "
                    "it more updates. An x-axis must be stated with every 'faster'.",
    ),
    "two_batch": function_exercise(
        "Write `b_simple(norm_sq_small, norm_sq_big, b_small, b_big)`: given the mean squared norm of mini-batch "
        "gradients at two batch sizes, return the estimate of B_simple = tr(Sigma) / |G|^2. Use "
        "E|g_B|^2 = |G|^2 + tr(Sigma) / B at both sizes: two equations, two unknowns.",
        two_batch_b_simple, _cases,
        mistakes=[(_forgot_unbiasing, "You used the big batch's squared norm as |G|^2. It still contains "
                                      "tr(Sigma) / B_big of noise: solve the two equations for |G|^2 too."),
                  (_inverted, "Your ratio is upside down: B_simple is the noise tr(Sigma) over the signal |G|^2."),
                  (_small_norm_as_noise, "B_small x |g_small|^2 is tr(Sigma) + B_small |G|^2, not tr(Sigma) alone: "
                                         "subtract the two equations to cancel |G|^2.")],
        explanation="Subtracting the equations cancels |G|^2 and gives tr(Sigma); weighting them by B cancels "
                    "tr(Sigma) and gives |G|^2. A data-parallel job gets both norms for free: each worker's gradient "
                    "is a small batch, their average a big one.",
    ),
    "critical_batch": numeric(
        "A run has S_min = 1000 updates and E_min = 200,000 examples, so B_crit = E_min / S_min = 200. By the "
        "paper's trade-off S = S_min (1 + B_crit / B), how many updates does training at B = 200 take?",
        2000, rel_tol=0.01,
        hint_low="At B = B_crit the bracket is 1 + 1: the run takes more than S_min updates.",
        hint_high="Put B = 200 into S_min (1 + B_crit / B): the bracket is 2.",
        explanation="S = 1000 x (1 + 1) = 2000 updates, and E = 2000 x 200 = 400,000 examples: twice the minimum of "
                    "both. At the critical batch you pay a factor 2 in time and a factor 2 in data; smaller batches "
                    "save data, larger ones save updates, with diminishing returns past B_crit.",
    ),
}
