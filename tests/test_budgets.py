"""Every lesson's sizes, in every profile, against what the functions they feed accept.

No training and no data loading: each rule calls the same argument check that the lesson's
function runs first (`check_split_sizes` for Fashion-MNIST splits, `check_int` for batch
sizes), so a budget that would stop a lesson at its first data cell fails here instead.
A lesson added to `BUDGETS` needs an entry in `RULES`.
"""
from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from course_utils.config import BUDGETS, PROFILE_NAMES, budget
from course_utils.data import check_split_sizes
from course_utils.validation import check_fraction, check_int


def splits(cfg, n_train: str = "n_train", n_val: str | None = "n_val", n_test: str | None = "n_test") -> None:
    """A `fashion_mnist` call with these knobs (None: the argument is not passed)."""
    check_split_sizes(getattr(cfg, n_train),
                      getattr(cfg, n_val) if n_val else 0,
                      getattr(cfg, n_test) if n_test else None)


def batches_within(cfg, knob: str, n_train: int, *, below: bool = False) -> None:
    """Every batch size of ``knob`` (an int or a tuple) between 1 and the training-set size."""
    values = getattr(cfg, knob)
    for value in values if isinstance(values, tuple) else (values,):
        check_int(knob, value, 1, n_train - 1 if below else n_train, "the training-set size")


def positive_ints(cfg, *knobs: str) -> None:
    for knob in knobs:
        values = getattr(cfg, knob)
        for value in values if isinstance(values, tuple) else (values,):
            check_int(knob, value, 1)


def lesson_00(cfg) -> None:
    splits(cfg, n_test=None)
    positive_ints(cfg, "epochs", "width")
    check_int("batch_size", 128, 1, cfg.n_train)  # fit's default batch


def lesson_01(cfg) -> None:
    splits(cfg, n_val=None)
    for size in cfg.sizes:  # size_sweep and the slider's largest training set
        check_split_sizes(size, 0, cfg.n_test)
    positive_ints(cfg, "epochs", "sweep_epochs")


def lesson_02(cfg) -> None:
    positive_ints(cfg, "poly_resamples", "poly_test_points", "nn_widths", "nn_resamples", "nn_epochs",
                  "dd_train", "dd_seeds")
    check_int("nn_resamples", cfg.nn_resamples, 2)  # a variance needs two fits


def lesson_03(cfg) -> None:
    splits(cfg)
    splits(cfg, n_train="noise_n_train")
    check_fraction("label_noise", cfg.label_noise)
    positive_ints(cfg, "widths", "epochs", "noise_epochs")


def lesson_04(cfg) -> None:
    splits(cfg, n_val=None, n_test=None)
    # gradient_quality draws batches without replacement; the lesson keeps the finite-population
    # factor (N - B) / (N - 1) above 0.87 (about B <= N/8)
    batches_within(cfg, "grad_batch_sizes", cfg.n_train, below=True)
    factor = (cfg.n_train - max(cfg.grad_batch_sizes)) / (cfg.n_train - 1)
    if factor < 0.87:
        raise ValueError(f"grad_batch_sizes must keep (N - B)/(N - 1) >= 0.87 (got {factor:.3f})")
    batches_within(cfg, "timing_batch_sizes", cfg.n_train)
    batches_within(cfg, "minibatch_size", cfg.n_train)
    positive_ints(cfg, "full_batch_epochs", "minibatch_epochs", "stochastic_epochs", "grad_n_batches")


def lesson_05(cfg) -> None:
    splits(cfg, n_val=None)
    splits(cfg, n_train="gen_n_train", n_val=None, n_test="gen_n_test")
    check_split_sizes(cfg.panel_n_train, 0, None)
    check_int("batch_size", 128, 1, min(cfg.n_train, cfg.gen_n_train, cfg.panel_n_train))
    positive_ints(cfg, "epochs", "sweep_epochs", "sweep_points_per_decade", "gen_seeds", "gen_max_epochs")


