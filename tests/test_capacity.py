"""Lesson 03's claims (course_utils/lesson03/claims.py, the functions the notebook calls), checked for three
seeds at smoke sizes, and shown to fail on results that contradict them; figures, panel, exercises, bad input."""
import dataclasses

import ipywidgets
import numpy as np
import pandas as pd
import pytest
import torch

from course_utils import budget
from course_utils.claims import ClaimFailed
from course_utils.lesson03 import (
    ADAM,
    DEFAULT_BATCH_SIZE,
    DEFAULT_LR,
    EXERCISES,
    EarlyStoppingMonitor,
    SweepResult,
    capacity_sweep,
    claims,
    diagnose,
    explore_fit,
    explore_fit_panel,
    highest_val_acc,
    label_noise_experiment,
    lowest_val_loss,
    pick_fits,
    plot_capacity_sweep,
    plot_fits,
    plot_label_noise,
)
from course_utils.lesson03.exercises import best_epoch_with_patience
from course_utils.models import mlp
from course_utils.training import train_mlp

SEEDS = (0, 1, 2)
CFG = budget("03", "smoke")


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def sweep(request):
    # The notebook's sweep (every smoke width), as `claims.run` trains it.
    return capacity_sweep(CFG.widths, n_train=CFG.n_train, n_val=CFG.n_val, n_test=CFG.n_test,
                          epochs=CFG.epochs, seed=request.param)


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def noise(request):
    return label_noise_experiment(CFG.label_noise, n_train=CFG.noise_n_train, n_val=CFG.n_val,
                                  n_test=CFG.n_test, epochs=CFG.noise_epochs, seed=request.param)


def test_sweep_claims_hold(sweep):
    for claim in claims.sweep_claims(sweep):
        claim.check()
    fits = pick_fits(sweep)
    assert fits["underfitting"] < fits["well-fitting"] < fits["overfitting"], fits


def test_sweep_claims_fail_on_results_that_contradict_them(sweep):
    table = sweep.table.copy()
    table.loc[0, ["train_acc", "gap"]] = [0.9, 0.2]  # the smallest network fits its training set
    table.loc[table.index[-1], ["train_acc", "gap", "test_acc"]] = [0.9, 0.05, table.test_acc.max() - 0.05]
    contradicted = SweepResult(table, sweep.histories)
    for claim in (claims.claim_smallest_underfits(contradicted), claims.claim_largest_overfits(contradicted),
                  claims.claim_largest_tests_near_best(contradicted)):
        assert claim.margin <= 0 and not claim.holds, claim
        with pytest.raises(ClaimFailed, match="Expected"):
            claim.check()
    # the well-fitting model's validation loss rose as much as the overfitting one's
    fits = pick_fits(sweep)
    same = {**fits, "well-fitting": fits["overfitting"]}
    assert claims.claim_validation_loss_rises(sweep, same).margin <= 0


def test_sweep_figure_draws_training_and_test_accuracy_per_parameter_count(sweep):
    ax, = plot_capacity_sweep(sweep).axes
    train, test = ax.get_lines()
    assert list(train.get_xdata()) == list(sweep.table.parameters) and ax.get_xscale() == "log"
    assert np.allclose(train.get_ydata(), 100 * sweep.table.train_acc)
    assert np.allclose(test.get_ydata(), 100 * sweep.table.test_acc)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "training accuracy", "test accuracy", "gap (training - test)"]
    assert [t.get_text() for t in ax.texts] == [str(w) for w in sweep.table.width]  # one width label per point
    assert ax.get_title() == "Capacity sweep: accuracy after the last epoch"


def test_learning_curve_figure_draws_both_splits_of_the_three_fits(sweep):
    fits = pick_fits(sweep)
    fig = plot_fits(sweep, fits)
    ax_loss, ax_acc = fig.axes
    assert ax_acc.get_legend() is None and len(fig.legends) == 1  # the legend moved beside the plots
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [f"{kind} ({width} units) {split}" for kind, width in fits.items()
                      for split in ("training", "validation")]
    assert len(ax_loss.get_lines()) == len(ax_acc.get_lines()) == 6
    over = sweep.histories[fits["overfitting"]].epochs
    assert np.allclose(ax_loss.get_lines()[5].get_ydata(), over.val_loss)
    assert np.allclose(ax_acc.get_lines()[4].get_ydata(), 100 * over.train_acc)


def test_noise_claims_hold(noise):
    found = claims.noise_claims(noise)
    assert [c.name for c in found] == ["noise_memorized", "clean_first", "early_stopping_wins", "restored_weights"]
    assert [c.kind for c in found] == ["claim"] * 3 + ["check"]
    for claim in found:
        claim.check()


