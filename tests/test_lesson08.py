"""Lesson 08 (momentum): the quadratic experiments, the Fashion-MNIST runs, figures, panel,
exercises, bad input, and the lesson's claims for seeds 0, 1, 2 in the smoke profile."""
import math

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from course_utils import budget, schedules
from course_utils.lesson08 import claims, experiments, figures, panels, quadratic, stability
from course_utils.lesson08.exercises import EXERCISES, heavy_ball_step
from course_utils.toy_regression import make_regression_2d

CFG = budget("08", "smoke")


@pytest.fixture(scope="module")
def data(small_data):
    return small_data


# --------------------------------------------------------------------- the quadratic

def test_make_quadratic_has_the_asked_curvatures():
    for dim in (2, 6):
        problem = quadratic.make_quadratic(50, dim=dim, L=2.0, seed=3)
        assert problem.L == pytest.approx(2.0) and problem.kappa == pytest.approx(50)
        assert np.allclose(problem.hessian, problem.hessian.T)
        x = np.random.default_rng(0).standard_normal(dim)
        assert problem.loss(x) == pytest.approx(0.5 * x @ problem.hessian @ x)
        assert np.allclose(problem.gradient(x), problem.hessian @ x)
    a, b = quadratic.make_quadratic(10, seed=0), quadratic.make_quadratic(10, seed=1)
    assert not np.allclose(a.hessian, b.hessian)  # the seed turns the valley


def test_start_point_depends_on_the_seed_and_has_the_radius():
    problem = quadratic.make_quadratic(10, seed=0)
    start = quadratic.start_point(problem, 0, radius=2.0)
    assert np.linalg.norm(start) == pytest.approx(2.0)
    assert not np.allclose(start, quadratic.start_point(problem, 1, radius=2.0))


def test_momentum_step_is_torch_sgd_and_the_exercise_reference():
    problem = quadratic.make_quadratic(30, seed=0)
    start = quadratic.start_point(problem, 0)
    assert quadratic.matches_torch(problem, start, lr=1.2, momentum=0.8) < 1e-12
    assert quadratic.matches_torch(problem, start, lr=0.7, momentum=0.8, nesterov=True) < 1e-12
    x, v, g = np.ones(3), np.full(3, 0.5), np.arange(3.0)
    assert np.allclose(np.array(quadratic.momentum_step(x, v, g, 0.1, 0.9)),
                       np.array(heavy_ball_step(x, v, g, 0.1, 0.9)))
    # beta = 0 is gradient descent
    new_x, new_v = quadratic.momentum_step(x, v, g, 0.1, 0.0)
    assert np.allclose(new_x, x - 0.1 * g) and np.allclose(new_v, g)


def test_run_method_converges_and_stops_when_blown_up():
    problem = quadratic.make_quadratic(10, seed=0)
    start = quadratic.start_point(problem, 0)
    path = quadratic.run_method(problem, start, lr=1.0, momentum=0.5, n_steps=200)
    assert path.shape == (201, 2) and np.linalg.norm(path[-1]) < 1e-6
    blown = quadratic.run_method(problem, start, lr=2.5, n_steps=500)  # above 2/L
    assert len(blown) < 501 and np.linalg.norm(blown[-1]) > 1e5


def test_optimal_settings_and_stability_limit_closed_forms():
    assert quadratic.optimal_settings("gradient descent", 9) == {"lr": pytest.approx(1.8), "momentum": 0.0}
    heavy = quadratic.optimal_settings("heavy ball", 9)
    assert heavy["lr"] == pytest.approx(4 / (1 + 1 / 3) ** 2) and heavy["momentum"] == pytest.approx(0.25)
    assert quadratic.optimal_settings("nesterov", 9) == {"lr": pytest.approx(1.0), "momentum": pytest.approx(0.5)}
    assert quadratic.stability_limit(0.9, L=2.0) == pytest.approx(1.9)
    assert quadratic.stability_limit(0.5, nesterov=True) == pytest.approx(1.5)
    assert quadratic.stability_limit(0.0) == pytest.approx(2.0)


