"""Lesson 08's exercises, each with feedback (`EXERCISES["name"].check(answer)`)."""
from __future__ import annotations

import numpy as np

from ..exercises import function_exercise, multiple_choice, numeric


def heavy_ball_step(x, velocity, grad, lr, momentum):
    """Reference: one heavy-ball update as torch's SGD makes it; returns (new x, new velocity)."""
    velocity = momentum * velocity + grad
    return x - lr * velocity, velocity


# Typical mistakes, each paired with a hint that points at it without giving the answer.
def _wrong_sign(x, velocity, grad, lr, momentum):
    velocity = momentum * velocity + grad
    return x + lr * velocity, velocity


def _velocity_not_carried(x, velocity, grad, lr, momentum):
    return x - lr * grad, grad


def _old_velocity_used(x, velocity, grad, lr, momentum):
    return x - lr * (momentum * velocity), momentum * velocity + grad


def _dampened(x, velocity, grad, lr, momentum):
    velocity = momentum * velocity + (1 - momentum) * grad
    return x - lr * velocity, velocity


def _momentum_on_gradient(x, velocity, grad, lr, momentum):
    velocity = velocity + momentum * grad
    return x - lr * velocity, velocity


def _step_cases():
    """Random vectors and edge cases: zero momentum, a zero velocity, a scalar."""
    rng = np.random.default_rng()
    cases = [(rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(5),
              float(rng.uniform(0.01, 1)), float(rng.uniform(0.1, 0.99))) for _ in range(4)]
    cases.append((rng.standard_normal(3), np.zeros(3), rng.standard_normal(3), 0.1, 0.9))  # first step
    cases.append((rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3), 0.1, 0.0))
    cases.append((1.0, 0.5, -2.0, 0.3, 0.5))
    return cases


EXERCISES = {
    "heavy_ball_step": function_exercise(
        "Write `heavy_ball_step(x, velocity, grad, lr, momentum)`: one update of SGD with (heavy-ball) "
        "momentum, as `torch.optim.SGD` makes it. Return the new position and the new velocity, as a "
        "tuple `(x, velocity)`. The inputs are NumPy arrays (or numbers) of the same shape.",
        heavy_ball_step, _step_cases,
        mistakes=[
            (_wrong_sign, "Your step goes *uphill*: check the sign with which the velocity enters the new x."),
            (_velocity_not_carried, "Your velocity forgets the past: the new velocity should carry the old one "
                                    "(times the momentum) plus the new gradient. As written it is gradient descent."),
            (_old_velocity_used, "Update the velocity first, then move x with the *new* velocity (which already "
                                 "contains this step's gradient)."),
            (_dampened, "That is an average of gradients (Adam's beta1, or torch's dampening=1-β): torch's SGD "
                        "adds the full gradient to momentum × velocity, without the factor (1 - β)."),
            (_momentum_on_gradient, "The momentum multiplies the *old velocity*, not the new gradient."),
        ],
        explanation="velocity = momentum * velocity + grad, then x = x - lr * velocity. With momentum 0 it is "
                    "gradient descent; with a steady gradient the velocity grows to grad / (1 - momentum), "
                    "which is where the effective rate lr / (1 - momentum) comes from.",
    ),
    "stability_limit": numeric(
        "Heavy ball on a quadratic whose largest curvature is L = 4, with momentum β = 0.9. "
        "Up to which learning rate does it converge (the boundary value)?",
        0.95, rel_tol=0.02,
        hint_low="Too small: that looks like gradient descent's limit 2/L. Momentum moves the limit: "
                 "it is 2(1 + β)/L.",
        hint_high="Too large: compute 2(1 + β) first, then divide by L = 4.",
        explanation="2(1 + 0.9) / 4 = 0.95, almost twice gradient descent's 2/L = 0.5. Nesterov's limit is "
                    "lower: 2(1 + β)/((1 + 2β) L) = 0.34.",
    ),
    "effective_lr": numeric(
        "Plain SGD trains well at lr = 0.1. You switch on momentum β = 0.99 and want the same behaviour "
        "at small rates. Which learning rate do you start from?",
        0.001, rel_tol=0.05,
        hint_low="Too small: the effective rate is lr / (1 - β); solve lr / (1 - 0.99) = 0.1.",
        hint_high="Too large: with β = 0.99 the velocity builds up to 100 gradients, so divide by 1 / (1 - β) = 100.",
        explanation="lr = 0.1 × (1 - 0.99) = 0.001: the effective rate lr / (1 - β) is then 0.1 again. The two "
                    "hyperparameters are not independent: raise β and you must lower lr with it.",
    ),
    "adam_beta1": multiple_choice(
        "In Adam you raise beta1 from 0.9 to 0.99. Do you need to divide the learning rate by 10, as for "
        "SGD's momentum?",
        {"a": "Yes: beta1 is Adam's momentum, so the same effective-rate rule lr / (1 - beta1) applies.",
         "b": "No: Adam averages the gradients, m = beta1 m + (1 - beta1) g, so a steady gradient gives m = g "
              "whatever beta1; the step stays about lr.",
         "c": "No: Adam ignores beta1 once its bias correction has run.",
         "d": "Yes, and also multiply beta2 by 10."},
        correct="b",
        hints={"a": "Look at the constant-gradient figure: how large do Adam's steps get for each beta1?",
               "c": "The bias correction divides by (1 - beta1^t): it matters early, but beta1 still sets how "
                    "long the average remembers.",
               "d": "beta2 must stay below 1; and the constant-gradient figure shows no build-up for Adam."},
        explanation="Adam's first moment is an average, not a sum: the factor (1 - beta1) cancels the build-up "
                    "1 / (1 - beta1). beta1 changes how smooth the direction is, not the step size, so lr and "
                    "beta1 are far less entangled than lr and SGD's momentum.",
    ),
}
