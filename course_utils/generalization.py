"""Lesson 01, generalization: memorizing versus learning, measured on Fashion-MNIST.

Three experiments, each a plain function that the notebook calls and the tests repeat
with several seeds:

- `train_wide_mlp` trains one wide MLP on a small training subset and measures training
  and test accuracy (the article's opening scenario: near-perfect on the training set,
  much worse on new images). With ``shuffled_fraction=1`` the same network is trained on
  randomly shuffled labels (Zhang et al. 2017): it still fits them, while test accuracy
  stays at chance.
- `size_sweep` repeats the training for several training-set sizes and tabulates the
  train/test gap, which shrinks as the set grows.
- `explore_generalization` (with `explore_generalization_panel`) is the slider version.

Plots return figures built with `course_utils.plots.new_figure`; `EXERCISES` holds the
lesson's exercises with automatic feedback.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from .config import seed_everything
from .data import N_TEST_FULL, N_TRAIN_FULL, Split, fashion_mnist, shuffle_labels
from .exercises import Exercise, function_exercise, multiple_choice, numeric
from .models import count_parameters, mlp
from .plots import new_figure
from .training import History, evaluate, fit
from .validation import check_fraction, check_int, check_positive
from .widgets import float_slider, int_slider, slider_panel

N_CLASSES = 10
CHANCE_ACCURACY = 1 / N_CLASSES  # guessing among 10 balanced classes
# The lesson's claims, shared by the notebook's asserts and the tests (fractions, not %).
MIN_TRAIN_ACC_TRUE = 0.98       # "about 100 %" training accuracy on true labels
MIN_GAP_SMALL_SET = 0.10        # the train/test gap on a small subset, at least 10 points
MIN_TRAIN_ACC_SHUFFLED = 0.95   # shuffled labels are fitted too
CHANCE_TOLERANCE = 0.06         # test accuracy on shuffled labels within 10 +/- 6 points
MIN_GAP_DROP = 0.05             # gap(smallest set) - gap(largest set), at least 5 points
MAX_GAP_TREND = -1.0            # gap slope against log2(size), points per doubling
TRAIN_COLOUR, TEST_COLOUR = "#0173b2", "#de8f05"  # seaborn "colorblind" blue and orange


@dataclass
class GeneralizationRun:
    """What one training run measured.

    ``train_acc`` is measured on the labels the network was trained on (shuffled ones, if
    any); ``test_acc`` on untouched test images with their true labels.
    """

    history: History
    n_train: int
    n_parameters: int
    shuffled_fraction: float
    train_acc: float
    test_acc: float

    @property
    def gap(self) -> float:
        """Training accuracy minus test accuracy (a fraction; x100 for points)."""
        return self.train_acc - self.test_acc


def shuffle_some_labels(y: torch.Tensor, fraction: float, *, seed: int = 0) -> torch.Tensor:
    """A copy of ``y`` where a random ``fraction`` of the labels are shuffled among themselves.

    ``fraction=1`` is `course_utils.data.shuffle_labels` (no label is tied to its image any
    more); ``fraction=0`` returns the labels unchanged. The class counts never change.
    """
    check_fraction("fraction", fraction)
    n_shuffled = round(fraction * len(y))
    if n_shuffled < 2:
        return y.clone()
    generator = torch.Generator().manual_seed(seed + 3)
    # Sorted, so that with fraction=1 the result is exactly shuffle_labels(y).
    chosen = torch.randperm(len(y), generator=generator)[:n_shuffled].sort().values.to(y.device)
    mixed = y.clone()
    mixed[chosen] = shuffle_labels(y[chosen], seed=seed)
    return mixed


def train_wide_mlp(
    n_train: int,
    epochs: int,
    *,
    shuffled_fraction: float = 0.0,
    n_test: int = 1_000,
    width: int = 1024,
    depth: int = 1,
    lr: float = 1e-3,
    batch_size: int = 32,
    track_test: bool = True,
    progress: bool | None = None,
    seed: int = 0,
) -> GeneralizationRun:
    """Train a wide MLP with Adam on ``n_train`` Fashion-MNIST images and measure the gap.

    ``shuffled_fraction`` of the training labels are shuffled first (see
    `shuffle_some_labels`); the test labels are always the true ones. With
    ``track_test=True`` test accuracy is measured after every epoch (for learning
    curves); otherwise only once at the end, which is cheaper. ``progress``: show a
    progress bar (default: as `fit` decides, i.e. not in the smoke profile).
    """
    check_int("batch_size", batch_size, 1)
    check_int("n_train", n_train, batch_size, N_TRAIN_FULL, "at least one batch, at most the 60,000 training images")
    check_int("epochs", epochs, 1)
    check_fraction("shuffled_fraction", shuffled_fraction)
    check_int("n_test", n_test, 100, N_TEST_FULL, "enough test images to measure accuracy")
    check_positive("lr", lr)
    data = fashion_mnist(n_train, n_test=n_test, seed=seed)
    train = Split(data.train.x, shuffle_some_labels(data.train.y, shuffled_fraction, seed=seed))
    seed_everything(seed)
    model = mlp(width, depth)
    history = fit(model, train, val=data.test if track_test else None, epochs=epochs, lr=lr,
                  optimizer="adam", batch_size=batch_size, seed=seed, progress=progress)
    _, test_acc = evaluate(model, data.test)
    return GeneralizationRun(history=history, n_train=n_train, n_parameters=count_parameters(model),
                             shuffled_fraction=shuffled_fraction,
                             train_acc=history.final("train_acc"), test_acc=test_acc)


def size_sweep(
    sizes: Sequence[int],
    epochs: int,
    *,
    n_test: int = 1_000,
    seed: int = 0,
    **training,
) -> pd.DataFrame:
    """Train the same network on growing training sets, each for ``epochs`` epochs.

    Returns one row per size: ``n_train``, ``epochs``, and ``train_acc``, ``test_acc`` and
    ``gap`` (fractions). ``training`` passes on to `train_wide_mlp` (width, lr, batch_size, ...).
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must hold at least 2 training-set sizes (got {sizes!r})")
    if sorted(set(sizes)) != sizes:
        raise ValueError(f"sizes must be distinct and increasing (got {sizes!r})")
    rows = []
    for n_train in sizes:
        run = train_wide_mlp(n_train, epochs, n_test=n_test, seed=seed, track_test=False, **training)
        rows.append({"n_train": n_train, "epochs": epochs, "train_acc": run.train_acc, "test_acc": run.test_acc,
                     "gap": run.gap})
    return pd.DataFrame(rows)


