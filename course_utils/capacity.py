"""Lesson 03, overfitting vs underfitting: capacity sweeps, learning curves, label noise.

Every experiment trains `mlp(width, depth)` with the course's one loop, `fit`, on a
small subset of Fashion-MNIST, so that both failure modes show up in a few seconds on a
CPU:

- `capacity_sweep` trains networks from one hidden unit to hundreds and records training
  and test accuracy: the smallest underfit, the largest overfit.
- `pick_fits` chooses an under-, a well- and an over-fitting model from a sweep, for
  their learning curves.
- `label_noise_experiment` replaces a fraction of the training labels and follows test
  accuracy epoch by epoch (`EarlyStoppingMonitor`): it peaks, then falls while the network
  memorizes the wrong labels; the weights of the best validation epoch are kept.
- `explore_fit` is the slider: any width, depth, number of epochs and label noise.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn

from .config import seed_everything
from .data import Data, Split, fashion_mnist
from .exercises import function_exercise, multiple_choice, numeric
from .models import count_parameters, mlp
from .plots import new_figure, plot_history
from .training import History, evaluate, fit
from .validation import check_fraction, check_int, check_positive
from .widgets import float_slider, int_slider, slider_panel

# Adam at its usual rate fits (and over-fits) a small subset within a few dozen epochs.
DEFAULT_LR = 1e-3
DEFAULT_BATCH_SIZE = 64
PERCENT = 100


def train_mlp(
    data: Data,
    width: int,
    depth: int,
    *,
    epochs: int,
    lr: float = DEFAULT_LR,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    callbacks: Sequence = (),
    model: nn.Module | None = None,
) -> tuple[nn.Module, History]:
    """Train ``mlp(width, depth)`` with Adam on ``data`` (validation curves from ``data.val``).

    The model is initialised from ``seed`` (or ``model``, if given, is trained instead and
    ``width`` and ``depth`` are ignored); it is moved to the data's device and returned
    with its `History`.
    """
    check_int("epochs", epochs, 1)
    check_positive("lr", lr)
    if model is None:
        seed_everything(seed)
        model = mlp(width, depth)
    model = model.to(data.train.x.device)
    history = fit(model, data, epochs=epochs, lr=lr, batch_size=batch_size, optimizer="adam",
                  seed=seed, progress=False, callbacks=callbacks)
    return model, history


# --------------------------------------------------------------------------- capacity sweep

@dataclass
class SweepResult:
    """What `capacity_sweep` measured: one table row and one `History` per width."""

    table: pd.DataFrame  # width, depth, parameters, train_acc, val_acc, test_acc, gap
    histories: dict[int, History]

    def summary(self) -> pd.DataFrame:
        """The table for reading: one row per width, accuracies and gap in percent."""
        table = self.table.set_index("width")
        return pd.DataFrame({
            "parameters": table["parameters"],
            "training accuracy (%)": (PERCENT * table["train_acc"]).round(1),
            "test accuracy (%)": (PERCENT * table["test_acc"]).round(1),
            "gap (points)": (PERCENT * table["gap"]).round(1),
        }).rename_axis("hidden units")


def capacity_sweep(
    widths: Sequence[int] = (1, 2, 4, 16, 64, 256),
    depth: int = 1,
    *,
    n_train: int = 1_000,
    n_val: int = 1_000,
    n_test: int = 1_000,
    epochs: int = 40,
    lr: float = DEFAULT_LR,
    seed: int = 0,
    data: Data | None = None,
) -> SweepResult:
    """Train one MLP per width (``depth`` hidden layers, all on the same data) and measure.

    Every model sees the same ``n_train`` training images for ``epochs`` epochs. The
    table's accuracies are fractions in [0, 1] after the last epoch; ``gap`` is training
    minus test accuracy. Pass ``data`` to reuse an already loaded `Data`.
    """
    if not widths:
        raise ValueError("widths must name at least one width (got an empty sequence)")
    for width in widths:
        check_int("width", width, 1)
    check_int("depth", depth, 1, None, "depth 0 is the linear model, whose width means nothing")
    data = data or fashion_mnist(n_train, n_val, n_test, seed=seed)
    rows, histories = [], {}
    for width in sorted(set(widths)):
        model, history = train_mlp(data, width, depth, epochs=epochs, lr=lr, seed=seed)
        train_acc = history.final("train_acc")
        test_acc = evaluate(model, data.test)[1]
        rows.append({"width": width, "depth": depth, "parameters": count_parameters(model),
                     "train_acc": train_acc, "val_acc": history.final("val_acc"),
                     "test_acc": test_acc, "gap": train_acc - test_acc})
        histories[width] = history
    return SweepResult(pd.DataFrame(rows), histories)


def plot_capacity_sweep(result: SweepResult, *, title: str = "") -> Figure:
    """Training and test accuracy against the number of parameters, the gap shaded."""
    table = result.table
    fig, ax = new_figure(width=6.5, height=4.0)
    params = table["parameters"]
    ax.plot(params, PERCENT * table["train_acc"], "o-", label="training accuracy")
    ax.plot(params, PERCENT * table["test_acc"], "s--", label="test accuracy")
    ax.fill_between(params, PERCENT * table["test_acc"], PERCENT * table["train_acc"],
                    alpha=0.15, color="grey", label="gap (training - test)")
    for _, row in table.iterrows():
        ax.annotate(f"{int(row.width)}", (row.parameters, PERCENT * row.train_acc),
                    textcoords="offset points", xytext=(0, 6), ha="center", fontsize="x-small")
    ax.set_xscale("log")
    ax.set(xlabel="number of parameters (log scale; labels: hidden units)", ylabel="accuracy (%)",
           ylim=(0, 105), title=title or "Capacity sweep: accuracy after the last epoch")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def pick_fits(result: SweepResult, *, low: float = 0.7, tolerance: float = 0.03) -> dict[str, int]:
    """Widths of an under-, a well- and an over-fitting model from a sweep.

    Underfitting: the widest model whose training accuracy is still below ``low`` (the
    threshold `diagnose` uses; the smallest width if none is). Well-fitting: the smallest
    width whose final validation accuracy is within ``tolerance`` of the sweep's best (as
    simple as possible, but no simpler). Overfitting: the largest width.
    """
    check_fraction("low", low)
    check_fraction("tolerance", tolerance)
    table = result.table.sort_values("width")
    too_weak = table[table["train_acc"] < low]
    good_enough = table[table["val_acc"] >= table["val_acc"].max() - tolerance]
    underfitting = too_weak["width"].iloc[-1] if len(too_weak) else table["width"].iloc[0]
    return {"underfitting": int(underfitting),
            "well-fitting": int(good_enough["width"].iloc[0]),
            "overfitting": int(table["width"].iloc[-1])}


def plot_fits(result: SweepResult, fits: dict[str, int]) -> Figure:
    """Learning curves (`plots.plot_history`) of the models chosen by `pick_fits`."""
    histories = {f"{kind} ({width} units)": result.histories[width] for kind, width in fits.items()}
    fig = plot_history(histories, title="Learning curves: training (solid) and validation (dashed)")
    # Six legend entries hide the curves: move the legend beside the plots.
    ax_acc = fig.axes[1]
    handles, labels = ax_acc.get_legend_handles_labels()
    ax_acc.get_legend().remove()
    fig.legend(handles, labels, loc="outside right center", fontsize="small")
    fig.set_figwidth(fig.get_figwidth() + 2.5)
    return fig


def loss_rise(history: History) -> float:
    """Final validation loss divided by its minimum over the epochs (1 = never rose)."""
    val_loss = history.epochs["val_loss"]
    return float(val_loss.iloc[-1] / val_loss.min())


# --------------------------------------------------------------------------- label noise

class EarlyStoppingMonitor:
    """A `fit` callback: test accuracy every epoch and a copy of the best-validation weights.

    ``test_acc[e]`` is the test accuracy after epoch ``e`` (0: before training).
    ``best_epoch`` is the first epoch with the highest validation accuracy, and
    ``best_state`` the model's ``state_dict`` at that epoch; `restore_best` loads it back,
    which is what early stopping with patience does once training has ended.
    """

    def __init__(self, model: nn.Module, val: Split, test: Split) -> None:
        self.model, self.test = model, test
        self.test_acc: list[float] = [evaluate(model, test)[1]]
        self.best_val_acc = evaluate(model, val)[1]
        self.best_epoch = 0
        self.best_state = copy.deepcopy(model.state_dict())

    def __call__(self, history: History) -> None:
        self.test_acc.append(evaluate(self.model, self.test)[1])
        val_acc = float(history.epochs["val_acc"].iloc[-1])
        if val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_epoch = int(history.epochs["epoch"].iloc[-1])
            self.best_state = copy.deepcopy(self.model.state_dict())

    def restore_best(self) -> nn.Module:
        """Load the best-validation weights into the model and return it."""
        self.model.load_state_dict(self.best_state)
        return self.model


class NoisyFitTracker:
    """A `fit` callback: how the network treats clean and relabelled training images.

    After every epoch it records the fraction of *clean* training images predicted as
    their (correct) label, and the fraction of *relabelled* images predicted as their
    wrong, noisy label: the part of the noise the network has memorized.
    """

    def __init__(self, model: nn.Module, train: Split, flipped: torch.Tensor) -> None:
        self.model, self.train, self.flipped = model, train, flipped
        self.clean_fit: list[float] = []
        self.noise_memorized: list[float] = []
        self(None)  # epoch 0, before training

    @torch.no_grad()
    def __call__(self, history: History | None) -> None:
        was_training = self.model.training
        self.model.eval()
        hits = self.model(self.train.x).argmax(1) == self.train.y
        self.model.train(was_training)
        self.clean_fit.append(float(hits[~self.flipped].float().mean()))
        self.noise_memorized.append(float(hits[self.flipped].float().mean()) if self.flipped.any() else math.nan)


@dataclass
class NoiseResult:
    """What `label_noise_experiment` measured.

    ``epochs``: one row per epoch (0 = untrained) with train_acc (against the noisy labels),
    val_acc and test_acc (clean labels), clean_fit and noise_memorized (see
    `NoisyFitTracker`). ``best_epoch``: the epoch of highest validation accuracy.
    ``restored_test_acc``: test accuracy of the best-validation weights, reloaded.
    """

    epochs: pd.DataFrame
    label_noise: float
    best_epoch: int
    restored_test_acc: float
    history: History

    @property
    def last(self) -> pd.Series:
        """The row of the last epoch (training to the end)."""
        return self.epochs.iloc[-1]

    @property
    def at_best(self) -> pd.Series:
        """The row of the best validation epoch (early stopping)."""
        return self.epochs.loc[self.best_epoch]

    @property
    def test_peak(self) -> pd.Series:
        """The row of the highest test accuracy (for reading only: choosing by it would be cheating)."""
        return self.epochs.loc[self.epochs["test_acc"].idxmax()]


def label_noise_experiment(
    label_noise: float = 0.4,
    *,
    n_train: int = 1_000,
    n_val: int = 1_000,
    n_test: int = 1_000,
    width: int = 256,
    depth: int = 1,
    epochs: int = 30,
    lr: float = DEFAULT_LR,
    batch_size: int = 32,  # twice the updates per epoch: the noise is memorized within the budget
    seed: int = 0,
) -> NoiseResult:
    """Train a wide MLP on training labels of which ``label_noise`` were replaced by wrong ones.

    Validation and test labels stay clean. Test accuracy is measured after every epoch and
    the weights of the best validation epoch are kept (`EarlyStoppingMonitor`), so the
    result compares stopping early with training to the end.
    """
    check_fraction("label_noise", label_noise, include_one=False)
    check_int("n_val", n_val, 1, None, "early stopping needs a validation set")
    noisy = fashion_mnist(n_train, n_val, n_test, label_noise=label_noise, seed=seed)
    clean = fashion_mnist(n_train, 1, 1, seed=seed).train  # the same images with their true labels
    if not torch.equal(clean.x, noisy.train.x):
        raise RuntimeError("the clean and noisy training sets hold different images")
    flipped = noisy.train.y != clean.y
    seed_everything(seed)
    model = mlp(width, depth).to(noisy.train.x.device)
    monitor = EarlyStoppingMonitor(model, noisy.val, noisy.test)
    tracker = NoisyFitTracker(model, noisy.train, flipped)
    _, history = train_mlp(noisy, width, depth, epochs=epochs, lr=lr, batch_size=batch_size,
                           seed=seed, callbacks=[monitor, tracker], model=model)
    table = history.epochs[["epoch", "train_acc", "val_acc", "val_loss"]].copy()
    table["test_acc"] = monitor.test_acc
    table["clean_fit"] = tracker.clean_fit
    table["noise_memorized"] = tracker.noise_memorized
    restored_test_acc = evaluate(monitor.restore_best(), noisy.test)[1]
    return NoiseResult(table.set_index("epoch", drop=False), label_noise, monitor.best_epoch,
                       restored_test_acc, history)


def plot_label_noise(result: NoiseResult) -> Figure:
    """Left: accuracies per epoch, best-validation epoch marked. Right: what is being fitted."""
    frame = result.epochs
    fig, (ax_acc, ax_fit) = new_figure(ncols=2, width=5.5, height=4.2)
    ax_acc.plot(frame["epoch"], PERCENT * frame["train_acc"], label="training (noisy labels)")
    ax_acc.plot(frame["epoch"], PERCENT * frame["val_acc"], "--", label="validation (clean labels)")
    ax_acc.plot(frame["epoch"], PERCENT * frame["test_acc"], ":", linewidth=2.2, label="test (clean labels)")
    ax_acc.axhline(PERCENT * (1 - result.label_noise), color="grey", linewidth=0.8,
                   label=f"share of correct training labels ({PERCENT * (1 - result.label_noise):.0f}%)")
    best, last = result.at_best, result.last
    ax_acc.axvline(result.best_epoch, color="black", linewidth=0.8)
    ax_acc.plot(result.best_epoch, PERCENT * best.test_acc, "*", color="black", markersize=12,
                label=f"test at best validation epoch ({result.best_epoch}): {PERCENT * best.test_acc:.1f}%")
    ax_acc.plot(last.epoch, PERCENT * last.test_acc, "o", color="black",
                label=f"test at last epoch ({int(last.epoch)}): {PERCENT * last.test_acc:.1f}%")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 105),
               title=f"{PERCENT * result.label_noise:.0f}% of training labels wrong")
    ax_acc.legend(loc="lower right", fontsize="x-small")

    ax_fit.plot(frame["epoch"], PERCENT * frame["clean_fit"], label="clean images: predicted = true label")
    ax_fit.plot(frame["epoch"], PERCENT * frame["noise_memorized"], "--",
                label="relabelled images: predicted = wrong label")
    ax_fit.axvline(result.best_epoch, color="black", linewidth=0.8, label="best validation epoch")
    ax_fit.set(xlabel="epoch", ylabel="share of training images (%)", ylim=(0, 105),
               title="Clean labels are learned first, noise later")
    ax_fit.legend(loc="lower right", fontsize="x-small")
    return fig


# --------------------------------------------------------------------------- slider

def diagnose(train_acc: float, val_acc: float, *, low: float = 0.7, large_gap: float = 0.1) -> str:
    """A rule-of-thumb verdict from final accuracies (fractions): under-, over- or well-fitting."""
    for name, value in (("train_acc", train_acc), ("val_acc", val_acc), ("low", low), ("large_gap", large_gap)):
        check_fraction(name, value)
    gap = train_acc - val_acc
    if train_acc < low:
        return f"underfitting: training accuracy only {PERCENT * train_acc:.0f}%"
    if gap > large_gap:
        return f"overfitting: training {PERCENT * gap:.0f} points above validation"
    return f"fits reasonably: gap {PERCENT * gap:.0f} points"


def explore_fit(
    width: int = 64,
    depth: int = 1,
    epochs: int = 20,
    label_noise: float = 0.0,
    *,
    n_train: int = 1_000,
    n_val: int = 1_000,
    seed: int = 0,
) -> Figure:
    """Train ``mlp(width, depth)`` on ``n_train`` images and draw its learning curves."""
    check_int("width", width, 1)
    check_int("depth", depth, 0)
    check_fraction("label_noise", label_noise, include_one=False)
    data = fashion_mnist(n_train, n_val, 1, label_noise=label_noise, seed=seed)
    model, history = train_mlp(data, width, depth, epochs=epochs, seed=seed)
    train_acc, val_acc = history.final("train_acc"), history.final("val_acc")
    # Training accuracy is measured against the noisy labels, so lower the bar accordingly.
    verdict = diagnose(train_acc, val_acc, low=0.7 * (1 - label_noise))
    shape = "linear model" if depth == 0 else f"{depth} hidden layer(s) of {width} units"
    return plot_history(history, title=f"{shape} ({count_parameters(model):,} parameters), "
                                       f"{PERCENT * label_noise:.0f}% noisy labels: {verdict}")


def explore_fit_panel(n_train: int = 1_000, n_val: int = 1_000) -> ipywidgets.interactive:
    """Sliders for `explore_fit` with a Run button (each run trains a network)."""
    return slider_panel(explore_fit, manual=True, width=int_slider("hidden units (width)", 64, 1, 512),
                        depth=int_slider("hidden layers (depth)", 1, 0, 4),
                        epochs=int_slider("epochs", 20, 1, 100),
                        label_noise=float_slider("noisy labels", 0.0, 0.0, 0.8, 0.1, readout_format=".0%"),
                        n_train=ipywidgets.fixed(n_train), n_val=ipywidgets.fixed(n_val),
                        seed=ipywidgets.fixed(0))


# --------------------------------------------------------------------------- exercises

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