def test_noise_claims_fail_on_results_that_contradict_them(noise):
    flat = noise.epochs.copy()
    flat["test_acc"] = flat["val_acc"] = 0.7  # no peak, nothing lost by training to the end
    flat["noise_memorized"] = flat["clean_fit"]  # clean and wrong labels learned alike
    contradicted = dataclasses.replace(noise, epochs=flat, restored_test_acc=0.6)
    for claim in (claims.claim_noise_memorized(contradicted), claims.claim_clean_first(contradicted),
                  claims.claim_early_stopping_wins(contradicted), claims.check_restored_weights(contradicted)):
        assert not claim.holds, claim
        with pytest.raises(ClaimFailed):
            claim.check()


def test_run_returns_every_claim_of_the_lesson():
    found = claims.run(0, "smoke")
    assert [c.name for c in found] == ["smallest_underfits", "largest_overfits", "largest_tests_near_best",
                                       "validation_loss_rises", "noise_memorized", "clean_first",
                                       "early_stopping_wins", "restored_weights"]
    assert all(claim.holds for claim in found), claims.__name__


def test_default_stopping_rule_keeps_the_first_epoch_of_highest_validation_accuracy(noise):
    assert noise.best_epoch == int(noise.epochs.val_acc.idxmax())


def test_label_noise_figure_marks_the_kept_epoch_and_the_label_ceiling(noise):
    fig = plot_label_noise(noise)
    ax_acc, ax_fit = fig.axes
    frame = noise.epochs
    train, val, test, ceiling, kept, star, end = ax_acc.get_lines()
    assert np.allclose(train.get_ydata(), 100 * frame.train_acc) and np.allclose(val.get_ydata(), 100 * frame.val_acc)
    assert np.allclose(test.get_ydata(), 100 * frame.test_acc)
    assert list(ceiling.get_ydata()) == [pytest.approx(100 * (1 - noise.label_noise))] * 2
    assert list(kept.get_xdata()) == [noise.best_epoch] * 2
    assert star.get_xdata()[0] == noise.best_epoch
    assert star.get_ydata()[0] == pytest.approx(100 * noise.at_best.test_acc)
    assert end.get_xdata()[0] == frame.epoch.iloc[-1]
    assert ax_acc.get_title() == f"{100 * noise.label_noise:.0f}% of training labels wrong"
    assert f"test at best validation epoch ({noise.best_epoch})" in ax_acc.get_legend().get_texts()[4].get_text()
    clean, memorized, _ = ax_fit.get_lines()
    assert np.allclose(clean.get_ydata(), 100 * frame.clean_fit)
    assert np.allclose(memorized.get_ydata(), 100 * frame.noise_memorized)
    assert ax_fit.get_title() == "Clean labels are learned first, noise later"


def test_slider_function_draws_learning_curves_with_a_verdict():
    fig = explore_fit(width=4, depth=2, epochs=2, label_noise=0.2, n_train=200, n_val=100)
    title = fig._suptitle.get_text()
    assert title.startswith("2 hidden layer(s) of 4 units (") and "20% noisy labels: " in title
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Accuracy"]
    assert all(len(ax.get_lines()) == 2 and len(ax.get_lines()[0].get_xdata()) == 3 for ax in fig.axes)  # epochs 0-2
    linear = explore_fit(width=4, depth=0, epochs=1, n_train=200, n_val=100)._suptitle.get_text()
    assert linear.startswith("linear model (7,850 parameters), 0% noisy labels: ")
    assert isinstance(explore_fit_panel(n_train=200, n_val=100), ipywidgets.interactive)


def epochs_table(val_acc, val_loss) -> pd.DataFrame:
    return pd.DataFrame({"epoch": range(len(val_acc)), "val_acc": val_acc, "val_loss": val_loss})


def test_stopping_rules_pick_the_first_best_epoch_of_their_column():
    table = epochs_table([0.1, 0.6, 0.6, 0.5], [2.0, 1.0, 0.8, 0.8])
    assert highest_val_acc(table) == 1 and lowest_val_loss(table) == 2


class Snapshot:
    """The part of a `History` that a stopping rule reads."""

    def __init__(self, val_acc, val_loss):
        self.epochs = epochs_table(val_acc, val_loss)


def test_monitor_copies_the_weights_of_the_epoch_its_rule_keeps(small_data):
    model = mlp(4, 1)
    monitor = EarlyStoppingMonitor(model, small_data.test, lowest_val_loss)
    assert monitor.best_epoch == 0 and len(monitor.test_acc) == 1
    with torch.no_grad():
        model[-1].bias.add_(1.0)
    kept = model[-1].bias.clone()
    monitor(Snapshot([0.1, 0.2], [2.0, 1.0]))  # epoch 1 has the lowest loss so far: its weights are copied
    assert monitor.best_epoch == 1
    with torch.no_grad():
        model[-1].bias.add_(1.0)
    monitor(Snapshot([0.1, 0.2, 0.9], [2.0, 1.0, 1.5]))  # a higher loss at epoch 2: epoch 1 stays
    assert monitor.best_epoch == 1 and len(monitor.test_acc) == 3
    assert torch.equal(monitor.restore_best()[-1].bias, kept)