def test_spectral_radius_crosses_one_at_the_limit():
    below = quadratic.spectral_radius(0.999 * 3.8, 0.9, 1.0)
    above = quadratic.spectral_radius(1.001 * 3.8, 0.9, 1.0)
    assert below < 1 < above


def test_iterations_to_tolerance_on_a_grid():
    problem = quadratic.make_quadratic(10, seed=0)
    start = quadratic.start_point(problem, 0)
    counts = quadratic.iterations_to_tolerance(problem, start, np.array([0.1, 1.0, 3.0]), 0.0, max_steps=2000)
    assert counts.shape == (3,)
    assert counts[1] > 0 and counts[0] > counts[1]  # a smaller rate is slower
    assert counts[2] == -1  # 3 > 2/L diverges
    # gradient descent at lr = 1/L: the error along mu = 0.1 shrinks by 0.9 per step
    single = quadratic.iterations_to_tolerance(problem, start, 1.0, 0.0, tol=1e-3)
    assert abs(int(single) - math.log(1e-3) / math.log(0.9)) <= 25


def test_grid_search_and_slopes():
    speed = quadratic.speed_against_kappa([10, 100], seed=0)
    assert list(speed["method"].unique()) == list(quadratic.METHODS)
    assert (speed["grid_iterations"] > 0).all()
    slopes = quadratic.fitted_slopes(speed)
    assert slopes["gradient descent"] > slopes["heavy ball"]
    fake = pd.DataFrame({"kappa": [10.0, 100.0, 1000.0], "method": "x", "grid_iterations": [5, 50, 500]})
    assert quadratic.fitted_slopes(fake)["x"] == pytest.approx(1.0)


def test_regression_as_quadratic_has_the_same_gradient():
    regression = make_regression_2d(32, seed=0)
    problem = quadratic.regression_as_quadratic(regression)
    w, b, eps = 0.3, -0.7, 1e-6
    numeric = [(regression.loss(w + eps, b) - regression.loss(w - eps, b)) / (2 * eps),
               (regression.loss(w, b + eps) - regression.loss(w, b - eps)) / (2 * eps)]
    assert np.allclose(problem.gradient(np.array([w, b])), numeric, atol=1e-6)


# --------------------------------------------------------------------- stability

def test_stability_table_and_map():
    problem = quadratic.make_quadratic(10, L=2.0, seed=1)
    start = quadratic.start_point(problem, 1)
    table = stability.stability_table(problem, start, [0.0, 0.5, 0.9], n_steps=300)
    assert set(table["method"]) == {"heavy ball", "nesterov"}
    assert len(table) == 3 + 2  # Nesterov needs momentum > 0
    assert np.allclose(table["measured"], table["closed_form"], rtol=1e-3)
    assert np.allclose(table["eigenvalues"], table["closed_form"], rtol=1e-9)
    rate = stability.convergence_map(problem, start, [0.5, 1.4], [0.0, 0.5], n_steps=400)
    assert rate.shape == (2, 2)  # rows: momenta, columns: rates
    assert rate[0, 0] < 0 and rate[0, 1] > 0  # beta = 0: lr 0.5 converges, 1.4 > 2/L = 1 diverges
    assert rate[1, 1] < 0  # beta = 0.5 makes lr 1.4 stable: below 2(1 + 0.5)/2 = 1.5