def epochs_to_reach(history: History, level: float, column: str = "train_acc") -> int | None:
    """The first epoch at which ``column`` reaches ``level`` (``None`` if it never does)."""
    check_fraction("level", level)
    reached = history.epochs.loc[history.epochs[column] >= level, "epoch"]
    return int(reached.iloc[0]) if len(reached) else None


def gap_trend(table: pd.DataFrame) -> float:
    """Least-squares slope of the gap against log2(training-set size).

    In accuracy points per doubling of the data; negative means the gap shrinks.
    """
    slope, _ = np.polyfit(np.log2(table["n_train"]), 100 * table["gap"], 1)
    return float(slope)


# --------------------------------------------------------------------------- plots

def _accuracy_panel(ax, run: GeneralizationRun, title: str) -> None:
    """Training and test accuracy per epoch, chance level, and the final gap."""
    frame = run.history.epochs
    ax.plot(frame["epoch"], 100 * frame["train_acc"], "-o", markersize=3, color=TRAIN_COLOUR,
            label="training set (the labels it trained on)")
    if frame["val_acc"].notna().any():
        ax.plot(frame["epoch"], 100 * frame["val_acc"], "-s", markersize=3, color=TEST_COLOUR,
                label="test set (new images, true labels)")
    ax.axhline(100 * CHANCE_ACCURACY, color="grey", linestyle=":", label="chance (10 %)")
    last = frame["epoch"].iloc[-1]
    ax.annotate("", xy=(last, 100 * run.test_acc), xytext=(last, 100 * run.train_acc),
                arrowprops={"arrowstyle": "<->", "color": "black"})
    ax.text(last, 100 * (run.train_acc + run.test_acc) / 2, f" gap\n {100 * run.gap:.0f} pts",
            va="center", ha="left", fontsize="small")
    ax.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 105), xlim=(0, last * 1.15), title=title)


