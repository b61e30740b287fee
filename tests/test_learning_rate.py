"""Lesson 05's claims, checked at smoke sizes for three seeds, plus its helpers and exercises."""
import math

import numpy as np
import pandas as pd
import pytest

from course_utils.claims import ClaimFailed
from course_utils.lesson05 import (
    BATCH_SIZE,
    CLOSED_FORM_RTOL,
    EXERCISES,
    GOOD_LOSS_REMOVED_PCT,
    LOSS_MATCH_MAX,
    catch_up_grid,
    check_closed_form_rates,
    check_comparison_matched,
    check_quadratic_regimes,
    check_schedules_train,
    check_sweep_diverges_at_top,
    check_too_large_diverges,
    claim_adam_beats_sgd_at_defaults,
    claim_adam_best_below_sgd,
    claim_good_ranges,
    claim_good_rate_catches_up,
    claim_good_rate_trains,
    compare_schedules,
    default_optimizers,
    describe_generalization,
    describe_sensitivity,
    equal_epoch_table,
    explore_learning_rate,
    explore_quadratic,
    factor_schedule,
    gd_on_quadratic,
    generalization_table,
    good_lr_ranges,
    learning_rate_panel,
    load_data,
    loss_match_ratio,
    lr_generalization,
    lr_regimes,
    lr_sweep,
    measured_regime,
    plot_generalization,
    plot_lr_sweep,
    plot_optimizers,
    plot_quadratic_iterates,
    plot_regimes,
    plot_schedule_runs,
    predicted_regime,
    quadratic_panel,
    quadratic_regimes,
    regimes_table,
    schedules_table,
    sweep_grid,
    t_critical_95,
    train_to_target,
    train_tracking_test,
)
from course_utils.lesson05.claims import run
from course_utils.lesson05.experiments import DEPTH
from course_utils.training import evaluate, train_mlp

SEEDS = (0, 1, 2)
SIZES = {"epochs": 3, "width": 64}  # smoke sizes, as in budget("05", "smoke")


# ---------------------------------------------------------------- quadratic
def test_quadratic_regimes_follow_theory():
    table = quadratic_regimes((0.2, 0.5, 0.9, 1.0, 1.1, 1.5, 1.9, 2.0, 2.1, 3.0), curvature=3.0, n_steps=15)
    assert (table["predicted"] == table["measured"]).all(), table
    by_factor = dict(zip(table["lr x L"], table["measured"], strict=True))
    assert {by_factor[f] for f in (0.2, 0.5, 0.9)} == {"monotone"}
    assert {by_factor[f] for f in (1.1, 1.5, 1.9)} == {"oscillating"}
    assert {by_factor[f] for f in (2.1, 3.0)} == {"diverging"}


def test_gd_iterates_match_the_formula():
    lr, curvature = 0.13, 5.0
    np.testing.assert_allclose(gd_on_quadratic(lr, curvature, x0=2.0, n_steps=10),
                               2.0 * (1 - lr * curvature) ** np.arange(11), rtol=1e-12)


def test_measured_regime_reads_the_iterates_not_the_formula():
    assert measured_regime([1.0, 0.5, 0.2]) == "monotone"
    assert measured_regime([1.0, -0.5, 0.2]) == "oscillating"
    assert measured_regime([1.0, -1.5, 2.0]) == "diverging"
    assert measured_regime([1.0, 0.5, 0.7]) == "other"
    assert predicted_regime(0.25, 4.0) == "one step"
    with pytest.raises(ValueError, match="iterates must have"):
        measured_regime([1.0])


def test_the_prediction_prompt_rates():
    """The notebook asks about lr = 0.3 and 0.55 with L = 4 (lr x L = 1.2 and 2.2)."""
    assert measured_regime(gd_on_quadratic(0.3, 4.0, n_steps=12)) == "oscillating"
    assert measured_regime(gd_on_quadratic(0.55, 4.0, n_steps=12)) == "diverging"


# ---------------------------------------------------------------- Fashion-MNIST claims, three seeds
CLAIM_NAMES = ["quadratic_regimes", "good_rate_trains", "good_rate_catches_up", "too_large_diverges",
               "schedules_train", "closed_form_rates", "adam_beats_sgd_at_defaults", "good_ranges",
               "adam_best_below_sgd", "sweep_diverges_at_top", "comparison_matched"]


@pytest.mark.parametrize("seed", SEEDS)
def test_claims_hold_in_smoke(seed):
    claims = run(seed, "smoke")
    assert [c.name for c in claims] == CLAIM_NAMES
    assert {c.name for c in claims if c.kind == "check"} == {"quadratic_regimes", "too_large_diverges",
                                                              "schedules_train", "closed_form_rates",
                                                              "sweep_diverges_at_top", "comparison_matched"}
    for claim in claims:
        claim.check()


