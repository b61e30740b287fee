"""Lesson 09's exercises: two short functions to write, a number and a multiple choice.

`sgd_l2_step` and `adamw_step` are the references the function exercises check against;
the ``mistakes`` are the typical wrong versions, each with the hint it deserves.
"""
from __future__ import annotations

import numpy as np

from ..exercises import function_exercise, multiple_choice, numeric


def sgd_l2_step(w: np.ndarray, grad: np.ndarray, lr: float, weight_decay: float) -> np.ndarray:
    """One SGD step on ``loss + weight_decay / 2 * |w|^2``: the penalty adds ``weight_decay * w`` to the gradient."""
    return w - lr * (grad + weight_decay * w)


def adamw_step(w: np.ndarray, m_hat: np.ndarray, v_hat: np.ndarray, lr: float, weight_decay: float,
               eps: float = 1e-8) -> np.ndarray:
    """One AdamW step: the Adam direction ``m_hat / (sqrt(v_hat) + eps)`` plus a separate decay ``lr * wd * w``."""
    return w - lr * m_hat / (np.sqrt(v_hat) + eps) - lr * weight_decay * w


def _sgd_cases():
    rng = np.random.default_rng()
    cases = [(rng.normal(size=5), rng.normal(size=5), 0.1, 0.01),
             (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), 0.5, 0.2)]
    # edge cases: no decay (plain SGD), zero gradient (pure shrinking)
    return cases + [(np.array([1.0, -2.0]), np.array([0.3, 0.3]), 0.1, 0.0),
                    (np.array([1.0, -2.0]), np.zeros(2), 0.1, 0.5)]


def _adamw_cases():
    rng = np.random.default_rng()
    w = rng.normal(size=6)
    return [(w, rng.normal(size=6), rng.uniform(0.1, 2, size=6), 0.1, 0.3),
            (rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.uniform(1e-4, 1, size=(2, 3)), 0.01, 1.0),
            # edge cases: no decay (plain Adam); a zero direction (pure shrinking)
            (np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([0.25, 1.0]), 0.1, 0.0),
            (np.array([1.0, -2.0]), np.zeros(2), np.ones(2), 0.1, 0.5)]


