"""Lesson 10: the recipe, grid against random search, Optuna's comparisons, figures, panel, exercises, claims."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils.lesson10 import (
    EXERCISES,
    check_grid_tries_few_values,
    claim_random_beats_grid,
    claim_random_beats_random_grid,
    claim_tuned_beats_baseline,
    compare_pruning,
    compare_samplers,
    explore_grid_vs_random,
    grid_points,
    grid_vs_random,
    grid_vs_random_panel,
    one_matters,
    optuna_plots,
    plot_best_so_far,
    plot_grid_vs_random,
    plot_recipe,
    random_wins,
    run_recipe,
    study_summary,
)
from course_utils.lesson10.claims import run
from course_utils.lesson10.exercises import _no_pruning, _restarts, halving_epochs
from course_utils.search import StudySpec


@pytest.fixture(scope="module")
def recipe(small_data):
    return run_recipe(small_data, epochs=2, seed=0)


def test_recipe_table_has_five_steps_at_equal_epochs(recipe):
    table = recipe.table
    assert list(table["step"]) == ["1 baseline", "2 range test", "3 one-cycle", "4 batch size", "5 weight decay"]
    assert table["lr"].iloc[0] == 0.01 and table["batch_size"].iloc[0] == 32 and not table["one_cycle"].iloc[0]
    assert table["one_cycle"].iloc[2:].all() and table["batch_size"].iloc[3] in (32, 64, 128, 256)
    assert np.isclose(table["test_gain"].sum(), table["test_acc"].iloc[-1] - table["test_acc"].iloc[0])
    assert recipe.knee_batch > 0 and len(recipe.throughput) >= 2


def test_recipe_rejects_bad_arguments(small_data):
    with pytest.raises(ValueError, match="epochs"):
        run_recipe(small_data, epochs=0)
    with pytest.raises(ValueError, match="batch_rule"):
        run_recipe(small_data, epochs=1, batch_rule="cubic")
    with pytest.raises(ValueError, match="weight_decays"):
        run_recipe(small_data, epochs=1, weight_decays=(-1.0,))


def test_grid_points_and_one_matters():
    grid = grid_points(9)
    assert grid.shape == (9, 2) and sorted(set(grid[:, 0].round(6))) == [0.166667, 0.5, 0.833333]
    assert one_matters(0.37, 0.0) == pytest.approx(1.0) and one_matters(0.37, 1.0) == pytest.approx(1.02)
    with pytest.raises(ValueError, match="perfect square"):
        grid_points(10)


def test_grid_vs_random_table_and_bad_input():
    table = grid_vs_random(9, 50, seed=0)
    assert list(table.columns) == ["repeat", "peak", "grid", "random", "random grid"] and len(table) == 50
    assert table[["grid", "random"]].le(1.02 + 1e-9).all().all()
    assert 0 <= random_wins(table) <= 1
    assert grid_vs_random(9, 20, seed=3).equals(grid_vs_random(9, 20, seed=3))  # reproducible from a seed
    for kwargs, name in (({"repeats": 0}, "repeats"), ({"weight_b": -1}, "weight_b"), ({"fine": 2}, "fine")):
        with pytest.raises(ValueError, match=name):
            grid_vs_random(9, **{"repeats": 5, **kwargs})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_claims_hold_in_smoke(seed):
    claims = run(seed, "smoke")
    assert [c.name for c in claims] == ["tuned_beats_baseline", "random_beats_grid", "random_beats_random_grid",
                                        "grid_tries_few_values"]
    for claim in claims:
        claim.check()


def test_claims_fail_when_they_should(recipe):
    worse = recipe.table.copy()
    worse.loc[worse.index[-1], "test_acc"] = worse["test_acc"].iloc[0] - 0.01
    assert not claim_tuned_beats_baseline(worse).holds
    table = grid_vs_random(9, 30, seed=0)
    table["random"] = 0.0
    assert not claim_random_beats_grid(table).holds and not claim_random_beats_random_grid(table).holds
    assert check_grid_tries_few_values(9).margin == 6


@pytest.fixture(scope="module")
def studies():
    spec = StudySpec(objective="fashion", params=("lr", "momentum"), epochs=3, n_train=300, n_val=200)
    return compare_samplers(spec, 6, seed=0), compare_pruning(spec, 6, seed=0), spec


def test_samplers_and_pruning_at_equal_budget(studies):
    samplers, pruning, spec = studies
    assert set(samplers) == {"random", "tpe"} and all(len(s.trials) == 6 for s in samplers.values())
    summary = study_summary(pruning).set_index("study")
    assert summary.loc["none", "epochs"] == 18 and summary.loc["none", "pruned"] == 0
    # successive halving spends the same epochs (it stops at the first trial that reaches the budget)
    assert 18 <= summary.loc["halving", "epochs"] < 18 + spec.epochs
    assert summary.loc["halving", "trials"] >= 6
    with pytest.raises(ValueError, match="n_trials"):
        compare_samplers(spec, 0)


def test_figures_draw_what_they_say(recipe, studies):
    fig = plot_recipe(recipe.table)
    assert len(fig.axes[0].patches) == 10 and [t.get_text() for t in fig.axes[0].get_xticklabels()][0] == "1 baseline"
    table = grid_vs_random(9, 40, seed=0)
    fig = plot_grid_vs_random(table, 9)
    left, right = fig.axes[:2]
    assert [line.get_label() for line in left.get_lines()][:2] == ["grid", "random"]
    assert len(left.get_lines()[0].get_xdata()) == 9 and "random beats the grid" in fig._suptitle.get_text()
    assert len(right.patches) == 3
    samplers, pruning, _ = studies
    fig = plot_best_so_far(pruning, x="epochs")
    assert fig.axes[0].get_xlabel().startswith("epochs") and len(fig.axes[0].get_legend().texts) == 2
    plots = optuna_plots(samplers["tpe"], params=["lr", "momentum"])
    assert set(plots) == {"history", "importances", "slice"}
    assert "Optimization History" in plots["history"].axes[0].get_title()
    assert len([ax for ax in plots["slice"].axes if ax.get_xlabel() in ("lr", "momentum")]) == 2


def test_panel_function_and_controls():
    fig = explore_grid_vs_random(4, 0.5, repeats=30)
    assert "4 trials" in fig._suptitle.get_text() and "weight of b 0.50" in fig._suptitle.get_text()
    panel = grid_vs_random_panel(repeats=30)
    names = [c.description for c in panel.controls]
    assert names == ["trials", "weight of b"]
    trials = panel.controls[0]
    assert all(int(value ** 0.5) ** 2 == value for _, value in trials.options)
    with pytest.raises(ValueError, match="n_trials"):
        explore_grid_vs_random(0)


def test_exercises_give_feedback():
    assert set(EXERCISES) == {"vocabulary", "distinct_values", "halving_budget", "storage"}
    assert EXERCISES["vocabulary"].check("b") and not EXERCISES["vocabulary"].check("c")
    assert EXERCISES["distinct_values"].check(5) and not EXERCISES["distinct_values"].check(25)
    assert EXERCISES["halving_budget"].check(halving_epochs)
    assert halving_epochs(27, 1, 3, 9) == 63
    for wrong in (_restarts, _no_pruning):
        assert not EXERCISES["halving_budget"].check(wrong)
    assert EXERCISES["storage"].check("c") and not EXERCISES["storage"].check("a")
    assert all(e.show_solution() for e in EXERCISES.values())