@pytest.fixture(scope="module")
def regime_runs():
    return lr_regimes(load_data(2000, 1000, seed=0), seed=0, **SIZES)


def test_claims_fail_when_they_should(regime_runs):
    summary = regimes_table(regime_runs)
    assert claim_good_rate_trains(summary).holds and claim_good_rate_catches_up(regime_runs).holds
    assert large_made(summary) < 3 * math.ceil(2000 / 64) and check_too_large_diverges(summary).holds
    # the good rate removing too little, or the runs swapped: the claims must fail
    weak = summary.copy()
    weak.loc["good", "loss removed (%)"] = GOOD_LOSS_REMOVED_PCT - 1
    assert not claim_good_rate_trains(weak).holds
    swapped = {"too small": regime_runs["good"], "good": regime_runs["too small"]}
    with pytest.raises(ValueError, match="eval_every"):
        claim_good_rate_catches_up(swapped)
    slow = {"too small": regime_runs["good"], "good": lr_regimes(load_data(2000, 1000, seed=0), seed=0,
                                                                 lrs={"good": 1e-3}, **SIZES)["good"]}
    failed = claim_good_rate_catches_up(slow)
    assert not failed.holds and "never" in failed.measured
    with pytest.raises(ClaimFailed, match="Expected: share of the updates"):
        failed.check()
    tame = summary.copy()
    tame.loc["too large", ["diverged", "updates made"]] = [False, summary["updates made"].max()]
    assert not check_too_large_diverges(tame).holds
    optimizers = pd.DataFrame({"final train loss": [1.0, 0.6]}, index=["SGD", "Adam"])
    assert not claim_adam_beats_sgd_at_defaults(optimizers).holds
    optimizers.loc["Adam", "final train loss"] = 0.4
    assert claim_adam_beats_sgd_at_defaults(optimizers).margin == pytest.approx(0.1)
    ranges = pd.DataFrame({"best lr": [0.3, 0.3], "good lrs": [3, 1], "smallest lr that diverged": [3.0, np.nan]},
                          index=["sgd", "adam"])
    assert not claim_good_ranges(ranges).holds and not claim_adam_best_below_sgd(ranges).holds
    assert not check_sweep_diverges_at_top(ranges).holds
    regimes = quadratic_regimes((0.3, 2.2), curvature=4.0)
    assert check_quadratic_regimes(regimes).holds
    regimes.loc[1, "measured"] = "monotone"
    assert not check_quadratic_regimes(regimes).holds
    table = pd.DataFrame({"diverged": [False, True], "final test accuracy (%)": [80.0, math.nan],
                          "max relative deviation from closed form": [0.0, 2e-6]}, index=["constant", "cosine"])
    assert not check_schedules_train(table).holds and not check_closed_form_rates(table).holds


def large_made(summary):
    return int(summary.loc["too large", "updates made"])


def test_catch_up_grid_is_fine_early_and_geometric_later():
    grid = catch_up_grid(96)
    assert grid[:10] == list(range(1, 11)) and grid[-1] == 96
    # about 10% apart after 10 (rounding to whole updates moves a point by at most half an update)
    assert all(b <= 1.1 * (a + 0.5) + 0.5 for a, b in zip(grid[10:], grid[11:], strict=False)) and len(grid) < 40


def test_generalization_runs_are_matched_in_training_loss():
    target = 0.3
    histories = lr_generalization(n_train=500, n_test=1000, seeds=SEEDS, target_loss=target, max_epochs=150, width=64)
    table = generalization_table(histories, target)
    check_comparison_matched(table).check()
    assert (loss_match_ratio(table) < LOSS_MATCH_MAX).all(), table
    text = describe_generalization(table)
    assert "95% confidence interval" in text and "inconclusive at this size" in text
    unfair = table.copy()
    unfair.loc[0, "reached target"] = False
    assert not check_comparison_matched(unfair).holds
    assert set(equal_epoch_table(histories)["rate"]) == {"small", "large"}
    figure = plot_generalization(histories, target)
    ax = figure.axes[0]
    assert ax.get_title() == "Test accuracy at each training loss (ringed: stop)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["small lr = 0.02", "large lr = 0.2",
                                                                   "target loss 0.3"]
    assert ax.xaxis_inverted()
    first = histories[("small", 0)].epochs.iloc[1:]  # the first run's dots: every epoch after the untrained one
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), first["train_loss"])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), 100 * first["test_acc"])


