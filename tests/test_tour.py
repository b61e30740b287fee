"""Tests for lesson 00 (course_utils.lesson00): one epoch against fit, per-class accuracy, figures, exercises,
claims."""
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from course_utils import fit, make_optimizer, mlp, seed_everything
from course_utils.claims import ClaimFailed
from course_utils.data import CLASS_NAMES, Split, fashion_mnist
from course_utils.lesson00 import (
    EXERCISES,
    class_counts,
    one_epoch,
    per_class_accuracy,
    plot_class_counts,
    plot_per_class_accuracy,
    updates_per_epoch,
    worst_class_exercise,
)
from course_utils.lesson00.claims import (
    check_classes_balanced,
    check_far_above_chance,
    check_versions,
    claim_linear_comes_close,
    run,
)
from course_utils.training import History


class GuessByPixel(nn.Module):
    """Predicts the class written in the first pixel of each input: a model whose accuracy we choose."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(x[:, 0].long(), len(CLASS_NAMES)).float()


def labelled(labels: list[int], guesses: list[int]) -> Split:
    """A split whose 'images' are the guesses GuessByPixel will make."""
    return Split(torch.tensor(guesses, dtype=torch.float32)[:, None], torch.tensor(labels))


@pytest.fixture(scope="module")
def small():
    return fashion_mnist(n_train=300, n_val=100, n_test=10, seed=0, device="cpu")


def test_one_epoch_is_fits_epoch(small):
    # 300 images in batches of 128: two full batches and a last one of 44, as in fit.
    seed_everything(0)
    by_fit = mlp(width=32, depth=2)
    history = fit(by_fit, small, epochs=2, lr=0.05, momentum=0.9, seed=3, progress=False)
    seed_everything(0)
    by_hand = mlp(width=32, depth=2)
    optimizer = make_optimizer("sgd", by_hand.parameters(), lr=0.05, momentum=0.9)
    generator = torch.Generator().manual_seed(3)
    losses = [loss for _ in range(2) for loss in one_epoch(by_hand, small.train, optimizer, generator=generator)]
    assert len(losses) == 2 * updates_per_epoch(300, 128) == len(history.steps)
    assert losses == pytest.approx(history.steps["loss"].tolist(), rel=1e-6)
    for name, weight in by_fit.state_dict().items():
        assert torch.allclose(weight, by_hand.state_dict()[name], atol=1e-6), name
    assert losses[-1] < losses[0]


def test_per_class_accuracy_counts_each_class_on_its_own():
    # T-shirts: 2 of 4 right; trousers: 1 of 1; pullovers: 0 of 2; the other classes are absent (NaN).
    split = labelled([0, 0, 0, 0, 1, 2, 2], [0, 0, 3, 5, 1, 0, 0])
    accuracy = per_class_accuracy(GuessByPixel(), split)
    assert list(accuracy.index) == list(CLASS_NAMES)
    assert accuracy.iloc[:3].tolist() == [0.5, 1.0, 0.0]
    assert accuracy.iloc[3:].isna().all()


def test_class_counts_and_their_bar_chart():
    split = labelled([0, 0, 0, 9, 4, 4], [0] * 6)
    counts = class_counts(split)
    assert counts.tolist() == [3, 0, 0, 0, 2, 0, 0, 0, 0, 1] and counts.index[9] == "Ankle boot"
    fig = plot_class_counts(split)
    (ax,) = fig.axes
    assert [bar.get_height() for bar in ax.patches] == counts.tolist()
    assert [label.get_text() for label in ax.get_xticklabels()] == list(CLASS_NAMES)
    assert ax.get_title() == "Images per class (6 in all)"


def test_per_class_accuracy_chart_puts_the_worst_class_on_top():
    right = [3, 7, 0, 9, 5, 1, 8, 2, 6, 4]  # of each class's 9 images: pullovers worst (0), dresses best (9)
    labels = [k for k in range(10) for _ in range(9)]
    guesses = [k if i < right[k] else (k + 1) % 10 for k in range(10) for i in range(9)]
    fig = plot_per_class_accuracy(GuessByPixel(), labelled(labels, guesses))
    fig.canvas.draw()
    (ax,) = fig.axes
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == pytest.approx([100 * r / 9 for r in sorted(right)])
    names = [label.get_text() for label in ax.get_yticklabels()]
    assert names == [CLASS_NAMES[k] for k in np.argsort(right)]
    assert ax.yaxis_inverted() and names[0] == "Pullover"  # the first bar is drawn at the top
    assert ax.get_xlim() == (0, 100) and ax.get_title() == "Which classes does the model get right?"


def test_worst_class_exercise_is_checked_against_the_model():
    # Every class right except shirts (0 of 3) and coats (1 of 3).
    labels = [k for k in range(10) for _ in range(3)]
    guesses = [(0 if k == 6 else (0 if (k == 4 and i) else k)) for k in range(10) for i in range(3)]
    exercise = worst_class_exercise(GuessByPixel(), labelled(labels, guesses))
    assert exercise.check(" shirt ").correct and "0%" in exercise.check("Shirt").message
    wrong = exercise.check("Coat")
    assert not wrong.correct and "33%" in wrong.message
    assert "one of the class names" in exercise.check("Sock").message


def test_updates_per_epoch_exercise_accepts_the_reference_and_hints_each_mistake():
    exercise = EXERCISES["updates_per_epoch_code"]
    assert updates_per_epoch(500, 64) == 8 and updates_per_epoch(500, 50) == 10
    assert exercise.check(updates_per_epoch).correct
    assert exercise.check(lambda n_train, batch_size: -(-n_train // batch_size)).correct
    assert "rounded down" in exercise.check(lambda n_train, batch_size: n_train // batch_size).message
    assert "fraction" in exercise.check(lambda n_train, batch_size: n_train / batch_size).message
    assert "divides" in exercise.check(lambda n_train, batch_size: n_train // batch_size + 1).message
    assert not exercise.check(lambda n_train, batch_size: math.ceil(n_train / batch_size) + 2).correct
    assert "math.ceil" in exercise.show_solution().text


def test_chance_and_updates_exercises():
    assert EXERCISES["chance"].check(10).correct and not EXERCISES["chance"].check(50).correct
    assert EXERCISES["updates"].check("b").correct and not EXERCISES["updates"].check("a").correct


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_claims_hold_in_smoke(seed):
    claims = run(seed, "smoke")
    assert [c.name for c in claims] == ["versions", "classes_balanced", "far_above_chance", "linear_comes_close"]
    assert [c.kind for c in claims] == ["check", "check", "check", "claim"]
    for claim in claims:
        claim.check()


def ended_at(val_acc: float) -> History:
    """A History whose last epoch has validation accuracy ``val_acc``."""
    epochs = pd.DataFrame({"epoch": [0, 1], "val_acc": [0.1, val_acc]})
    return History(steps=pd.DataFrame(), epochs=epochs)


def test_claims_fail_when_they_should():
    assert check_versions("3.12.1", "2.4.0+cpu").margin == 3  # PyTorch 2 minor releases to spare, plus one
    assert check_versions("3.10.0", "2.2.0").holds
    for python, torch_version in (("3.9.18", "2.4.0"), ("3.12.1", "2.1.2+cu121"), ("2.7.18", "2.4.0")):
        with pytest.raises(ClaimFailed, match="PyTorch"):
            check_versions(python, torch_version).check()
    balanced = np.repeat(np.arange(10), 100)
    assert check_classes_balanced(balanced).margin == pytest.approx(0.03)
    skewed = np.concatenate([balanced, np.zeros(60, dtype=int)])  # class 0: 160 of 1,060 = 15%
    assert not check_classes_balanced(skewed).holds
    assert not check_classes_balanced(balanced[balanced != 3]).holds  # a missing class counts as 0%
    assert check_far_above_chance(ended_at(0.85)).holds
    with pytest.raises(ClaimFailed, match="far above chance"):
        check_far_above_chance(ended_at(0.55)).check()
    assert claim_linear_comes_close(ended_at(0.84), ended_at(0.80)).holds  # the linear model may win
    assert claim_linear_comes_close(ended_at(0.72), ended_at(0.80)).margin == pytest.approx(0.05)
    with pytest.raises(ClaimFailed, match="linear model comes close"):
        claim_linear_comes_close(ended_at(0.70), ended_at(0.84)).check()  # 83% of the network's accuracy
