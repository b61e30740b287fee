"""Lesson 06's exercises, with feedback (`EXERCISES`), and the coding exercise's reference answer."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..exercises import function_exercise, multiple_choice, numeric

EXERCISES = {
    "ramp_factor": numeric(
        "An exponential ramp goes from 1e-7 to 10 in 100 steps (first and last included). "
        "By what factor does the learning rate grow from one step to the next?",
        10 ** (8 / 99), rel_tol=0.005,
        hint_low="Too small. Count the decades the ramp covers, and the number of *gaps* between 100 steps.",
        hint_high="Too large. 100 steps have 99 gaps between them; the ramp covers 8 decades in those gaps.",
        explanation="(10 / 1e-7) ** (1/99) = 10 ** (8/99), about 1.205: every step multiplies the rate by "
                    "about 1.2, so every decade gets about 12 steps.",
    ),
    "bias_correction": multiple_choice(
        "The moving average starts at 0. What would happen to the range test if it were *not* bias-corrected?",
        {"a": "Nothing visible: the correction only changes the last few steps.",
         "b": "The first smoothed values would be far below the real loss, the 'best' loss would be tiny, "
              "and the stopping rule would fire after a few steps while the loss is still flat.",
         "c": "The smoothed loss would overshoot the real loss at the start, so the test would never stop.",
         "d": "The suggestions would all move to larger learning rates, by a factor 1 / (1 - beta)."},
        correct="b",
        hints={"a": "Compute 1 - beta**t for beta = 0.98 and t = 1, 5, 50: where is the factor far from 1?",
               "c": "Starting from 0 and adding 2% of each loss: does the average start above or below the loss?",
               "d": "Look at the smoothing plot: which steps differ between the two averages?"},
        explanation="Without correction the average after t steps is only (1 - beta**t) of the loss: 2% "
                    "after one step. That tiny value becomes the best loss, and a few steps later the average "
                    "has grown past 4 x best: the test stops before it has tested anything.",
    ),
    "divergence_lr": numeric(
        "Least squares with the loss mean((x w - y)^2): the largest eigenvalue of x^T x / n is 2.5. "
        "Above which constant learning rate does full-batch gradient descent diverge?",
        0.4, rel_tol=0.01,
        hint_low="Too small. Did you stop at the rate that solves the top direction in one step (1/L)? "
                 "Divergence needs |1 - lr L| > 1.",
        hint_high="Too large. Differentiate the *squared* error twice: the Hessian is 2 x^T x / n, not x^T x / n.",
        explanation="The Hessian is H = 2 x^T x / n, so L = 5 and gradient descent diverges for lr > 2/L = 0.4 "
                    "(the factor 2 of the square and the 2 of 2/L cancel: lr > 1 / 2.5).",
    ),
    "stop_rate": multiple_choice(
        "A range test stopped (diverged) at lr = 2.7. Why not train at 2.7, or just below it?",
        {"a": "Because the test used a different batch size than training will.",
         "b": "Because the stop rate is where the loss was lowest, and the best rate is always 10 times lower.",
         "c": "Because the stop comes late: each loss is measured before its step, the average lags, and the "
              "ramp can pass the divergence point of a constant rate well before the loss visibly explodes.",
         "d": "You should: the stop rate is the largest stable rate and therefore the fastest."},
        correct="c",
        hints={"a": "The test can (and should) use the batch size you will train with. Look elsewhere.",
               "b": "The stop is where the smoothed loss exceeds 4 x its best, not where it is lowest.",
               "d": "Look at the least-squares experiment: where did the test stop, compared with 2/L?"},
        explanation="On least squares the test stopped about 10 times above 2/L (9.2 to 10.0 x on seeds 0-4), "
                    "the rate above which constant-rate training diverges. The stop is an upper bound, never a "
                    "rate to train at.",
    ),
}


def bias_corrected_average(losses: Sequence[float], beta: float) -> list[float]:
    """Exponential moving average of ``losses`` started at 0, divided by ``1 - beta ** t`` at step t = 1, 2, ..."""
    average, smoothed = 0.0, []
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        smoothed.append(average / (1 - beta ** t))
    return smoothed


def _smoothing_cases() -> list[tuple[list[float], float]]:
    rng = np.random.default_rng()
    cases = [([2.3], 0.98), ([2.3] * 20, 0.98), ([2.3, 1.0, 4.0], 0.0), ([1.0, 2.0, 3.0, 4.0], 0.5)]
    for n, beta in ((30, 0.9), (100, 0.98), (7, 0.6)):
        cases.append(((2.3 + rng.normal(0.0, 0.3, size=n)).tolist(), beta))
    return cases


def _no_correction(losses, beta):
    average, smoothed = 0.0, []
    for loss in losses:
        average = beta * average + (1 - beta) * loss
        smoothed.append(average)
    return smoothed


def _correction_one_step_late(losses, beta):
    average, smoothed = 0.0, []
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        smoothed.append(average / (1 - beta ** (t + 1)))
    return smoothed


def _weights_swapped(losses, beta):
    average, smoothed = 0.0, []
    for t, loss in enumerate(losses, start=1):
        average = (1 - beta) * average + beta * loss
        smoothed.append(average / (1 - beta ** t))
    return smoothed


EXERCISES["smoothing_code"] = function_exercise(
    "Write `bias_corrected_average(losses, beta)`, the range test's smoothing: an exponential moving average "
    "`average = beta * average + (1 - beta) * loss` that starts at 0, with the bias correction of section 4. "
    "Return the list of corrected averages, one per loss.",
    bias_corrected_average, _smoothing_cases,
    mistakes=[
        (_no_correction,
         "No bias correction: your first values are far below the losses, because the average starts at 0. "
         "Divide the average after t losses by the total weight it has received so far."),
        (_correction_one_step_late,
         "Off by one step in the correction: after the first loss the average holds a weight of (1 - beta) "
         "in total, so its first corrected value must be exactly the first loss."),
        (_weights_swapped,
         "The weights are swapped: with beta = 0.98 the average should keep 98% of its old value and take "
         "only 2% of the new loss."),
    ],
    explanation="After t losses the weights sum to 1 - beta^t, so `average / (1 - beta ** t)` is a true "
                "weighted mean from the first step on. `course_utils.lr_finder.MovingAverage` is this loop, one "
                "loss at a time.",
)
