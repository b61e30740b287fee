"""Lesson 05's exercises, with feedback (`EXERCISES`), and the coding exercise's reference
`time_based_factor` (the factor LambdaLR needs for time-based decay)."""
from __future__ import annotations

import numpy as np

from ..exercises import function_exercise, multiple_choice, numeric

EXERCISES = {
    "largest_stable_lr": numeric(
        "Gradient descent on f(x) = L/2 x² with curvature L = 4. What is the largest learning rate "
        "for which the iterates still shrink towards 0 (the boundary value)?",
        0.5, rel_tol=0.02,
        hint_low="Below that value the iterates still shrink. Write one step as x <- (1 - lr L) x: "
                 "when does |1 - lr L| reach 1?",
        hint_high="At that rate |1 - lr L| is already above 1, so |x| grows. Solve |1 - lr L| = 1 for lr.",
        explanation="|1 - lr L| < 1 means 0 < lr < 2/L = 0.5. At exactly 0.5 the iterate bounces between "
                    "+x0 and -x0 forever; any larger rate diverges.",
    ),
    "which_regime": multiple_choice(
        "Same quadratic, now with L = 10 and lr = 0.15. What do the iterates do?",
        {"a": "shrink towards 0 without changing sign",
         "b": "flip sign every step while shrinking",
         "c": "flip sign every step while growing",
         "d": "jump to 0 in one step"},
        correct="b",
        hints={"a": "Compute lr x L. Is it below 1?",
               "c": "Compute 1 - lr L: is its size above 1?",
               "d": "That needs lr = 1/L exactly. Compare 0.15 with 1/10."},
        explanation="lr x L = 1.5 lies between 1 and 2: the factor 1 - lr L = -0.5 flips the sign and halves "
                    "the size at every step.",
    ),
    "time_based_decay": numeric(
        "A time-based decay lr(t) = lr0 / (1 + k t) with lr0 = 0.1 and k = 0.02. "
        "What is the learning rate after t = 200 updates?",
        0.02, rel_tol=0.01,
        hint_low="Too small: did you use an exponential (gamma^t) instead of 1/(1 + k t)?",
        hint_high="Too large: compute k t first, add 1, then divide lr0 by the result.",
        explanation="0.1 / (1 + 0.02 x 200) = 0.1 / 5 = 0.02. Time-based decay halves the rate after "
                    "1/k = 50 updates, then falls ever more slowly (like 1/t).",
    ),
    "sgd_default": multiple_choice(
        "In the comparison at torch's defaults, plain SGD lagged far behind Adam. What is the best explanation?",
        {"a": "SGD cannot train multi-layer networks; adaptive methods are needed",
         "b": "torch's default rate for SGD (1e-3) is far below the rates that work for plain SGD on this "
              "model, while the same number suits Adam",
         "c": "SGD needs more training data than Adam",
         "d": "the run diverged"},
        correct="b",
        hints={"a": "Look at the sweep: does SGD reach a low loss at some rate?",
               "c": "Both optimizers saw exactly the same data.",
               "d": "Check the table's diverged column for SGD."},
        explanation="Look at the sweep: SGD's good rates lie far above torch's default of 1e-3. A 'default' "
                    "rate is only a starting point; for plain SGD it must be tuned.",
    ),
}


# --------------------------------------------------------------------------- coding exercise

def time_based_factor(step: int, k: float) -> float:
    """What ``LambdaLR`` multiplies ``lr0`` by at ``step`` for time-based decay ``lr0 / (1 + k t)``."""
    return 1.0 / (1.0 + k * step)


def _time_based_cases() -> list[tuple[int, float]]:
    rng = np.random.default_rng()
    fixed = [(0, 0.01), (1, 0.01), (100, 0.01), (0, 2.0), (7, 0.5), (10_000, 1e-4)]
    steps, ks = rng.integers(0, 5_000, size=8), rng.uniform(1e-4, 0.1, size=8)
    return fixed + [(int(s), float(k)) for s, k in zip(steps, ks, strict=True)]


EXERCISES["time_based_lambda"] = function_exercise(
    "Write `time_based_factor(step, k)`, the function that `torch.optim.lr_scheduler.LambdaLR` needs for "
    "time-based decay, `lr_t = lr0 / (1 + k t)`. LambdaLR calls it with the number of optimizer steps "
    "taken so far (0 before the first step) and multiplies the optimizer's initial rate `lr0` by what it "
    "returns. Then `LambdaLR(optimizer, lambda step: time_based_factor(step, k))` is the schedule.",
    time_based_factor, _time_based_cases,
    mistakes=[
        (lambda step, k: 1.0 / (1.0 + k * (step + 1)),
         "Off by one step: the first step (step 0) must use the full rate lr0, so the factor at step 0 is 1."),
        (lambda step, k: (1.0 + k) ** -step,
         ("You divided by (1 + k) at every step: that compounds, which is exponential decay. Time-based decay "
          "divides lr0 once, by 1 + k t, so it falls much more slowly.")),
        (lambda step, k: 1.0 - k * step,
         ("That is a linear decay, which reaches 0 and then turns negative. Time-based decay divides: "
          "lr0 / (1 + k t).")),
    ],
    explanation="`1 / (1 + k * step)`: LambdaLR multiplies lr0 by it, so the rate halves after 1/k steps "
                "and keeps falling like 1/t. `course_utils.schedules.time_based_decay(k)` builds exactly this.",
)