# --------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, name", [
    (lambda: quadratic.make_quadratic(0.5), "kappa"),
    (lambda: quadratic.make_quadratic(-3), "kappa"),
    (lambda: quadratic.make_quadratic(10, dim=1), "dim"),
    (lambda: quadratic.make_quadratic(10, L=0), "L"),
    (lambda: quadratic.optimal_settings("adam", 10), "method"),
    (lambda: quadratic.speed_against_kappa([10]), "kappas"),
    (lambda: quadratic.speed_against_kappa([10, 0.9]), "kappa"),
    (lambda: quadratic.stability_limit(1.0), "momentum"),
    (lambda: panels.explore_momentum(lr=-1), "lr"),
    (lambda: panels.explore_momentum(momentum=1.0), "momentum"),
    (lambda: panels.explore_momentum(kappa=0.5), "kappa"),
    (lambda: panels.explore_momentum(n_steps=0), "n_steps"),
])
def test_bad_quadratic_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_bad_hyperparameters_get_make_optimizers_errors():
    problem = quadratic.make_quadratic(10, seed=0)
    start = quadratic.start_point(problem, 0)
    with pytest.raises(ValueError, match="lr"):
        quadratic.run_method(problem, start, lr=-0.1)
    with pytest.raises(ValueError, match="momentum"):
        quadratic.run_method(problem, start, lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="momentum"):
        quadratic.run_method(problem, start, lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="nesterov"):
        quadratic.run_method(problem, start, lr=0.1, momentum=0.0, nesterov=True)
    with pytest.raises(ValueError, match="lr"):  # one bad rate in a grid is enough
        quadratic.iterations_to_tolerance(problem, start, np.array([0.1, -1.0]), 0.5)
    with pytest.raises(ValueError, match="momentum"):
        stability.measured_stability_limit(problem, start, [0.5, 1.0])
    with pytest.raises(ValueError, match="n_steps"):
        stability.stability_table(problem, start, [0.5], n_steps=1)


def test_bad_training_input(data):
    with pytest.raises(ValueError, match="momentum"):
        experiments.effective_lr_runs(data, lr=0.01, momentum=0.0, epochs=1, width=8)
    with pytest.raises(ValueError, match="momentum"):
        experiments.effective_lr_runs(data, lr=0.01, momentum=1.0, epochs=1, width=8)
    with pytest.raises(ValueError, match="lr"):
        experiments.effective_lr_runs(data, lr=-0.01, momentum=0.9, epochs=1, width=8)
    with pytest.raises(ValueError, match="momentum"):
        experiments.tuned_momentum_runs(data, momenta=(0.0, 1.2), epochs=1, width=8)
    with pytest.raises(ValueError, match="base_momentum"):
        experiments.cyclical_momentum_runs(data, max_lr=0.1, epochs=1, width=8, base_momentum=0.96)
    with pytest.raises(ValueError, match="max_lr"):
        experiments.cyclical_momentum_runs(data, max_lr=0, epochs=1, width=8)
    with pytest.raises(ValueError, match="beta1"):
        experiments.adam_beta1_runs(data, betas1=(1.0,), epochs=1, width=8)
    with pytest.raises(ValueError, match="nesterov"):
        experiments.train(data, lr=0.1, momentum=0.0, epochs=1, width=8,
                          make_optimizer=lambda p, lr, m: experiments.make_optimizer("sgd", p, lr=lr, momentum=m,
                                                                                    nesterov=True))


# --------------------------------------------------------------------- Fashion-MNIST runs

def test_effective_lr_runs_share_init_and_batches(data):
    runs = experiments.effective_lr_runs(data, lr=0.01, momentum=0.9, epochs=5, width=32, seed=0)
    assert len(runs) == 3
    lengths = {len(h.steps) for h in runs.values()}
    assert lengths == {5 * math.ceil(len(data.train) / 128)}
    starts = {round(h.epochs["train_loss"].iloc[0], 6) for h in runs.values()}
    assert len(starts) == 1  # same initial weights
    gaps = experiments.effective_lr_gaps(runs)
    assert gaps["to_effective"] < gaps["to_same_lr"]
    first = next(iter(runs.values()))
    assert experiments.curve_gap(first, first) == 0.0


def test_tuned_momentum_runs_table(data):
    table, histories, tests = experiments.tuned_momentum_runs(data, momenta=(0.0, 0.9), epochs=1, width=16)
    assert list(table["rate from"]) == ["range test", "range test", "lr_0 × (1 - β)"]
    assert table["lr"].iloc[2] == pytest.approx(table["lr"].iloc[0] * 0.1)
    assert np.allclose(table["effective_lr"], table["lr"] / (1 - table["momentum"]))
    assert len(histories) == 3 and len(tests) == 2
    assert experiments.suggested_rates(table).index.tolist() == [0.0, 0.9]


