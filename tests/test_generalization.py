"""Lesson 01 (generalization): the lesson's claims hold for three seeds at smoke sizes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from course_utils import budget, mlp
from course_utils.claims import ClaimFailed
from course_utils.data import shuffle_labels
from course_utils.exercises import NO_ANSWER_YET
from course_utils.lesson01 import (
    CHANCE_ACCURACY,
    CHANCE_TOLERANCE,
    EXERCISES,
    MAX_GAP_TREND,
    MIN_GAP_DROP,
    MIN_GAP_SMALL_SET,
    MIN_TRAIN_ACC_SHUFFLED,
    MIN_TRAIN_ACC_TRUE,
    GeneralizationRun,
    claims,
    epochs_to_reach,
    explore_generalization,
    explore_generalization_panel,
    gap_reading_exercise,
    plot_size_sweep,
    plot_train_test,
    plot_true_vs_shuffled,
    shuffle_some_labels,
    size_sweep,
    train_wide_mlp,
)
from course_utils.lesson01.claims import all_claims, run_experiments
from course_utils.training import History

SEEDS = (0, 1, 2)
SMOKE = budget("01", "smoke")
CLAIM_NAMES = ["fits_small_set", "gap_small_set", "memorizes_shuffled", "shuffled_test_at_chance",
               "true_fitted_sooner", "narrow_memorizes_less", "gap_drops", "gap_trend", "test_acc_rises"]


@pytest.fixture(scope="module", params=SEEDS)
def results(request):
    """Every run behind the lesson's claims, at smoke sizes: wide and narrow, true and shuffled, the size sweep."""
    return request.param, run_experiments(SMOKE, request.param)


def test_claims_hold_in_smoke(results):
    seed, runs = results
    claims = all_claims(runs)
    assert [c.name for c in claims] == CLAIM_NAMES
    for claim in claims:
        claim.check()
    assert list(runs["sweep"]["n_train"]) == list(SMOKE.sizes)
    # the constants the claims use are the ones the lesson states
    assert (MIN_TRAIN_ACC_TRUE, MIN_GAP_SMALL_SET, MIN_TRAIN_ACC_SHUFFLED, CHANCE_TOLERANCE) == (0.98, 0.10, 0.95, 0.10)
    assert (MIN_GAP_DROP, MAX_GAP_TREND) == (0.05, -1.0)


def test_shuffled_test_accuracy_is_far_below_the_true_labels(results):
    seed, runs = results
    assert runs["shuffled"].test_acc < runs["true"].test_acc / 2, (seed, runs["shuffled"].test_acc)
    assert runs["shuffled"].test_acc < CHANCE_ACCURACY + CHANCE_TOLERANCE


def fake_run(train_accs: list[float], test_acc: float, n_train: int = 300) -> GeneralizationRun:
    """A run whose training accuracy went through ``train_accs`` (one per epoch, from epoch 0)."""
    epochs = pd.DataFrame({"epoch": range(len(train_accs)), "train_acc": train_accs})
    return GeneralizationRun(history=History(steps=pd.DataFrame(), epochs=epochs), n_train=n_train,
                             n_parameters=1, shuffled_fraction=0.0, train_acc=train_accs[-1], test_acc=test_acc)


def test_claims_fail_when_they_should():
    good_true, good_shuffled = fake_run([0.1, 0.96, 1.0], 0.75), fake_run([0.1, 0.5, 0.9, 0.99], 0.1)
    assert claims.claim_fits_small_set(good_true).holds and claims.claim_gap_small_set(good_true).holds
    assert claims.claim_true_fitted_sooner(good_true, good_shuffled).margin == 2
    with pytest.raises(ClaimFailed, match="100 %"):
        claims.claim_fits_small_set(fake_run([0.1, 0.9], 0.7)).check()
    assert not claims.claim_gap_small_set(fake_run([0.1, 1.0], 0.95)).holds
    assert not claims.claim_memorizes_shuffled(fake_run([0.1, 0.8], 0.1)).holds
    assert claims.claim_shuffled_test_at_chance(good_shuffled).margin == pytest.approx(CHANCE_TOLERANCE)
    assert not claims.claim_shuffled_test_at_chance(fake_run([0.1, 1.0], 0.25)).holds  # it learned something
    assert not claims.claim_true_fitted_sooner(good_shuffled, good_true).holds  # the other way round
    assert not claims.claim_true_fitted_sooner(good_true, fake_run([0.1, 0.5, 0.9], 0.1)).holds  # never reached
    narrow_true, narrow_shuffled = fake_run([0.1, 0.97], 0.7), fake_run([0.1, 0.5], 0.1)
    assert claims.claim_narrow_memorizes_less(narrow_true, narrow_shuffled, good_shuffled).margin == pytest.approx(0.05)
    assert not claims.claim_narrow_memorizes_less(narrow_true, fake_run([0.1, 0.92], 0.1), good_shuffled).holds
    assert not claims.claim_narrow_memorizes_less(fake_run([0.1, 0.9], 0.7), narrow_shuffled, good_shuffled).holds
    shrinking = pd.DataFrame({"n_train": [100, 200, 400, 800], "train_acc": [1.0, 1.0, 1.0, 0.99],
                              "test_acc": [0.65, 0.7, 0.74, 0.78], "gap": [0.35, 0.3, 0.26, 0.21]})
    assert all(c.holds for c in (claims.claim_gap_drops(shrinking), claims.claim_gap_trend(shrinking),
                                 claims.claim_test_acc_rises(shrinking)))
    # the gap closes only because training accuracy collapses: test accuracy falls, the trend is flat
    collapsing = shrinking.assign(train_acc=[1.0, 0.8, 0.72, 0.62], test_acc=[0.65, 0.6, 0.6, 0.6])
    collapsing["gap"] = collapsing["train_acc"] - collapsing["test_acc"]
    assert not claims.claim_test_acc_rises(collapsing).holds
    flat = shrinking.assign(gap=[0.3, 0.31, 0.29, 0.28])
    assert not claims.claim_gap_drops(flat).holds and not claims.claim_gap_trend(flat).holds


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