EXERCISES = {
    "sgd_l2_step": function_exercise(
        "Write `my_sgd_l2_step(w, grad, lr, weight_decay)`: one step of plain SGD (no momentum) on the loss "
        "plus the penalty `weight_decay / 2 * sum(w ** 2)`, where `grad` is the gradient of the loss alone. "
        "Return the new weights (NumPy arrays in, a NumPy array out).",
        sgd_l2_step, _sgd_cases,
        mistakes=[
            (lambda w, grad, lr, weight_decay: w - lr * grad - weight_decay * w,
             "The decay term is missing a factor: the penalty's gradient is added to the loss gradient, and the "
             "*whole* gradient is multiplied by the learning rate."),
            (lambda w, grad, lr, weight_decay: w - lr * (grad + 2 * weight_decay * w),
             "Check the derivative of `weight_decay / 2 * w ** 2`: the 1/2 is there to cancel a 2."),
            (lambda w, grad, lr, weight_decay: w - lr * (grad - weight_decay * w),
             "Your decay pushes the weights away from zero: which sign makes `w` shrink?"),
            (lambda w, grad, lr, weight_decay: w - lr * grad,
             "That is plain SGD: where does the penalty enter?"),
        ],
        explanation="The penalty's gradient is `weight_decay * w`, so the step is `w - lr * (grad + weight_decay * w)` "
                    "= `(1 - lr * weight_decay) * w - lr * grad`: every step multiplies the weights by "
                    "`1 - lr * weight_decay` before the gradient step. That is what torch's SGD `weight_decay` does.",
    ),
    "adamw_step": function_exercise(
        "Write `my_adamw_step(w, m_hat, v_hat, lr, weight_decay, eps=1e-8)`: one AdamW update, given the "
        "bias-corrected moments `m_hat` and `v_hat` (computed from the loss gradient only).",
        adamw_step, _adamw_cases,
        mistakes=[
            (lambda w, m_hat, v_hat, lr, weight_decay, eps=1e-8:
             w - lr * m_hat / (np.sqrt(v_hat) + eps) - weight_decay * w,
             "The decay needs the learning rate too: torch's AdamW (and the schedule in Loshchilov & Hutter) "
             "multiplies it by `lr`, so the decay follows the schedule."),
            (lambda w, m_hat, v_hat, lr, weight_decay, eps=1e-8:
             w - lr * (m_hat + weight_decay * w) / (np.sqrt(v_hat) + eps),
             "You divided the decay by `sqrt(v_hat)`: that is Adam + L2, the coupled version AdamW was invented "
             "to avoid. Keep the decay outside the adaptive scaling."),
            (lambda w, m_hat, v_hat, lr, weight_decay, eps=1e-8:
             (w - lr * m_hat / (np.sqrt(v_hat) + eps)) * (1 - lr * weight_decay),
             "Close: you shrink the weights *after* the Adam step, so the step itself is shrunk too. AdamW shrinks "
             "the old weights `w`, then adds the Adam step."),
            (lambda w, m_hat, v_hat, lr, weight_decay, eps=1e-8:
             w - lr * m_hat / (np.sqrt(v_hat) + eps) + lr * weight_decay * w,
             "Your decay pushes the weights away from zero: check its sign."),
        ],
        explanation="`w - lr * m_hat / (sqrt(v_hat) + eps) - lr * weight_decay * w`: the adaptive step sees only "
                    "the loss gradient, and every weight shrinks by the same factor `1 - lr * weight_decay`, "
                    "whatever its gradient history. With Adam + L2, weights with a large `v_hat` would be decayed "
                    "less than the others.",
    ),
    "shrink_factor": numeric(
        "SGD without momentum, learning rate 0.1, weight decay 5e-4, and suppose the loss gradient of one "
        "weight is zero all along. After 1,000 steps, what fraction of its starting value is left (a number "
        "between 0 and 1)?",
        (1 - 0.1 * 5e-4) ** 1000, rel_tol=0.005,
        hint_low="Each step multiplies the weight by 1 - lr * wd. How small is lr * wd here?",
        hint_high="Each step multiplies the weight by (1 - lr * wd), and there are 1,000 of them: the factors "
                  "multiply. Is the decay multiplied by the learning rate?",
        explanation="(1 - 0.1 * 5e-4)^1000 = 0.951, about exp(-lr * wd * steps) = exp(-0.05). The decay's total "
                    "'dose' is lr x wd x steps: a value like 5e-4 that works over 100,000 steps on ImageNet barely "
                    "touches a run of a few hundred steps, which is what this lesson's Smith-grid runs showed.",
    ),
    "adam_l2": multiple_choice(
        "With Adam + L2 (torch's `Adam(weight_decay=...)`), which weights are decayed *least*, relative to "
        "AdamW with the same `lr` and `weight_decay`?",
        {"a": "weights whose loss gradient has been large (large v_hat)",
         "b": "weights whose loss gradient has been small (small v_hat)",
         "c": "all weights equally: Adam + L2 and AdamW are the same update",
         "d": "the biases, because torch never decays them"},
        correct="a",
        hints={"b": "In Adam + L2 the decay term wd * w is divided by sqrt(v_hat) like the gradient. Is dividing "
                    "by a small number a small or a large step?",
               "c": "Look at the check in section 2: AdamW and Adam + L2 ended far apart.",
               "d": "torch decays every parameter it is given, biases included, unless you put them in a "
                    "parameter group with weight_decay=0 (see `sgd_no_bias_decay`)."},
        explanation="Adam + L2 divides the decay by sqrt(v_hat): weights with a history of large gradients, often "
                    "the ones that most need regularizing, are decayed least. AdamW decays every weight at the "
                    "same rate lr * wd (Loshchilov & Hutter 2019).",
    ),
}
