"""Lesson 03's claims, checked for three seeds at smoke sizes (the notebook uses the same thresholds)."""
import ipywidgets
import pytest
from matplotlib.figure import Figure

from course_utils import budget
from course_utils.capacity import (
    EXERCISES, capacity_sweep, diagnose, explore_fit, explore_fit_panel, label_noise_experiment,
    loss_rise, pick_fits, plot_capacity_sweep, plot_fits, plot_label_noise,
)

SEEDS = (0, 1, 2)
CFG = budget("03", "smoke")


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def sweep(request):
    # The smallest, two middle and the largest smoke widths are enough for every claim.
    return capacity_sweep((1, 2, 16, 256), n_train=CFG.n_train, n_val=CFG.n_val, n_test=CFG.n_test,
                          epochs=CFG.epochs, seed=request.param)


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def noise(request):
    return label_noise_experiment(CFG.label_noise, n_train=CFG.noise_n_train, n_val=CFG.n_val,
                                  n_test=CFG.n_test, epochs=CFG.noise_epochs, seed=request.param)


def test_smallest_model_underfits(sweep):
    tiny = sweep.table.iloc[0]
    assert tiny.train_acc < 0.5 and tiny.gap < 0.07, sweep.table


def test_largest_model_overfits(sweep):
    large = sweep.table.iloc[-1]
    assert large.train_acc > 0.95 and large.gap > 0.12, sweep.table


def test_extra_capacity_buys_training_not_test_accuracy(sweep):
    large = sweep.table.iloc[-1]
    assert large.test_acc > sweep.table.test_acc.max() - 0.03, sweep.table


def test_learning_curves_of_the_three_fits(sweep):
    fits = pick_fits(sweep)
    assert fits["underfitting"] < fits["well-fitting"] < fits["overfitting"], fits
    rise = {kind: loss_rise(sweep.histories[width]) for kind, width in fits.items()}
    assert rise["underfitting"] < 1.05 and rise["overfitting"] > 1.25, rise
    assert rise["well-fitting"] < rise["overfitting"], rise
    assert isinstance(plot_fits(sweep, fits), Figure) and isinstance(plot_capacity_sweep(sweep), Figure)


def test_label_noise_is_memorized_and_early_stopping_wins(noise):
    last, best, peak = noise.last, noise.at_best, noise.test_peak
    assert last.train_acc > best.train_acc + 0.2, noise.epochs
    assert last.test_acc < peak.test_acc - 0.05, noise.epochs
    assert last.val_acc < noise.epochs.val_acc.max() - 0.05, noise.epochs
    assert best.test_acc > last.test_acc + 0.03, noise.epochs
    # The checkpoint holds the weights of the best validation epoch.
    assert noise.restored_test_acc == pytest.approx(best.test_acc, abs=1e-9)
    assert isinstance(plot_label_noise(noise), Figure)


def test_clean_labels_are_learned_before_the_noise(noise):
    best, last = noise.at_best, noise.last
    assert best.clean_fit > best.noise_memorized + 0.4, noise.epochs
    assert last.noise_memorized > best.noise_memorized + 0.3, noise.epochs


def test_slider_function_runs_headless():
    assert isinstance(explore_fit(width=4, depth=2, epochs=2, label_noise=0.2, n_train=200, n_val=100), Figure)
    assert isinstance(explore_fit(width=4, depth=0, epochs=1, n_train=200, n_val=100), Figure)
    assert isinstance(explore_fit_panel(n_train=200, n_val=100), ipywidgets.interactive)


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
    import numpy as np

    from course_utils.capacity import EXERCISES, best_epoch_with_patience

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
