"""Lesson 00's exercises, with feedback: `EXERCISES` and `worst_class_exercise`, checked against your run."""
from __future__ import annotations

import math

import numpy as np
from torch import nn

from ..data import CLASS_NAMES, Split
from ..exercises import Exercise, function_exercise, multiple_choice, numeric
from .experiments import per_class_accuracy


def worst_class_exercise(model: nn.Module, split: Split) -> Exercise:
    """'Which class does your model get wrong most often?', checked against this run."""

    def checker(answer) -> tuple[bool, str]:
        accuracy = per_class_accuracy(model, split)
        names = {name.lower(): name for name in accuracy.index}
        name = names.get(str(answer).strip().lower())
        if name is None:
            return False, f"Answer with one of the class names: {', '.join(CLASS_NAMES)}."
        if name == accuracy.idxmin():
            return True, (f"{name} is right only {100 * accuracy[name]:.0f}% of the time. Shirts, T-shirts, "
                          "pullovers and coats look alike at 28x28 pixels, so this is where a small model struggles.")
        return False, (f"Your model gets {100 * accuracy[name]:.0f}% of the {name} images right, and some class "
                       "does worse. The bar chart of per-class accuracy shows which.")

    return Exercise("Which class does your model get wrong most often? Answer with its name, e.g. `\"Bag\"`.", checker)


EXERCISES = {
    "chance": numeric(
        "A model that ignores the image and guesses a class at random: what accuracy (in %) does it get on "
        "Fashion-MNIST's balanced test set?",
        10.0, abs_tol=0.5,
        hint_low="Count the classes and how many images each has: how often is a blind guess right?",
        hint_high="Each class is one of several equally common ones. How often would a blind guess match?",
        explanation="Ten equally common classes, so a blind guess is right one time in ten. Any accuracy the "
                    "course reports is worth comparing with this 10% 'chance' level.",
    ),
    "updates": multiple_choice(
        "You double the batch size and keep everything else. What happens to the number of updates "
        "(optimizer steps) in one epoch?",
        {"a": "it doubles", "b": "it halves", "c": "it stays the same"},
        correct="b",
        hints={"a": "An epoch is one pass over all training images. How many images does each update use now?",
               "c": "Look at `history.steps`: one row per update. "
                    "How many rows would one epoch give with bigger batches?"},
        explanation="An epoch sees every image once; with batches twice as large it needs half as many steps. "
                    "Lesson 07 asks what that does to speed and to accuracy.",
    ),
}


# --------------------------------------------------------------------------- coding exercise

def updates_per_epoch(n_train: int, batch_size: int) -> int:
    """Optimizer steps in one epoch of ``n_train`` images, keeping the last, smaller batch (``fit``'s default)."""
    return math.ceil(n_train / batch_size)


def _updates_cases() -> list[tuple[int, int]]:
    rng = np.random.default_rng()
    fixed = [(60_000, 64), (500, 64), (1_000, 10), (7, 1), (5, 5), (65, 64), (10, 3)]
    return fixed + [(int(n), int(rng.integers(1, n + 1))) for n in rng.integers(1, 5_000, size=8)]


EXERCISES["updates_per_epoch_code"] = function_exercise(
    "Write `updates_per_epoch(n_train, batch_size)`: how many optimizer steps does one epoch make? "
    "`fit` walks through the shuffled training images in batches of `batch_size` and keeps the last "
    "batch even when it is smaller.",
    updates_per_epoch, _updates_cases,
    mistakes=[
        (lambda n_train, batch_size: n_train // batch_size,
         "You rounded down. When `batch_size` does not divide `n_train`, the images left over form one "
         "more, smaller batch, and it is an update too."),
        (lambda n_train, batch_size: n_train / batch_size,
         "Your answer is a fraction for some inputs. An update uses a whole batch: count batches, "
         "rounding the leftover images up to one more batch."),
        (lambda n_train, batch_size: n_train // batch_size + 1,
         "Off by one when `batch_size` divides `n_train` exactly: then there are no leftover images and "
         "no extra batch."),
    ],
    explanation="An epoch makes ceil(N / B) updates: `math.ceil(n_train / batch_size)`, or "
                "`-(-n_train // batch_size)` in integers. With `drop_last=True`, `fit` skips the short batch "
                "and makes N // B.",
)