# ---------------------------------------------------------------- helpers, plots, sliders, exercises
def test_verdict_follows_the_numbers():
    import pandas as pd

    def table(differences):
        rows = []
        for seed, difference in enumerate(differences):
            rows += [{"seed": seed, "rate": "small", "test acc (%)": 80.0, "gap (train - test acc, pp)": 10.0},
                     {"seed": seed, "rate": "large", "test acc (%)": 80.0 + difference,
                      "gap (train - test acc, pp)": 10.0 - difference}]
        return pd.DataFrame(rows)

    for differences, words in (([2.0, 2.1, 1.9], "here the large rate generalized better"),
                               ([-2.0, -2.1, -1.9], "here the small rate generalized better"),
                               ([1.0, -1.0, 0.5], "interval contains 0")):
        text = describe_generalization(table(differences))
        assert words in text and "inconclusive at this size" in text, text
    assert t_critical_95(2) == pytest.approx(4.303) and t_critical_95(30) == pytest.approx(2.04, abs=0.01)


def test_sensitivity_says_whether_a_best_rate_lies_in_the_other_range():
    import pandas as pd

    def ranges(adam_largest_good):
        return pd.DataFrame([
            {"optimizer": "sgd", "best lr": 0.3, "best loss": 0.5, "good lrs": 3, "smallest good lr": 0.1,
             "largest good lr": 1.0, "width (decades)": 1.0},
            {"optimizer": "adam", "best lr": 0.003, "best loss": 0.4, "good lrs": 3, "smallest good lr": 0.001,
             "largest good lr": adam_largest_good, "width (decades)": 1.0},
        ]).set_index("optimizer")

    apart = describe_sensitivity(ranges(0.01))
    assert "factor of 100" in apart
    assert "sgd's best rate 0.3 lies outside adam's good range (0.001 to 0.01)" in apart
    assert "adam's best rate 0.003 lies outside sgd's good range (0.1 to 1)" in apart
    assert "sgd's best rate 0.3 lies inside adam's good range" in describe_sensitivity(ranges(0.3))


def test_adamw_default_weight_decay_is_what_the_lesson_says():
    """torch's AdamW defaults to weight decay 0.01 and Adam to 0; fit's "adamw" keeps torch's 0.01."""
    import torch

    from course_utils.training import make_optimizer

    def decay(optimizer):
        return optimizer.param_groups[0]["weight_decay"]

    parameter = [torch.zeros(1, requires_grad=True)]
    built = {label: constructor(parameter) for label, constructor in default_optimizers().items()}
    assert decay(built["AdamW"]) == 0.01 and decay(built["Adam"]) == 0
    assert decay(make_optimizer("adamw", parameter)) == 0.01


def test_a_custom_schedule_is_trained_and_recorded():
    split = load_data(640, 200, seed=0)

    def halve_halfway(step):
        return 1.0 if step < 10 else 0.5

    runs = compare_schedules(split, epochs=2, width=16, names=("constant",), custom={"halve": halve_halfway})
    assert list(runs) == ["constant", "halve"]
    np.testing.assert_allclose(runs["halve"].steps["lr"], [0.2] * 10 + [0.1] * 10)
    table = schedules_table(runs, custom={"halve": halve_halfway})
    assert table.loc["halve", "shape"] == "lr0 x halve_halfway(t)"
    assert (table["max relative deviation from closed form"] < CLOSED_FORM_RTOL).all(), table
    np.testing.assert_allclose(factor_schedule("h", halve_halfway).lr([0, 9, 10, 30], 1.0), [1, 1, 0.5, 0.5])