def test_momentum_sequence_cycles_between_the_bounds():
    cycle = schedules.one_cycle(100, cycle_momentum=True, base_momentum=0.85, max_momentum=0.95)
    sequence = experiments.momentum_sequence(cycle, 100)
    assert sequence["momentum"].iloc[0] == pytest.approx(0.95)
    assert sequence["momentum"].min() == pytest.approx(0.85, abs=1e-3)
    peak = sequence["lr"].idxmax()
    assert sequence["momentum"].iloc[peak] == pytest.approx(0.85, abs=1e-3)  # lowest momentum at the peak rate
    flat = experiments.momentum_sequence(schedules.one_cycle(100), 100, momentum=0.9)
    assert (flat["momentum"] == 0.9).all()


def test_cyclical_and_adam_runs(data):
    cyclical = experiments.cyclical_momentum_runs(data, max_lr=0.05, epochs=1, width=16)
    adam = experiments.adam_beta1_runs(data, betas1=(0.0, 0.9), epochs=1, width=16)
    table = experiments.runs_table({**cyclical, **adam})
    assert len(table) == 4 and (table["val_acc"] > 0.3).all()


def test_steady_gradient_steps():
    steps = experiments.steady_gradient_steps(lr=0.1, momenta=(0.5,), betas1=(0.9,), n_steps=200)
    assert steps["SGD, momentum 0.5"][0] == pytest.approx(0.1)
    assert steps["SGD, momentum 0.5"][-1] == pytest.approx(0.2)
    assert steps["Adam, beta1 0.9"][-1] == pytest.approx(0.1, rel=1e-3)
    single = experiments.constant_gradient_steps(lambda p: torch.optim.SGD(p, lr=0.3), n_steps=5)
    assert np.allclose(single, 0.3)


# --------------------------------------------------------------------- figures and panel

def test_plot_side_by_side_and_panel():
    fig = panels.explore_momentum(lr=1.0, momentum=0.8, kappa=30, n_steps=40)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes[:3]]
    assert titles[0].startswith("gradient descent") and "heavy ball (β=0.8)" in titles[1]
    assert "κ = 30" in fig._suptitle.get_text() and "3.6 for heavy ball" in fig._suptitle.get_text()
    assert len(fig.axes[3].get_lines()) == 3
    diverged = panels.explore_momentum(lr=2.5, momentum=0.0, kappa=10, n_steps=100)
    assert "diverged" in diverged.axes[0].get_title()
    zero = panels.explore_momentum(momentum=0.0)  # Nesterov without momentum is shown as gradient descent
    assert np.allclose(zero.axes[3].get_lines()[0].get_ydata(), zero.axes[3].get_lines()[2].get_ydata())


def test_panel_controls_stay_valid():
    panel = panels.momentum_panel()
    controls = {child.description: child for child in panel.children[:-1]}
    assert set(controls) == {"learning rate (× 1/L)", "momentum β", "condition number κ", "steps"}
    assert controls["momentum β"].max < 1 and controls["condition number κ"].min >= 0
    assert 10 ** controls["condition number κ"].min >= 1 and 10 ** controls["learning rate (× 1/L)"].min > 0


def test_plot_speed_and_stability():
    speed = quadratic.speed_against_kappa([10, 100], seed=0)
    fig = figures.plot_speed(speed)
    assert len(fig.axes[0].get_lines()) == 6
    assert "slope" in fig.axes[0].get_legend().get_texts()[0].get_text()
    problem = quadratic.make_quadratic(10, seed=0)
    start = quadratic.start_point(problem, 0)
    table = stability.stability_table(problem, start, [0.0, 0.5], n_steps=200)
    rates, momenta = np.linspace(0.1, 4, 20), np.linspace(0.1, 0.9, 5)
    maps = {"heavy ball": stability.convergence_map(problem, start, rates, momenta, n_steps=50)}
    fig = figures.plot_stability(maps, rates, momenta, table)
    assert "2(1+β)/L" in fig.axes[0].get_title()
    measured = fig.axes[0].get_lines()[1]
    assert np.allclose(measured.get_xdata(), table[table["method"] == "heavy ball"]["measured"])


