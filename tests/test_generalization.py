"""Lesson 01 (generalization): the lesson's claims hold for three seeds at smoke sizes."""
from __future__ import annotations

import pytest
import torch
from matplotlib.figure import Figure

from course_utils import budget
from course_utils.data import shuffle_labels
from course_utils.exercises import NO_ANSWER_YET
from course_utils.generalization import (
    CHANCE_ACCURACY, CHANCE_TOLERANCE, EXERCISES, MAX_GAP_TREND, MIN_GAP_DROP, MIN_GAP_SMALL_SET,
    MIN_TRAIN_ACC_SHUFFLED, MIN_TRAIN_ACC_TRUE, epochs_to_reach, explore_generalization, explore_generalization_panel,
    gap_reading_exercise, gap_trend, plot_size_sweep, plot_train_test, plot_true_vs_shuffled,
    shuffle_some_labels, size_sweep, train_wide_mlp,
)

SEEDS = (0, 1, 2)
SMOKE = budget("01", "smoke")
# The size sweep at half the notebook's smallest sizes keeps this file fast.
TEST_SIZES = (50, 100, 200, 400)


@pytest.fixture(scope="module", params=SEEDS)
def true_and_shuffled(request):
    """The same network on the same images, with true and with shuffled labels."""
    seed = request.param
    runs = [train_wide_mlp(SMOKE.n_train, SMOKE.epochs, shuffled_fraction=fraction, n_test=SMOKE.n_test,
                           track_test=False, seed=seed) for fraction in (0.0, 1.0)]
    return seed, *runs


def test_small_subset_is_fitted_but_test_accuracy_lags(true_and_shuffled):
    seed, true_labels, _ = true_and_shuffled
    assert true_labels.train_acc >= MIN_TRAIN_ACC_TRUE, (seed, true_labels.train_acc)
    assert true_labels.gap >= MIN_GAP_SMALL_SET, (seed, true_labels.train_acc, true_labels.test_acc)


def test_shuffled_labels_are_memorized_and_test_is_at_chance(true_and_shuffled):
    seed, true_labels, shuffled = true_and_shuffled
    assert shuffled.train_acc >= MIN_TRAIN_ACC_SHUFFLED, (seed, shuffled.train_acc)
    assert abs(shuffled.test_acc - CHANCE_ACCURACY) <= CHANCE_TOLERANCE, (seed, shuffled.test_acc)
    assert shuffled.test_acc < true_labels.test_acc / 2, (seed, shuffled.test_acc, true_labels.test_acc)


def test_true_labels_are_fitted_sooner_than_shuffled_ones(true_and_shuffled):
    seed, true_labels, shuffled = true_and_shuffled
    epochs_true, epochs_shuffled = (epochs_to_reach(run.history, 0.95) for run in (true_labels, shuffled))
    assert epochs_true is not None and epochs_shuffled is not None, (seed, epochs_true, epochs_shuffled)
    assert epochs_true < epochs_shuffled, (seed, epochs_true, epochs_shuffled)


@pytest.mark.parametrize("seed", SEEDS)
def test_gap_shrinks_as_the_training_set_grows(seed):
    table = size_sweep(TEST_SIZES, SMOKE.sweep_epochs, n_test=SMOKE.n_test, seed=seed)
    assert list(table["n_train"]) == list(TEST_SIZES)
    gaps = table["gap"].tolist()
    assert gaps[0] - gaps[-1] >= MIN_GAP_DROP, (seed, gaps)
    assert gap_trend(table) <= MAX_GAP_TREND, (seed, gap_trend(table), gaps)
    assert table["test_acc"].iloc[-1] > table["test_acc"].iloc[0], (seed, table["test_acc"].tolist())


def test_shuffle_some_labels_keeps_class_counts_and_is_reproducible():
    labels = torch.arange(10).repeat(30)
    assert torch.equal(shuffle_some_labels(labels, 0.0), labels)
    assert torch.equal(shuffle_some_labels(labels, 1.0, seed=4), shuffle_labels(labels, seed=4))
    half = shuffle_some_labels(labels, 0.5, seed=1)
    assert torch.equal(half, shuffle_some_labels(labels, 0.5, seed=1))
    assert torch.equal(torch.bincount(half), torch.bincount(labels))
    changed = (half != labels).float().mean().item()
    assert 0.3 < changed <= 0.5, changed  # half are shuffled; a tenth of those land on their own class


@pytest.mark.parametrize("call, name", [
    (lambda: train_wide_mlp(10, 1), "n_train"),
    (lambda: train_wide_mlp(100, 0), "epochs"),
    (lambda: train_wide_mlp(100, 1, shuffled_fraction=1.5), "shuffled_fraction"),
    (lambda: train_wide_mlp(100, 1, lr=-1.0), "lr"),
    (lambda: size_sweep([100], 1), "sizes"),
    (lambda: size_sweep([200, 100], 1), "sizes"),
    (lambda: shuffle_some_labels(torch.zeros(5, dtype=torch.long), -0.1), "fraction"),
])
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_epochs_to_reach_rejects_a_level_above_one():
    run = train_wide_mlp(100, 1, n_test=200, track_test=False)
    with pytest.raises(ValueError, match="level"):
        epochs_to_reach(run.history, 95)


def test_plots_and_slider_function_run_headless():
    run = train_wide_mlp(100, 2, shuffled_fraction=0.5, n_test=200)
    assert isinstance(plot_train_test(run), Figure)
    assert isinstance(plot_true_vs_shuffled(run, run), Figure)
    table = size_sweep((64, 128), 1, n_test=200)
    assert isinstance(plot_size_sweep(table), Figure)
    assert isinstance(explore_generalization(n_train=100, epochs=1, shuffled_fraction=0.3, n_test=200), Figure)
    assert explore_generalization_panel() is not None


def test_exercises_give_feedback_without_the_answer():
    for exercise in EXERCISES.values():
        assert exercise.check(...).message == NO_ANSWER_YET
    assert EXERCISES["parameters"].check(814_090)
    assert not EXERCISES["parameters"].check(784 * 1024)
    for name in ("what_random_labels_show", "shrink_the_gap"):
        assert EXERCISES[name].check("b")
        wrong = EXERCISES[name].check("a")
        assert not wrong and "b" not in wrong.message.split()


def test_gap_reading_exercise_uses_the_learners_run():
    table = size_sweep((64, 128), 1, n_test=200)
    gap_points = 100 * table["gap"].iloc[-1]
    exercise = gap_reading_exercise(table)
    assert exercise.check(gap_points + 1.0)
    assert not exercise.check(gap_points + 5.0)


def test_accuracy_exercise_accepts_the_reference_and_hints_each_mistake():
    from course_utils.generalization import EXERCISES, accuracy

    exercise = EXERCISES["accuracy"]
    logits = torch.tensor([[0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    assert accuracy(logits, torch.tensor([1, 0, 0])) == pytest.approx(2 / 3)
    assert exercise.check(accuracy).correct
    assert exercise.check(lambda logits, labels: (logits.argmax(1) == labels).double().mean().item()).correct
    assert "count" in exercise.check(lambda logits, labels: float((logits.argmax(1) == labels).sum())).message
    assert "percentage" in exercise.check(
        lambda logits, labels: 100 * float((logits.argmax(1) == labels).float().mean())).message
    assert "error rate" in exercise.check(
        lambda logits, labels: float((logits.argmax(1) != labels).float().mean())).message