def test_monitor_refuses_a_rule_that_goes_back_to_weights_it_did_not_keep(small_data):
    # keeps epoch 1, then asks for epoch 0, whose weights were replaced
    monitor = EarlyStoppingMonitor(mlp(4, 1), small_data.test, lambda epochs: len(epochs) - 1 if len(epochs) < 3 else 0)
    monitor(Snapshot([0.1, 0.2], [2.0, 1.0]))
    with pytest.raises(ValueError, match="stopping rule chose epoch 0"):
        monitor(Snapshot([0.1, 0.2, 0.3], [2.0, 1.0, 0.9]))


def test_the_stopping_rule_changes_which_weights_are_kept_not_the_training():
    sizes = {"n_train": 300, "n_val": 300, "n_test": 300, "width": 64, "epochs": 6, "seed": 0}
    by_acc = label_noise_experiment(0.4, **sizes)
    by_loss = label_noise_experiment(0.4, **sizes, stopping_rule=lowest_val_loss)
    pd.testing.assert_frame_equal(by_acc.epochs, by_loss.epochs)
    assert by_acc.best_epoch == int(by_acc.epochs.val_acc.idxmax())
    assert by_loss.best_epoch == int(by_loss.epochs.val_loss.idxmin())
    assert by_loss.restored_test_acc == pytest.approx(by_loss.at_best.test_acc, abs=1e-9)


def test_diagnose():
    assert diagnose(0.5, 0.48).startswith("underfitting")
    assert diagnose(0.99, 0.78).startswith("overfitting")
    assert diagnose(0.86, 0.84).startswith("fits reasonably")


@pytest.mark.parametrize("call, name", [
    (lambda: capacity_sweep((0, 4)), "width"),
    (lambda: capacity_sweep((), n_train=10), "widths"),
    (lambda: capacity_sweep((4,), depth=0), "depth"),
    (lambda: label_noise_experiment(1.0), "label_noise"),
    (lambda: label_noise_experiment(0.2, n_val=0), "n_val"),
    (lambda: explore_fit(depth=-1), "depth"),
    (lambda: diagnose(0.5, 0.5, low=2), "low"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_exercises_give_feedback():
    assert not EXERCISES["diagnose"].check(...) and "No answer yet" in str(EXERCISES["diagnose"].check(...))
    assert EXERCISES["diagnose"].check("c") and not EXERCISES["diagnose"].check("a")
    assert EXERCISES["noise_ceiling"].check(60) and not EXERCISES["noise_ceiling"].check(40)
    assert EXERCISES["learned_first"].check("B") and not EXERCISES["learned_first"].check("c")


def test_patience_exercise_accepts_the_reference_and_hints_each_mistake():
    assert best_epoch_with_patience([0.1, 0.6, 0.5, 0.4, 0.9], 2) == 1
    assert best_epoch_with_patience([0.1, 0.6, 0.5, 0.4, 0.9], 3) == 4
    assert best_epoch_with_patience([0.5, 0.5, 0.5, 0.9], 2) == 0
    exercise = EXERCISES["patience"]
    assert exercise.check(best_epoch_with_patience).correct
    assert "every epoch" in exercise.check(lambda val_acc, patience: int(np.argmax(val_acc))).message

    def rule(strict: bool, late: int):
        def best_epoch(val_acc, patience):
            best = 0
            for epoch in range(1, len(val_acc)):
                if val_acc[epoch] > val_acc[best] or (not strict and val_acc[epoch] == val_acc[best]):
                    best = epoch
                elif epoch - best >= patience + late:
                    break
            return best
        return best_epoch

    assert exercise.check(rule(strict=True, late=0)).correct
    assert "tie" in exercise.check(rule(strict=False, late=0)).message
    assert "Off by one" in exercise.check(rule(strict=True, late=1)).message


def test_every_sweep_model_is_train_mlp_with_adam(small_data):
    sweep = capacity_sweep((8,), epochs=2, data=small_data)
    model, history = train_mlp(small_data, 8, 1, epochs=2, lr=DEFAULT_LR, batch_size=DEFAULT_BATCH_SIZE, **ADAM)
    row = sweep.table.iloc[0]
    assert sweep.histories[8].steps["loss"].equals(history.steps["loss"]) and len(history.steps) == 2 * 32
    assert (row["train_acc"], row["val_acc"]) == (history.final("train_acc"), history.final("val_acc"))
    assert row["parameters"] == sum(p.numel() for p in model.parameters())