def test_plots_and_sliders_draw_what_they_say():
    split = load_data(500, 500, seed=0)

    quadratic = plot_quadratic_iterates()  # lr x L = 0.3, 0.7, 1.3, 1.7, 2.2 with L = 4
    assert len(quadratic.axes) == 5
    assert [ax.get_title().split("\n")[1] for ax in quadratic.axes] == [
        "monotone", "monotone", "oscillating", "oscillating", "diverging"]
    np.testing.assert_allclose(quadratic.axes[2].get_lines()[1].get_ydata(), gd_on_quadratic(1.3 / 4, 4.0, n_steps=12))

    path = explore_quadratic(lr=0.6, curvature=4.0)
    assert path.get_suptitle().startswith("lr = 0.60, L = 4.0: lr x L = 2.40 -> diverging")
    np.testing.assert_allclose(path.axes[1].get_lines()[1].get_ydata(), gd_on_quadratic(0.6, 4.0, n_steps=12))

    histories = lr_regimes(split, epochs=1, width=16)
    regimes = plot_regimes(histories).axes[0]
    assert [t.get_text() for t in regimes.get_legend().get_texts()] == [
        "too small (lr = 0.001)", "good (lr = 0.1)", "too large (lr = 3)"]
    good_steps = histories["good"].steps
    np.testing.assert_allclose(regimes.get_lines()[1].get_ydata(),
                               good_steps["loss"].rolling(10, min_periods=1).mean())
    assert regimes.get_lines()[-1].get_marker() == "x"  # the too-large run's divergence mark

    schedules = compare_schedules(split, epochs=2, width=16, names=("constant", "cosine"))
    ax_lr, ax_loss = plot_schedule_runs(schedules).axes
    assert ax_lr.get_title() == "Learning rate used by fit" and ax_loss.get_title() == "Training loss"
    np.testing.assert_allclose(ax_lr.get_lines()[1].get_ydata(), schedules["cosine"].steps["lr"])
    assert ax_lr.get_lines()[1].get_ydata()[-1] < 0.1 * ax_lr.get_lines()[0].get_ydata()[-1]

    optimizers = plot_optimizers(histories).axes[0]
    assert [t.get_text() for t in optimizers.get_legend().get_texts()] == list(histories)

    sweep = lr_sweep(split, lrs=[1e-3, 1e-1, 10.0], epochs=1, width=16)
    ax = plot_lr_sweep(sweep, good_lr_ranges(sweep)).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"sgd: final loss", "sgd: diverged", "sgd: good range", "adam: final loss"} <= set(labels)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), sweep[sweep["optimizer"] == "sgd"]["final train loss"])

    run = explore_learning_rate(lr=0.05, schedule="one-cycle", epochs=1, n_train=640, width=16)
    assert run.get_suptitle().startswith("sgd, lr0 = 0.05, one-cycle. epoch 1: test accuracy")
    rates = run.axes[1].get_lines()[0].get_ydata()
    assert rates.max() == pytest.approx(0.05) and rates[0] == pytest.approx(0.05 / 25)  # one-cycle peaks at lr0
    diverged = explore_learning_rate(lr=8.0, epochs=1, n_train=640, width=16)
    assert "diverged" in diverged.get_suptitle()
    assert len(quadratic_panel().controls) == 3
    assert len(learning_rate_panel(n_train=640, epochs=1).controls) == 3


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="lr must be"):
        gd_on_quadratic(-0.1)
    with pytest.raises(ValueError, match="schedule must be one of"):
        explore_learning_rate(schedule="sawtooth")
    with pytest.raises(ValueError, match="high must be > low"):
        sweep_grid(1.0, 0.1)
    with pytest.raises(ValueError, match="target_loss must be"):
        train_to_target(load_data(100, 100), lr=0.1, target_loss=0.0, max_epochs=1, width=8)


@pytest.mark.parametrize("name, right, wrong", [
    ("largest_stable_lr", 0.5, 0.25), ("which_regime", "b", "a"),
    ("time_based_decay", 0.02, 0.05), ("sgd_default", "B", "a"),
])
def test_exercises_give_feedback(name, right, wrong):
    exercise = EXERCISES[name]
    assert exercise.check(right).correct
    feedback = exercise.check(wrong)
    assert not feedback.correct and str(right).lower() not in feedback.message.lower().split()
    assert "No answer yet" in exercise.check(...).message


def test_time_based_lambda_exercise_matches_the_schedule_and_hints_each_mistake():
    import torch

    from course_utils.lesson05.exercises import EXERCISES, time_based_factor
    from course_utils.schedules import lr_sequence, time_based_decay

    expected = lr_sequence(time_based_decay(0.05), 30, lr0=0.2)
    assert np.allclose([0.2 * time_based_factor(t, 0.05) for t in range(30)], expected)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: time_based_factor(step, 0.05))
    rates = []
    for _ in range(30):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert np.allclose(rates, expected)
    exercise = EXERCISES["time_based_lambda"]
    assert exercise.check(time_based_factor).correct
    assert "Off by one" in exercise.check(lambda step, k: 1 / (1 + k * (step + 1))).message
    assert "exponential" in exercise.check(lambda step, k: (1 + k) ** -step).message
    assert "linear" in exercise.check(lambda step, k: 1 - k * step).message


def test_lesson_runs_are_train_mlp_with_the_test_split_scored_as_test():
    data = load_data(300, 200, seed=0)
    history = train_tracking_test(data, lr=0.1, epochs=2, width=16)
    model, same = train_mlp(data.train, 16, DEPTH, epochs=2, lr=0.1, batch_size=BATCH_SIZE, progress=False)
    assert history.steps["loss"].equals(same.steps["loss"])
    assert history.final("test_acc") == evaluate(model, data.test)[1]  # the "test accuracy" the tables show
    assert math.isnan(history.final("val_acc"))  # no validation split in the lesson's data
    assert "test_acc" not in same.epochs.columns
