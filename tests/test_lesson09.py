"""Lesson 09 (weight decay): update rules, experiments, claims, figures, slider and exercises."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from course_utils.claims import Claim
from course_utils.config import PROFILE_NAMES, budget
from course_utils.data import check_split_sizes, fashion_mnist
from course_utils.lesson09 import (
    DECAY_GRID,
    EXERCISES,
    SMITH_GRID,
    DecaySweep,
    adam_l2,
    adamw,
    adamw_by_hand,
    adamw_step,
    best_decay_per_lr,
    best_decay_per_size,
    claim_lr_decay_interact,
    claim_small_set_larger_decay,
    claim_smith_grid_too_weak,
    claim_weight_norm_falls,
    compare_update_rules,
    decay_sweep,
    explore_decay,
    explore_decay_panel,
    l2_penalty,
    lr_decay_grid,
    optimizer_runs,
    plot_decay_sweep,
    plot_heat_map,
    plot_learning_curves,
    plot_size_sweep,
    plot_update_rules,
    sgd,
    sgd_by_hand,
    sgd_l2_step,
    sgd_no_bias_decay,
    size_sweep,
    train_tiny,
    train_with_decay,
    weight_norm,
)
from course_utils.lesson09 import claims as lesson_claims
from course_utils.validation import check_fraction, check_int

TINY = {"epochs": 2, "width": 16, "batch_size": 50, "seed": 0}


@pytest.fixture(scope="module")
def tiny_data():
    return fashion_mnist(200, 100, 100, label_noise=0.4, seed=0, device="cpu")


@pytest.fixture(scope="module")
def tiny_sweep(tiny_data):
    return decay_sweep(tiny_data, (0.0, 1e-3, 0.1), lr=0.05, **TINY)


# --------------------------------------------------------------------------- update rules

def test_l2_penalty_is_half_wd_times_squared_norm():
    params = [torch.tensor([1.0, 2.0]), torch.tensor([[3.0]])]
    assert float(l2_penalty(params, 0.5)) == pytest.approx(0.25 * 14)
    with pytest.raises(ValueError, match="weight_decay"):
        l2_penalty(params, -1.0)


def test_sgd_l2_in_loss_equals_weight_decay_and_formula():
    for momentum in (0.0, 0.9):
        a = train_tiny("sgd", 0.1, penalty_in_loss=True, momentum=momentum)
        b = train_tiny("sgd", 0.1, penalty_in_loss=False, momentum=momentum)
        c = sgd_by_hand(0.1, momentum=momentum)
        assert torch.allclose(a, b, rtol=0, atol=1e-13) and torch.allclose(b, c, rtol=0, atol=1e-13)


def test_adamw_matches_the_formula_and_differs_from_adam_l2():
    torch_adamw = train_tiny("adamw", 0.1, penalty_in_loss=False)
    assert torch.allclose(torch_adamw, adamw_by_hand(0.1), rtol=0, atol=1e-12)
    adam = train_tiny("adam", 0.1, penalty_in_loss=False)
    assert torch.allclose(adam, train_tiny("adam", 0.1, penalty_in_loss=True), rtol=0, atol=1e-13)
    assert (adam - torch_adamw).abs().max() > 1e-3


def test_compare_update_rules_table():
    rules = compare_update_rules(steps=3)
    assert list(rules.columns) == ["comparison", "formula", "same", "relative_difference"]
    assert (rules.loc[rules["same"], "relative_difference"] < 1e-12).all()
    assert (rules.loc[~rules["same"], "relative_difference"] > 1e-3).all()


@pytest.mark.parametrize("kwargs, name", [
    ({"lr": -0.1}, "lr"), ({"weight_decay": 0.0}, "weight_decay"), ({"weight_decay": -1.0}, "weight_decay"),
    ({"steps": 0}, "steps"), ({"momentum": 1.0}, "momentum"),
])
def test_compare_update_rules_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        compare_update_rules(**kwargs)


def test_train_tiny_rejects_bad_input():
    with pytest.raises(ValueError, match="optimizer"):
        train_tiny("lbfgs", 0.1, penalty_in_loss=False)
    with pytest.raises(ValueError, match="weight_decay"):
        train_tiny("sgd", -0.1, penalty_in_loss=False)


# --------------------------------------------------------------------------- optimizer factories

def test_optimizer_factories_build_the_right_torch_optimizers():
    params = [torch.nn.Parameter(torch.ones(2, 2)), torch.nn.Parameter(torch.ones(2))]
    opt = sgd(momentum=0.5)(params, 0.1, 0.01)
    assert isinstance(opt, torch.optim.SGD) and opt.param_groups[0]["momentum"] == 0.5
    assert opt.param_groups[0]["weight_decay"] == 0.01
    assert type(adam_l2()(params, 1e-3, 0.1)) is torch.optim.Adam
    assert type(adamw()(params, 1e-3, 0.1)) is torch.optim.AdamW
    split = sgd_no_bias_decay(params, 0.1, 0.01)
    assert [g["weight_decay"] for g in split.param_groups] == [0.01, 0.0]
    assert [p.ndim for p in split.param_groups[1]["params"]] == [1]


@pytest.mark.parametrize("kwargs, match", [
    ({"momentum": 1.0}, "momentum"), ({"momentum": 1.5}, "momentum"), ({"momentum": -0.1}, "momentum"),
    ({"momentum": 0.0, "nesterov": True}, "nesterov"),
])
def test_sgd_factory_gives_make_optimizers_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sgd(**kwargs)


def test_negative_decay_is_refused_by_the_factories(tiny_data):
    params = [torch.nn.Parameter(torch.ones(2))]
    for factory in (sgd(), adam_l2(), adamw()):
        with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
            factory(params, 0.1, -1e-3)


# --------------------------------------------------------------------------- experiments

def test_train_with_decay_measures_a_run(tiny_data):
    run = train_with_decay(tiny_data, 0.01, lr=0.05, **TINY)
    assert len(run.history.epochs) == TINY["epochs"] + 1 and not run.history.diverged
    assert 0 <= run.test_acc <= 1 and 0 <= run.val_acc <= 1 and run.weights.shape == (4096,)
    assert run.exposure == pytest.approx(0.01 * run.history.steps["lr"].sum())
    assert run.gap == pytest.approx(run.train_acc - run.test_acc)
    row = run.row()
    assert set(row) >= {"weight_decay", "lr", "val_acc", "test_acc", "weight_norm", "exposure", "diverged"}


def test_curves_false_skips_the_validation_pass_but_keeps_final_numbers(tiny_data):
    with_curves = train_with_decay(tiny_data, 0.01, lr=0.05, **TINY)
    without = train_with_decay(tiny_data, 0.01, lr=0.05, curves=False, **TINY)
    assert without.history.epochs["val_acc"].isna().all()
    assert without.val_acc == pytest.approx(with_curves.val_acc) and without.weight_norm == pytest.approx(
        with_curves.weight_norm)


def test_weight_norm_of_a_known_model():
    model = torch.nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.fill_(1.0)
    assert weight_norm(model) == pytest.approx(2.0)


def test_a_diverging_run_is_reported_not_raised(tiny_data):
    run = train_with_decay(tiny_data, 0.0, lr=50.0, schedule=None, **TINY)
    assert run.history.diverged and "diverged" in run.history.message


@pytest.mark.parametrize("kwargs, name", [
    ({"weight_decay": -0.1}, "weight_decay"), ({"lr": 0.0}, "lr"), ({"epochs": 0}, "epochs"),
    ({"width": 0}, "width"), ({"batch_size": 10_000}, "batch_size"), ({"max_steps": 0}, "max_steps"),
])
def test_train_with_decay_rejects_bad_input(tiny_data, kwargs, name):
    args = {"weight_decay": 0.01, "lr": 0.05, **TINY, **kwargs}
    with pytest.raises(ValueError, match=name):
        train_with_decay(tiny_data, **args)


def test_decay_sweep_table_and_best(tiny_sweep):
    table = tiny_sweep.table
    assert list(table["weight_decay"]) == [0.0, 1e-3, 0.1]
    assert table["weight_norm"].iloc[-1] < table["weight_norm"].iloc[0]
    best = tiny_sweep.best()
    assert best["val_acc"] == table["val_acc"].max()
    assert tiny_sweep.best(among=(0.0,))["weight_decay"] == 0.0
    assert tiny_sweep.at(0.1)["weight_norm"] == table["weight_norm"].iloc[-1]
    with pytest.raises(ValueError, match="among"):
        tiny_sweep.best(among=(0.5,))


def test_decay_sweep_rejects_bad_decays(tiny_data):
    with pytest.raises(ValueError, match="decays"):
        decay_sweep(tiny_data, (), lr=0.05, **TINY)
    with pytest.raises(ValueError, match="weight_decay"):
        decay_sweep(tiny_data, (0.0, -1e-3), lr=0.05, **TINY)


def test_lr_decay_grid_and_best_per_lr(tiny_data):
    grid = lr_decay_grid(tiny_data, (0.1, 0.01), (0.0, 0.1), **TINY)
    assert len(grid) == 4 and sorted(grid["lr"].unique()) == [0.01, 0.1]
    best = best_decay_per_lr(grid)
    assert list(best["lr"]) == [0.01, 0.1] and (best["gain"] >= 0).all()
    with pytest.raises(ValueError, match="lrs"):
        lr_decay_grid(tiny_data, (), (0.0,), **TINY)
    with pytest.raises(ValueError, match="lr"):
        lr_decay_grid(tiny_data, (-0.1,), (0.0,), **TINY)


def test_size_sweep_uses_equal_steps():
    table = size_sweep((100, 300), (0.0, 0.1), steps=12, batch_size=50, n_val=100, n_test=100, label_noise=0.4,
                       lr=0.05, width=16)
    assert sorted(table["n_train"].unique()) == [100, 300]
    best = best_decay_per_size(table)
    assert list(best["n_train"]) == [100, 300] and set(best["best_decay"]) <= {0.0, 0.1}
    for bad, name in [({"sizes": ()}, "sizes"), ({"steps": 0}, "steps"), ({"label_noise": 1.0}, "label_noise"),
                      ({"sizes": (0,)}, "n_train")]:
        args = {"sizes": (100,), "decays": (0.0,), "steps": 5, "n_val": 100, "n_test": 100, **bad}
        with pytest.raises(ValueError, match=name):
            size_sweep(**args)


def test_optimizer_runs_keys(tiny_data):
    runs = optimizer_runs(tiny_data, (0.0, 0.1), **TINY)
    assert sorted(runs) == sorted((label, d) for label in ("SGD + L2", "Adam + L2", "AdamW") for d in (0.0, 0.1))
    with pytest.raises(ValueError, match="optimizers"):
        optimizer_runs(tiny_data, (0.0,), optimizers={}, **TINY)


# --------------------------------------------------------------------------- claims

def _sweep(norms, val, test, train=None) -> DecaySweep:
    decays = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1)
    train = train or [1.0] * len(decays)
    table = pd.DataFrame({"weight_decay": decays, "weight_norm": norms, "val_acc": val, "test_acc": test,
                          "train_acc": train})
    table["gap"] = table["train_acc"] - table["test_acc"]
    return DecaySweep(table, {})


def test_claim_functions_hold_and_fail_on_made_up_results():
    falling = _sweep([10, 9.9, 9.8, 9, 6, 4, 2], [0.6] * 6 + [0.7], [0.6] * 6 + [0.7])
    assert claim_weight_norm_falls({"x": falling}).holds
    rising = _sweep([10, 9.9, 9.8, 9, 6, 7, 2], [0.6] * 7, [0.6] * 7)
    assert not claim_weight_norm_falls({"x": rising}).holds
    assert claim_smith_grid_too_weak(falling).margin == pytest.approx(0.1 - lesson_claims.SMITH_SHORTFALL_AT_LEAST)
    assert not claim_smith_grid_too_weak(_sweep([1] * 7, [0.6, 0.6, 0.6, 0.7, 0.6, 0.6, 0.65],
                                                [0.6, 0.6, 0.6, 0.7, 0.6, 0.6, 0.7])).holds
    grid = pd.DataFrame({"lr": [0.01, 0.01, 0.1, 0.1], "weight_decay": [0.0, 0.1] * 2,
                         "val_acc": [0.70, 0.70, 0.60, 0.70]})
    assert claim_lr_decay_interact(grid).margin == pytest.approx(0.1 - lesson_claims.INTERACTION_AT_LEAST)
    sizes = pd.DataFrame({"n_train": [100, 100, 1000, 1000], "weight_decay": [0.0, 0.1] * 2,
                          "val_acc": [0.5, 0.6, 0.8, 0.7], "test_acc": [0.5, 0.6, 0.8, 0.7]})
    assert claim_small_set_larger_decay(sizes).margin == 1.0
    flipped = sizes.assign(n_train=[1000, 1000, 100, 100])
    assert not claim_small_set_larger_decay(flipped).holds


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lesson_claims_hold_in_the_smoke_profile(seed):
    claims = lesson_claims.run(seed, "smoke")
    assert len(claims) == 11 and all(isinstance(c, Claim) for c in claims)
    assert sum(c.kind == "check" for c in claims) == 3
    for claim in claims:
        claim.check()


# --------------------------------------------------------------------------- figures and slider

def test_plot_update_rules_draws_one_bar_per_comparison():
    rules = compare_update_rules(steps=2)
    fig = plot_update_rules(rules)
    ax = fig.axes[0]
    assert len(ax.patches) == len(rules) and "Three ways" in ax.get_title()


def test_sweep_figures_draw_their_data(tiny_sweep):
    fig = plot_decay_sweep({"noisy": tiny_sweep})
    ax_norm, ax_acc = fig.axes
    assert list(ax_norm.lines[0].get_ydata()) == list(tiny_sweep.table["weight_norm"])
    assert np.allclose(ax_acc.lines[0].get_ydata(), 100 * tiny_sweep.table["test_acc"])
    curves = plot_learning_curves(tiny_sweep, (0.0, 0.1))
    assert len(curves.axes[0].lines) == 4
    assert len(curves.axes[0].lines[0].get_xdata()) == TINY["epochs"] + 1


def test_heat_map_and_size_figures():
    grid = pd.DataFrame({"lr": [0.01, 0.01, 0.1, 0.1], "weight_decay": [0.0, 0.1] * 2,
                         "val_acc": [0.70, 0.71, 0.60, 0.72]})
    fig = plot_heat_map(grid)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["60.0", "72.0", "70.0", "71.0"]  # the largest lr is the top row
    sizes = pd.DataFrame({"n_train": [100, 100, 1000, 1000], "weight_decay": [0.0, 0.1] * 2,
                          "val_acc": [0.5, 0.6, 0.8, 0.7]})
    ax = plot_size_sweep(sizes).axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert "best for 100: wd = 0.1" in labels and "best for 1,000: wd = 0" in labels


def test_slider_function_and_panel(tiny_data):
    runs = optimizer_runs(tiny_data, (0.0, 0.1), **TINY)
    fig = explore_decay(runs, "AdamW", 0.1)
    ax_hist, ax_curves = fig.axes
    assert "AdamW, weight decay 0.1" in fig.get_suptitle()
    assert len(ax_curves.lines) == 4  # no decay and the chosen decay, training and validation
    assert len(explore_decay(runs, "SGD + L2", 0.0).axes[1].lines) == 2
    with pytest.raises(ValueError, match="optimizer"):
        explore_decay(runs, "Lion", 0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        explore_decay(runs, "AdamW", 0.5)
    panel = explore_decay_panel(runs)
    controls = {w.description: w for w in panel.controls}
    assert set(controls) == {"optimizer", "weight decay"}
    assert [value for _, value in controls["weight decay"].options] == [0.0, 0.1]
    assert [label for label, _ in controls["optimizer"].options] == ["SGD + L2", "Adam + L2", "AdamW"]


# --------------------------------------------------------------------------- exercises

def test_exercise_references_pass_and_mistakes_get_hints():
    assert EXERCISES["sgd_l2_step"].check(sgd_l2_step)
    assert EXERCISES["adamw_step"].check(adamw_step)
    no_lr = EXERCISES["sgd_l2_step"].check(lambda w, grad, lr, weight_decay: w - lr * grad - weight_decay * w)
    assert not no_lr and "factor" in no_lr.message
    coupled = EXERCISES["adamw_step"].check(
        lambda w, m_hat, v_hat, lr, weight_decay, eps=1e-8:
        w - lr * (m_hat + weight_decay * w) / (np.sqrt(v_hat) + eps))
    assert not coupled and "Adam + L2" in coupled.message
    after = EXERCISES["adamw_step"].check(
        lambda w, m_hat, v_hat, lr, weight_decay, eps=1e-8:
        (w - lr * m_hat / (np.sqrt(v_hat) + eps)) * (1 - lr * weight_decay))
    assert not after and "after" in after.message
    assert EXERCISES["shrink_factor"].check(math.exp(-0.05))
    assert not EXERCISES["shrink_factor"].check((1 - 5e-4) ** 1000)  # forgot the learning rate
    assert EXERCISES["adam_l2"].check("a") and not EXERCISES["adam_l2"].check("b")
    assert all(ex.show_solution().text for ex in EXERCISES.values())


# --------------------------------------------------------------------------- budget

@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_budget_sizes_are_accepted(profile):
    cfg = budget("09", profile)
    check_split_sizes(cfg.n_train, cfg.n_val, cfg.n_test)
    for size in cfg.sizes:
        check_split_sizes(size, cfg.n_val, cfg.n_test)
        check_int("batch_size", cfg.batch_size, 1, size)
    check_int("batch_size", cfg.batch_size, 1, cfg.n_train)
    check_fraction("label_noise", cfg.label_noise, include_one=False)
    assert set(SMITH_GRID) <= set(cfg.decays) and 0.0 in cfg.grid_decays and 0.0 in cfg.size_decays
    assert 0.0 in cfg.panel_decays and len(cfg.grid_lrs) >= 2
    for knob in ("epochs", "grid_epochs", "size_steps", "panel_epochs", "width"):
        check_int(knob, getattr(cfg, knob), 1)
    assert tuple(DECAY_GRID) == tuple(cfg.decays)
