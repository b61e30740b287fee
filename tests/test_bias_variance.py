"""Lesson 02: the bias-variance claims hold for three seeds at smoke sizes."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from course_utils import budget, fit, mlp, seed_everything
from course_utils.bias_variance import (
    DEGREES, EXERCISES, IDENTITY_TOLERANCE, decompose, double_descent,
    double_descent_summary, draw_training_sets, explore_network_fits, explore_polynomial_fits,
    fit_polynomials, network_bias_variance, plot_decomposition, plot_double_descent,
    plot_network_decomposition, polynomial_bias_variance, predict_networks, predict_polynomials,
    train_networks, trends,
)
from course_utils.exercises import NO_ANSWER_YET

SEEDS = (0, 1, 2)
CFG = budget("02", "smoke")


@pytest.mark.parametrize("seed", SEEDS)
def test_polynomial_decomposition_claims(seed):
    table = polynomial_bias_variance(DEGREES, n_resamples=CFG.poly_resamples, n_test=CFG.poly_test_points, seed=seed)
    trend = trends(table)
    assert trend.bias2_fall > 10, trend
    assert trend.variance_rise > 10, trend
    assert DEGREES[0] < trend.best < DEGREES[-1], trend
    assert trend.end_ratio > 2, trend
    assert trend.max_gap < IDENTITY_TOLERANCE, trend
    # Nested models: a higher degree can always reproduce a lower one's fit.
    assert np.all(np.diff(table["train_error"]) <= 1e-12), table["train_error"]
    assert plot_decomposition(table) is not None


@pytest.mark.parametrize("seed", SEEDS)
def test_network_decomposition_claims(seed):
    widths = CFG.nn_widths
    table = network_bias_variance(widths, n_resamples=CFG.nn_resamples, epochs=CFG.nn_epochs, seed=seed)
    init_only = network_bias_variance(widths, n_resamples=CFG.nn_resamples, epochs=CFG.nn_epochs, seed=seed, vary="init")
    trend = trends(table, "width")
    assert trend.max_gap < IDENTITY_TOLERANCE, trend
    assert (table["variance"] > 0.1 * table["noise"]).all(), table
    assert table["bias2"].iloc[0] > 5 * table["bias2"].iloc[-1], table
    assert trend.variance_rise < 1.5, trend
    assert table["expected_error"].iloc[-1] < 1.1 * table["expected_error"].min(), table
    assert init_only["variance"].iloc[0] > 3 * init_only["variance"].iloc[-1], init_only
    assert isinstance(plot_network_decomposition(table, init_only), Figure)


@pytest.mark.parametrize("seed", SEEDS)
def test_double_descent_claims(seed):
    table = double_descent(n_train=CFG.dd_train, n_seeds=CFG.dd_seeds, seed=seed)
    summary = double_descent_summary(table)
    assert 0.8 <= summary["peak_ratio"] <= 1.25, summary
    assert summary["fall"] > 5, summary
    assert summary["max_train_error_beyond_n"] < 1e-10, summary
    below = table.loc[table["n_features"] < CFG.dd_train, "train_error"]
    assert (below > 1e-6).all()
    assert isinstance(plot_double_descent(table), Figure)


def test_identity_is_exact_without_noise():
    """With sigma = 0 the decomposition is pure algebra: it must match to rounding error."""
    rng = np.random.default_rng(0)
    predictions, truth = rng.standard_normal((7, 50)), rng.standard_normal(50)
    parts = decompose(predictions, truth, 0.0)
    assert abs(parts.relative_gap) < 1e-12


def test_polynomial_fit_recovers_a_polynomial():
    x = np.linspace(0, 1, 20)[None]
    y = 1 - 2 * x + 3 * x**3
    coefficients = fit_polynomials(x, y, 3)
    assert np.allclose(predict_polynomials(coefficients, x[0]), y, atol=1e-10)


def test_stacked_networks_train_exactly_like_separate_ones():
    x_train, y_train = draw_training_sets(2, 12, seed=3)
    stacked = predict_networks(train_networks(x_train, y_train, 4, epochs=15, seed=5), x_train[0])
    seed_everything(5)
    networks = [mlp(4, depth=1, n_inputs=1, n_classes=1) for _ in range(2)]
    for r, network in enumerate(networks):
        x = torch.tensor(x_train[r], dtype=torch.float32)[:, None]
        y = torch.tensor(y_train[r], dtype=torch.float32)[:, None]
        fit(network, (x, y), epochs=15, batch_size=12, optimizer="adam", lr=0.01, seed=5, progress=False)
        with torch.no_grad():
            alone = network(torch.tensor(x_train[0], dtype=torch.float32)[:, None])[:, 0].numpy()
        assert np.allclose(stacked[r], alone, atol=1e-5)


def test_sliders_render_headless():
    assert isinstance(explore_polynomial_fits(degree=5, n_train=20, noise=0.5), Figure)
    assert isinstance(explore_network_fits(width=4, epochs=20, n_resamples=3), Figure)


@pytest.mark.parametrize("call, name", [
    (lambda: polynomial_bias_variance([2, -1]), "degree"),
    (lambda: polynomial_bias_variance(n_resamples=1), "n_resamples"),
    (lambda: network_bias_variance([4], vary="weights"), "vary"),
    (lambda: double_descent(noise=-0.1), "noise"),
    (lambda: explore_polynomial_fits(degree=99), "degree"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_exercises_give_feedback():
    for exercise in EXERCISES.values():
        assert exercise.check(...).message == NO_ANSWER_YET
    assert EXERCISES["parametric"].check("c")
    assert not EXERCISES["parametric"].check("b")
    assert EXERCISES["linear_regression"].check("B")
    assert EXERCISES["irreducible"].check(0.09)
    assert not EXERCISES["irreducible"].check(0.3)
    assert EXERCISES["more_data"].check("b")


def test_variance_term_exercise_matches_decompose_and_hints_each_mistake():
    from course_utils.bias_variance import EXERCISES, decompose, variance_term

    rng = np.random.default_rng(0)
    predictions = rng.normal(size=(6, 9))
    assert variance_term(predictions) == pytest.approx(decompose(predictions, np.zeros(9), 0.1).variance)
    exercise = EXERCISES["variance_term"]
    assert exercise.check(variance_term).correct
    assert exercise.check(lambda p: float(p.var(axis=0).mean())).correct
    assert "R - 1" in exercise.check(lambda p: float(p.var(axis=0, ddof=1).mean())).message
    assert "all R x m" in exercise.check(lambda p: float(p.var())).message
    assert "standard deviations" in exercise.check(lambda p: float(p.std(axis=0).mean())).message
    assert "across the test inputs" in exercise.check(lambda p: float(p.var(axis=1).mean())).message