def test_training_figures(data):
    runs = experiments.effective_lr_runs(data, lr=0.01, momentum=0.9, epochs=1, width=16)
    fig = figures.plot_effective_lr(runs)
    assert [line.get_label() for line in fig.axes[0].get_lines()] == list(runs)
    table, histories, tests = experiments.tuned_momentum_runs(data, momenta=(0.0, 0.9), epochs=1, width=16)
    fig = figures.plot_tuned(table, histories, tests)
    assert len(fig.axes[1].get_lines()) == 3
    sequence = experiments.momentum_sequence(schedules.one_cycle(20, cycle_momentum=True), 20)
    fig = figures.plot_cyclical(sequence, runs)
    assert fig.axes[0].get_title() == "One-cycle with cyclical momentum"
    steps = experiments.steady_gradient_steps(lr=0.01, n_steps=50)
    fig = figures.plot_constant_gradient(steps, lr=0.01)
    assert len(fig.axes[0].get_lines()) == 4 and fig.axes[0].get_lines()[0].get_ydata()[0] == pytest.approx(1)


# --------------------------------------------------------------------- exercises

def test_heavy_ball_exercise_feedback():
    exercise = EXERCISES["heavy_ball_step"]
    assert exercise.check(heavy_ball_step)
    assert not exercise.check(...)

    def wrong_sign(x, velocity, grad, lr, momentum):
        velocity = momentum * velocity + grad
        return x + lr * velocity, velocity

    def no_carry(x, velocity, grad, lr, momentum):
        return x - lr * grad, grad

    def dampened(x, velocity, grad, lr, momentum):
        velocity = momentum * velocity + (1 - momentum) * grad
        return x - lr * velocity, velocity

    assert "uphill" in exercise.check(wrong_sign).message
    assert "forgets the past" in exercise.check(no_carry).message
    assert "dampening" in exercise.check(dampened).message
    assert "heavy_ball_step" in str(exercise.show_solution())


def test_numeric_and_choice_exercises():
    assert EXERCISES["stability_limit"].check(0.95)
    assert "2/L" in EXERCISES["stability_limit"].check(0.5).message
    assert EXERCISES["effective_lr"].check(0.001)
    assert not EXERCISES["effective_lr"].check(0.01)
    assert EXERCISES["adam_beta1"].check("b")
    assert not EXERCISES["adam_beta1"].check("a")
    for exercise in EXERCISES.values():
        assert str(exercise.show_solution())


# --------------------------------------------------------------------- claims

def test_claim_functions_can_fail():
    bad_speed = pd.DataFrame({"kappa": [10.0, 100.0] * 3, "method": ["gradient descent"] * 2 + ["heavy ball"] * 2
                              + ["nesterov"] * 2, "grid_iterations": [10, 20, 10, 100, 10, 10],
                              "closed_form_iterations": [10, 20, 10, 100, 10, 10], "grid_lr": 1.0,
                              "closed_form_lr": 3.0, "grid_momentum": 0.5, "closed_form_momentum": 0.5})
    assert not claims.claim_gd_slope(bad_speed).holds
    assert not claims.claim_momentum_slope(bad_speed, "heavy ball").holds
    assert not claims.claim_grid_finds_optimum(bad_speed).holds
    assert not claims.claim_effective_lr({"to_effective": 0.5, "to_same_lr": 0.6}).holds
    assert not claims.claim_update_matches_torch(1e-3).holds
    with pytest.raises(AssertionError, match="Expected"):
        claims.claim_effective_lr({"to_effective": 0.5, "to_same_lr": 0.6}).check()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lesson_claims_hold_in_the_smoke_profile(seed):
    results = claims.run(seed, "smoke")
    assert len(results) == 11
    assert {c.kind for c in results} == {"check", "claim"}
    failing = [c for c in results if not c.holds]
    assert not failing, failing