def test_narrow_network_fits_true_labels_but_memorizes_fewer_shuffled_ones(results):
    """The notebook's "change it" example: the same training with a 16-unit network as ``make_model``."""
    seed, runs = results
    assert runs["narrow_true"].n_parameters == 784 * 16 + 16 + 16 * 10 + 10
    claims.claim_narrow_memorizes_less(runs["narrow_true"], runs["narrow_shuffled"], runs["shuffled"]).check()


def test_make_model_defaults_to_the_wide_mlp_and_reaches_the_size_sweep():
    default = train_wide_mlp(100, 2, n_test=200, track_test=False, seed=3)
    explicit = train_wide_mlp(100, 2, n_test=200, track_test=False, seed=3, make_model=lambda: mlp(1024, 1))
    assert default.n_parameters == explicit.n_parameters == 814_090
    assert default.history.epochs["train_loss"].tolist() == explicit.history.epochs["train_loss"].tolist()
    assert (default.train_acc, default.test_acc) == (explicit.train_acc, explicit.test_acc)
    built = []

    def counting_mlp():
        built.append(1)
        return mlp(8, 1)

    table = size_sweep((64, 128), 1, n_test=200, make_model=counting_mlp)
    assert len(built) == 2 and list(table["n_train"]) == [64, 128]


def test_learning_curves_draw_the_measured_accuracies():
    run = train_wide_mlp(100, 2, shuffled_fraction=0.5, n_test=200)
    frame = run.history.epochs
    fig = plot_train_test(run)
    (ax,) = fig.axes
    assert ax.get_title() == "100 training images, 814,090 parameters"
    train_line, test_line, chance_line = ax.get_lines()
    np.testing.assert_allclose(train_line.get_ydata(), 100 * frame["train_acc"])
    np.testing.assert_allclose(test_line.get_ydata(), 100 * frame["test_acc"])
    np.testing.assert_allclose(chance_line.get_ydata(), [100 * CHANCE_ACCURACY] * 2)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "training set (the labels it trained on)", "test set (new images, true labels)", "chance (10 %)"]
    assert f"{100 * run.gap:.0f} pts" in " ".join(text.get_text() for text in ax.texts)

    fig = plot_true_vs_shuffled(run, run)
    assert [ax.get_title() for ax in fig.axes] == ["True labels", "Labels shuffled (50 %)"]
    assert fig._suptitle.get_text() == "The same 814,090-parameter MLP on the same 100 images"
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 3
    for ax in fig.axes:
        np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), 100 * frame["train_acc"])


def test_size_sweep_figure_draws_the_table():
    table = size_sweep((64, 128), 1, n_test=200)
    fig = plot_size_sweep(table)
    ax_acc, ax_gap = fig.axes
    assert (ax_acc.get_title(), ax_gap.get_title()) == ("Accuracy after training", "Generalization gap")
    train_line, test_line = ax_acc.get_lines()
    np.testing.assert_allclose(train_line.get_xdata(), [64, 128])
    np.testing.assert_allclose(train_line.get_ydata(), 100 * table["train_acc"])
    np.testing.assert_allclose(test_line.get_ydata(), 100 * table["test_acc"])
    np.testing.assert_allclose(ax_gap.get_lines()[0].get_ydata(), 100 * table["gap"])
    assert [text.get_text() for text in ax_gap.texts] == [f"{100 * gap:.0f}" for gap in table["gap"]]
    assert [text.get_text() for text in ax_acc.get_legend().get_texts()] == [
        "training accuracy", "test accuracy", "gap"]
    assert fig._suptitle.get_text() == "The same network trained for 1 epochs on each training set"


def test_slider_function_and_panel():
    fig = explore_generalization(n_train=100, epochs=1, shuffled_fraction=0.3, n_test=200)
    (ax,) = fig.axes
    assert ax.get_title() == "100 images, 30% of labels shuffled"
    assert list(ax.get_lines()[0].get_xdata()) == [0, 1]  # before training, after the one epoch
    panel = explore_generalization_panel()
    assert panel.manual and panel.result is None
    assert [control.description for control in panel.controls] == ["training images", "epochs", "labels shuffled"]
    assert panel.controls[0].max == 4_000


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
    from course_utils.lesson01 import EXERCISES, accuracy

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
