"""Lesson 01's exercises, with feedback: `EXERCISES`, `gap_reading_exercise` on the learner's own
sweep, and the coding exercise's reference `accuracy`."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..exercises import Exercise, function_exercise, multiple_choice, numeric
from ..models import count_parameters, mlp


def _parameters_of_lesson_mlp() -> float:
    return float(count_parameters(mlp(1024, 1)))


EXERCISES: dict[str, Exercise] = {
    "parameters": numeric(
        "How many trainable parameters does `mlp(width=1024, depth=1)` have? It flattens a "
        "28×28 image, has one hidden layer of 1024 units and 10 outputs (count weights and biases).",
        _parameters_of_lesson_mlp,
        rel_tol=0.001,
        hint_low="Too low. Did you count both layers, and a bias for every unit (hidden and output)?",
        hint_high="Too high. There is one hidden layer only: inputs → 1024 units → 10 classes.",
        explanation="784·1024 + 1024 weights and biases into the hidden layer, 1024·10 + 10 out of it: "
                    "814,090 numbers to fit a few hundred images, thousands per image. Room enough "
                    "to store the answers instead of a rule.",
    ),
    "what_random_labels_show": multiple_choice(
        "The network reached (nearly) 100 % training accuracy on shuffled labels. What does that tell you?",
        {
            "a": "The network learned something about clothes that transfers to new images.",
            "b": "Training accuracy alone cannot tell memorizing from learning: measure on held-out data.",
            "c": "Shuffled labels are easier to learn than true labels.",
            "d": "The test set must be mislabelled.",
        },
        correct="b",
        hints={
            "a": "Look at the test curve of the shuffled run: does it ever leave chance level?",
            "c": "Compare how many epochs each run needed to reach 95 % training accuracy.",
            "d": "The same test set gave a high accuracy to the network trained on true labels.",
        },
        explanation="With shuffled labels there is nothing to learn, yet training accuracy reached the "
                    "same level: this capacity to memorize is why only a held-out set can measure "
                    "generalization (Zhang et al., 2017).",
    ),
    "shrink_the_gap": multiple_choice(
        "The article's model scores 99 % on its 10,000 training images and 50 % on new ones. Which "
        "single change do this lesson's measurements support to shrink that gap?",
        {
            "a": "Train for more epochs.",
            "b": "Collect more labelled training images.",
            "c": "Use a wider network.",
            "d": "Report the training accuracy instead.",
        },
        correct="b",
        hints={
            "a": "Training accuracy is already 99 %: what would more epochs on the same images add?",
            "c": "Width gave the network its capacity to memorize; does more of it help here?",
            "d": "That hides the gap, it does not shrink it.",
        },
        explanation="In the size sweep the gap fell as the training set grew, while training accuracy "
                    "stayed high. Other remedies (a smaller network, early stopping, weight decay) are "
                    "measured in lessons 03 and 09.",
    ),
}


def gap_reading_exercise(table: pd.DataFrame) -> Exercise:
    """A numeric exercise on the learner's own sweep: read the gap at the largest size."""
    largest = int(table["n_train"].iloc[-1])
    return numeric(
        f"Read it off your plot: how large (in accuracy points) is the train/test gap with {largest:,} "
        "training images? An answer within 2 points counts.",
        lambda: 100 * float(table["gap"].iloc[-1]),
        abs_tol=2.0,
        hint_low="Too low: use the right-hand panel, at the rightmost point.",
        hint_high="Too high: that may be the gap of a smaller set; use the rightmost point.",
        explanation="That is the gap that is left with the most data in this run; compare it with the "
                    "leftmost point.",
    )


# --------------------------------------------------------------------------- coding exercise

def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of rows of ``logits`` (n, classes) whose largest entry is at the true label."""
    return float((logits.argmax(dim=1) == labels).float().mean())


def _accuracy_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(int(np.random.default_rng().integers(2**31)))
    cases = []
    for n in (1, 7, 50, 333):
        logits = torch.randn(n, 10, generator=generator)
        labels = torch.randint(0, 10, (n,), generator=generator)
        cases.append((logits, labels))
    logits = torch.randn(20, 10, generator=generator)
    cases.append((logits, logits.argmax(dim=1)))              # all right
    cases.append((logits, (logits.argmax(dim=1) + 1) % 10))   # all wrong
    return cases


EXERCISES["accuracy"] = function_exercise(
    "Write `accuracy(logits, labels)`: `logits` is a tensor of shape (n, 10), one row of class scores per "
    "image (what the model outputs), `labels` a tensor of n true classes. Return the fraction of images "
    "(a number between 0 and 1) whose highest score is at the true class. This is the number behind every "
    "training and test accuracy in this lesson.",
    accuracy, _accuracy_cases,
    mistakes=[
        (lambda logits, labels: float((logits.argmax(dim=1) == labels).sum()),
         "You returned a count of correct images. Accuracy is a fraction: divide by the number of images."),
        (lambda logits, labels: float((logits.argmax(dim=1) == labels).float().mean()) * 100,
         "You returned a percentage. Return the fraction between 0 and 1 (the notebook formats it as %)."),
        (lambda logits, labels: float((logits.argmax(dim=1) != labels).float().mean()),
         "You returned the error rate: the fraction of images predicted wrongly. Count the right ones."),
    ],
    explanation="`(logits.argmax(dim=1) == labels).float().mean()`: the predicted class is the index of the "
                "largest score in each row (dim=1, across the classes), compared with the labels and averaged.",
)
