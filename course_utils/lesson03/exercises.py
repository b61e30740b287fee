"""Lesson 03's exercises, with feedback (`EXERCISES`), and the coding exercise on patience."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..exercises import function_exercise, multiple_choice, numeric

EXERCISES = {
    "diagnose": multiple_choice(
        "A network reaches 99% training accuracy and 78% validation accuracy, and its validation "
        "loss has been rising for ten epochs. Which change is *least* likely to help?",
        {"a": "collect more training data", "b": "stop training at the best validation epoch",
         "c": "make the network wider", "d": "add weight decay"},
        correct="c",
        hints={"a": "More data makes memorizing harder and the gap shrinks: this usually helps.",
               "b": "Look at the label-noise experiment: what did stopping at the best validation epoch do?",
               "d": "A penalty on large weights limits what the network can memorize: it usually helps. "
                    "Which option adds capacity instead?"},
        explanation="The model already fits its training set almost perfectly; what it lacks is "
                    "generalization, not capacity. Widening gives it more room to memorize (in the sweep, "
                    "extra width raised training accuracy and the gap, not test accuracy).",
    ),
    "noise_ceiling": numeric(
        "40% of the training labels are replaced by a wrong class. A network that predicts the *true* "
        "class of every training image, and has memorized none of the wrong labels, reaches what training "
        "accuracy (in %) as measured against the noisy labels?",
        60.0, abs_tol=0.5,
        hint_low="Which training images does this network get 'right' when the noisy labels are the yardstick?",
        hint_high="Every relabelled image now carries a wrong class: can a network that predicts the true "
                  "class score on those?",
        explanation="Only the 60% of images that kept their label count as correct. Training accuracy above "
                    "this line (the grey line in the plot) can only come from memorizing wrong labels.",
    ),
    "learned_first": multiple_choice(
        "In the label-noise run, which training images does the network fit first?",
        {"a": "the relabelled ones: they stand out, so the loss on them is largest",
         "b": "the clean ones: their labels agree with similar images, so one rule fits many",
         "c": "both at the same rate: gradient descent does not know which labels are wrong",
         "d": "neither: training accuracy stays flat until the very end"},
        correct="b",
        hints={"a": "Compare the two curves in the right-hand plot during the first few epochs.",
               "c": "It does not know, yet the right-hand plot shows two very different curves. Why might "
                    "a pattern shared by many images be learned faster than an exception?",
               "d": "Look at the training-accuracy curve in the left-hand plot during the first epochs."},
        explanation="Clean labels share patterns, so each gradient step improves many of them at once; a "
                    "wrong label is an exception that must be memorized one image at a time. This is the "
                    "observation of Arpit et al. (2017), and why early stopping works against label noise.",
    ),
}


# --------------------------------------------------------------------------- coding exercise

def best_epoch_with_patience(val_acc: Sequence[float], patience: int) -> int:
    """The epoch whose weights early stopping keeps: stop once ``patience`` epochs in a row have not
    beaten the best validation accuracy (a tie does not count as better), then return the best epoch."""
    best = 0
    for epoch in range(1, len(val_acc)):
        if val_acc[epoch] > val_acc[best]:
            best = epoch
        elif epoch - best >= patience:
            break  # training stops here: the later epochs are never seen
    return best


def _patience_cases() -> list[tuple[list[float], int]]:
    rng = np.random.default_rng()
    cases = [([0.5], 3), ([0.1, 0.2, 0.3, 0.4], 1), ([0.5, 0.5, 0.5, 0.9], 2), ([0.1, 0.6, 0.5, 0.4, 0.9], 2),
             ([0.1, 0.6, 0.5, 0.4, 0.9], 3), ([0.3, 0.7, 0.7, 0.2, 0.8], 1)]
    for _ in range(10):
        curve = np.round(0.5 + np.cumsum(rng.normal(0.0, 0.05, size=int(rng.integers(5, 30)))), 2)
        cases.append((curve.tolist(), int(rng.integers(1, 6))))
    return cases


def _argmax_everything(val_acc, patience):
    return int(np.argmax(val_acc))


def _ties_count(val_acc, patience):
    best = 0
    for epoch in range(1, len(val_acc)):
        if val_acc[epoch] >= val_acc[best]:
            best = epoch
        elif epoch - best >= patience:
            break
    return best


def _one_epoch_late(val_acc, patience):
    best = 0
    for epoch in range(1, len(val_acc)):
        if val_acc[epoch] > val_acc[best]:
            best = epoch
        elif epoch - best > patience:
            break
    return best


EXERCISES["patience"] = function_exercise(
    "Write `best_epoch_with_patience(val_acc, patience)`: `val_acc[e]` is the validation accuracy after epoch "
    "`e` (epoch 0: before training). Early stopping watches these numbers one epoch at a time and stops "
    "training as soon as `patience` epochs in a row have not beaten the best accuracy so far (equal is not "
    "better). Return the epoch whose weights it keeps: the best one seen before it stopped.",
    best_epoch_with_patience, _patience_cases,
    mistakes=[
        (_argmax_everything,
         "You looked at every epoch. Early stopping ends training when patience runs out: it never sees "
         "the epochs after that, even if one of them would have been better."),
        (_ties_count,
         "You counted a tie as an improvement. Only a strictly higher accuracy resets the patience (and the "
         "first epoch with the best accuracy is the one kept)."),
        (_one_epoch_late,
         "Off by one epoch: you stop only after `patience + 1` epochs without improvement. With "
         "`patience=1`, training stops at the first epoch that does not improve."),
    ],
    explanation="Keep the index of the best epoch so far; at each later epoch either it improves (strictly) "
                "or, once `epoch - best >= patience`, training stops. `EarlyStoppingMonitor` keeps the same "
                "first-best epoch with the whole run seen, which is patience equal to the number of epochs.",
)