def lesson_06(cfg) -> None:
    splits(cfg)
    if cfg.n_train % 128:
        raise ValueError(f"n_train must be a multiple of the batch size 128 (got {cfg.n_train})")
    check_int("val_size", cfg.val_size, 1, cfg.n_val, "the validation split")
    positive_ints(cfg, "n_seeds", "compare_epochs", "one_cycle_epochs")


def lesson_07(cfg) -> None:
    splits(cfg)
    check_int("n_small", cfg.n_small, 1, cfg.n_train, "the training split")
    batches_within(cfg, "throughput_batch_sizes", cfg.n_train)
    for knob in ("batch_sizes", "grid_batch_sizes", "steps_batch_sizes", "gap_batch", "base_batch",
                 "noise_batch_size"):
        batches_within(cfg, knob, cfg.n_small)
    check_int("noise_examples", cfg.noise_examples, 1, cfg.n_small, "the experiments' training set")
    batches_within(cfg, "noise_b_big", cfg.noise_examples)
    check_int("noise_b_small", cfg.noise_b_small, 1, cfg.noise_b_big - 1, "below noise_b_big")
    check_int("panel_n_train", cfg.panel_n_train, 1, cfg.n_train, "the training split")
    positive_ints(cfg, "epochs", "per_epoch", "grid_max_epochs", "noise_epochs", "noise_n_batches",
                  "throughput_repeats", "grow_phases", "grow_epochs_per_phase")


def lesson_08(cfg) -> None:
    splits(cfg)
    batches_within(cfg, "batch_size", cfg.n_train)
    if min(cfg.kappas) < 1:
        raise ValueError(f"kappas must be condition numbers >= 1 (got {cfg.kappas})")
    positive_ints(cfg, "stability_points", "stability_steps", "width", "epochs")


def lesson_09(cfg) -> None:
    splits(cfg)
    check_fraction("label_noise", cfg.label_noise)
    for size in cfg.sizes:  # a smaller and a larger training set, same validation and test splits
        check_split_sizes(size, cfg.n_val, cfg.n_test)
    batches_within(cfg, "batch_size", min(cfg.n_train, *cfg.sizes))
    positive_ints(cfg, "width", "epochs", "grid_epochs", "size_steps", "panel_epochs")


def lesson_10(cfg) -> None:
    splits(cfg)
    check_split_sizes(cfg.search_n_train, cfg.search_n_val, None)
    check_int("batch_size", 256, 1, cfg.n_train // 4)  # the recipe's largest batch keeps 4 updates an epoch
    side = round(cfg.gvr_trials ** 0.5)
    if side * side != cfg.gvr_trials:
        raise ValueError(f"gvr_trials must be a perfect square, the grid being k x k (got {cfg.gvr_trials})")
    positive_ints(cfg, "epochs", "gvr_repeats", "search_trials", "search_epochs", "class_trials")


RULES: dict[str, Callable[[SimpleNamespace], None]] = {
    "00": lesson_00, "01": lesson_01, "02": lesson_02, "03": lesson_03, "04": lesson_04, "05": lesson_05,
    "06": lesson_06, "07": lesson_07, "08": lesson_08, "09": lesson_09, "10": lesson_10,
}


def test_every_lesson_has_rules():
    assert sorted(RULES) == sorted(BUDGETS), "add the new lesson's budget rules to RULES in tests/test_budgets.py"


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("lesson", sorted(BUDGETS))
def test_budget_is_accepted(lesson, profile):
    RULES[lesson](budget(lesson, profile))


def test_the_old_lesson_00_gpu_budget_is_caught():
    """Lesson 00 once asked for 60,000 training plus 10,000 validation images."""
    bad = SimpleNamespace(**{**vars(budget("00", "gpu")), "n_train": 60_000, "n_val": 10_000})
    with pytest.raises(ValueError, match="n_train must be an integer in \\[1, 50000\\]"):
        lesson_00(bad)


def test_a_batch_larger_than_the_data_is_caught():
    bad = SimpleNamespace(**{**vars(budget("04", "smoke")), "timing_batch_sizes": (1, 10**6)})
    with pytest.raises(ValueError, match="timing_batch_sizes"):
        lesson_04(bad)