def plot_train_test(run: GeneralizationRun, *, title: str = "") -> Figure:
    """Accuracy on the training set and on the test set, epoch by epoch."""
    fig, ax = new_figure(width=6.5, height=4.0)
    _accuracy_panel(ax, run, title or f"{run.n_train} training images, {run.n_parameters:,} parameters")
    # Below the axes: inside, it would hide a curve or the gap's label in some runs.
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    return fig


def plot_true_vs_shuffled(true_labels: GeneralizationRun, shuffled: GeneralizationRun) -> Figure:
    """Side by side: the same network on true labels and on shuffled labels."""
    fig, axes = new_figure(ncols=2, width=5.5, height=4.0, sharey=True)
    _accuracy_panel(axes[0], true_labels, "True labels")
    _accuracy_panel(axes[1], shuffled, f"Labels shuffled ({100 * shuffled.shuffled_fraction:.0f} %)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize="small")
    fig.suptitle(f"The same {true_labels.n_parameters:,}-parameter MLP on the same "
                 f"{true_labels.n_train} images")
    return fig


def plot_size_sweep(table: pd.DataFrame) -> Figure:
    """Accuracy (left) and train/test gap (right) against training-set size, log scale."""
    fig, (ax_acc, ax_gap) = new_figure(ncols=2, width=5.2, height=3.9)
    sizes = table["n_train"]
    ax_acc.plot(sizes, 100 * table["train_acc"], "-o", color=TRAIN_COLOUR, label="training accuracy")
    ax_acc.plot(sizes, 100 * table["test_acc"], "-s", color=TEST_COLOUR, label="test accuracy")
    ax_acc.fill_between(sizes, 100 * table["test_acc"], 100 * table["train_acc"], color="grey", alpha=0.15,
                        label="gap")
    ax_acc.set(xscale="log", xlabel="training-set size (images, log scale)", ylabel="accuracy (%)",
               title="Accuracy after training", ylim=(min(50, 100 * table["test_acc"].min() - 5), 102))
    ax_acc.legend(fontsize="small", loc="lower right")
    ax_gap.plot(sizes, 100 * table["gap"], "-o", color="black")
    for size, gap in zip(sizes, table["gap"]):
        ax_gap.annotate(f"{100 * gap:.0f}", (size, 100 * gap), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize="small")
    ax_gap.set(xscale="log", xlabel="training-set size (images, log scale)",
               ylabel="train − test accuracy (points)", title="Generalization gap",
               ylim=(0, 100 * table["gap"].max() * 1.25))
    for ax in (ax_acc, ax_gap):
        ax.set_xticks(list(sizes), [f"{size:,}" for size in sizes])
        ax.minorticks_off()
    fig.suptitle(f"The same network trained for {table['epochs'].iloc[0]} epochs on each training set")
    return fig


# --------------------------------------------------------------------------- slider

def explore_generalization(n_train: int = 300, epochs: int = 20, shuffled_fraction: float = 0.0,
                           seed: int = 0, n_test: int = 1_000) -> Figure:
    """Train the lesson's wide MLP and draw its learning curves (the slider's function)."""
    run = train_wide_mlp(n_train, epochs, shuffled_fraction=shuffled_fraction, n_test=n_test, seed=seed)
    return plot_train_test(run, title=f"{n_train} images, {100 * shuffled_fraction:.0f}% of labels shuffled")


def explore_generalization_panel(n_test: int = 1_000, max_train: int = 4_000):
    """Sliders for training-set size, epochs and shuffled fraction, with a Run button."""
    return slider_panel(
        lambda n_train, epochs, shuffled_fraction: explore_generalization(
            n_train, epochs, shuffled_fraction, n_test=n_test),
        manual=True,
        n_train=int_slider("training images", 300, 100, max_train, 100),
        epochs=int_slider("epochs", 20, 1, 60),
        shuffled_fraction=float_slider("labels shuffled", 0.0, 0.0, 1.0, 0.1, readout_format=".0%"),
    )


# --------------------------------------------------------------------------- exercises

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
