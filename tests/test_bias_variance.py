"""Lesson 02: the bias-variance claims hold for three seeds at smoke sizes."""
import numpy as np
import pytest
import torch

from course_utils import budget, fit, lesson02, mlp, seed_everything
from course_utils.claims import ClaimFailed
from course_utils.exercises import NO_ANSWER_YET
from course_utils.lesson02 import (
    DEGREES,
    EXERCISES,
    claims,
    decompose,
    double_descent,
    draw_training_sets,
    explore_network_fits,
    explore_polynomial_fits,
    fit_polynomials,
    fit_ridge_polynomials,
    network_bias_variance,
    network_fits,
    plot_decomposition,
    plot_double_descent,
    plot_network_decomposition,
    polynomial_bias_variance,
    polynomial_fits,
    predict_networks,
    predict_polynomials,
    train_networks,
    trends,
)
from course_utils.lesson02.exercises import variance_term

SEEDS = (0, 1, 2)
CFG = budget("02", "smoke")


def assert_draws_decomposition(fig, table, key: str, *, extra_lines: int = 0) -> None:
    """The left panel draws every column of ``table`` against ``key``; the right one the identity's gap."""
    ax, ax_gap = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert len(lines) == 6 + extra_lines
    for label, column in (("bias²", "bias2"), ("variance", "variance"), ("noise σ²", "noise"),
                          ("bias² + variance + noise", "total"), ("expected test error (measured)", "expected_error"),
                          ("training error", "train_error")):
        assert np.array_equal(lines[label].get_xdata(), table[key]), label
        assert np.array_equal(lines[label].get_ydata(), table[column]), label
    assert ax.get_yscale() == "log"
    assert [text.get_text() for text in ax.get_legend().get_texts()][:6] == list(lines)[:6]
    assert ax_gap.get_title() == "Identity check"
    assert np.allclose([bar.get_height() for bar in ax_gap.patches[:len(table)]], 100 * table["relative_gap"])


@pytest.mark.parametrize("seed", SEEDS)
def test_polynomial_decomposition_claims(seed):
    table = polynomial_bias_variance(DEGREES, n_resamples=CFG.poly_resamples, n_test=CFG.poly_test_points, seed=seed)
    for claim in (claims.claim_poly_bias_falls(table), claims.claim_poly_variance_rises(table),
                  claims.claim_poly_u_shape(table), claims.check_train_error_never_rises(table),
                  claims.check_identity(table, "polynomials")):
        claim.check()
    assert DEGREES[0] < trends(table).best < DEGREES[-1]
    assert_draws_decomposition(plot_decomposition(table), table, "degree")


@pytest.mark.parametrize("seed", SEEDS)
def test_network_decomposition_claims(seed):
    widths = CFG.nn_widths
    table = network_bias_variance(widths, n_resamples=CFG.nn_resamples, epochs=CFG.nn_epochs, seed=seed)
    init_only = network_bias_variance(widths, n_resamples=CFG.nn_resamples, epochs=CFG.nn_epochs, seed=seed,
                                      vary="init")
    for claim in (claims.check_identity(table, "networks"), claims.claim_nn_variance_nonzero(table),
                  claims.claim_nn_bias_falls(table), claims.claim_nn_variance_no_rise(table),
                  claims.claim_nn_no_u(table), claims.claim_nn_init_variance(init_only)):
        claim.check()
    fig = plot_network_decomposition(table, init_only)
    assert_draws_decomposition(fig, table, "width", extra_lines=1)
    ax = fig.axes[0]
    assert ax.get_title() == "Small MLPs: decomposition by width" and ax.get_xscale() == "log"
    assert ax.get_lines()[-1].get_label() == "variance, initialisation only"
    assert np.array_equal(ax.get_lines()[-1].get_ydata(), init_only["variance"])


@pytest.mark.parametrize("seed", SEEDS)
def test_double_descent_claims(seed):
    table = double_descent(n_train=CFG.dd_train, n_seeds=CFG.dd_seeds, seed=seed)
    for claim in (claims.check_interpolation(table), claims.claim_dd_peak_near_n(table),
                  claims.claim_dd_falls_again(table), claims.claim_dd_norm_peak(table)):
        claim.check()
    fig = plot_double_descent(table)
    ax, ax_norm = fig.axes
    assert ax.get_title() == "Double descent of the test error"
    assert ax_norm.get_title() == "Size of the fitted weights"
    mean = table.groupby("n_features")[["test_error", "norm"]].mean()
    lines = {line.get_label(): line for line in ax.get_lines()}
    test_line = lines[f"test error (mean of {CFG.dd_seeds} seeds; faint: each seed)"]
    assert np.allclose(test_line.get_xdata(), mean.index) and np.allclose(test_line.get_ydata(), mean["test_error"])
    # training error drawn only where it is above zero: below p = n
    assert np.all(np.asarray(lines["training error"].get_xdata()) < CFG.dd_train)
    assert list(lines[f"p = n = {CFG.dd_train}"].get_xdata()) == [CFG.dd_train, CFG.dd_train]
    assert len(ax.get_lines()) == CFG.dd_seeds + 3  # one faint line per seed, the mean, training error, p = n
    norm_line = {line.get_label(): line for line in ax_norm.get_lines()}["mean of the seeds"]
    assert np.allclose(norm_line.get_ydata(), mean["norm"])


@pytest.fixture(scope="module")
def poly_and_dd():
    """Small tables to feed the claims: polynomials by degree, and double descent."""
    return (polynomial_bias_variance(DEGREES, n_resamples=60, n_test=100, seed=0),
            double_descent(n_train=CFG.dd_train, n_seeds=CFG.dd_seeds, seed=0))


def test_all_claims_lists_every_claim_of_the_lesson(poly_and_dd):
    poly, dd = poly_and_dd
    nets = poly.rename(columns={"degree": "width"})
    claims_run = claims.all_claims({"poly": poly, "nn": nets, "init": nets, "dd": dd})
    assert [c.name for c in claims_run] == [
        "poly_bias_falls", "poly_variance_rises", "poly_u_shape", "train_error_never_rises", "identity_polynomials",
        "identity_networks", "nn_variance_nonzero", "nn_bias_falls", "nn_variance_no_rise", "nn_no_u",
        "nn_init_variance", "interpolation", "dd_peak_near_n", "dd_falls_again", "dd_norm_peak"]
    assert {c.name for c in claims_run if c.kind == "check"} == {
        "train_error_never_rises", "identity_polynomials", "identity_networks", "interpolation"}


def test_claims_fail_when_they_should(poly_and_dd):
    base, dd = poly_and_dd
    poly = base.copy()
    assert claims.check_identity(poly).holds
    poly.loc[3, "relative_gap"] = 0.05  # a mistake in the measurement
    with pytest.raises(ClaimFailed, match="bias² \\+ variance \\+ noise"):
        claims.check_identity(poly).check()
    flat = base.assign(bias2=base["bias2"].mean(), variance=base["variance"].mean())
    assert not claims.claim_poly_bias_falls(flat).holds and not claims.claim_poly_variance_rises(flat).holds
    no_u = base.assign(expected_error=np.linspace(1.0, 0.5, len(base)))  # falling to the end: no U
    assert not claims.claim_poly_u_shape(no_u).holds
    rising = base.assign(train_error=base["train_error"].to_numpy()[::-1])
    assert not claims.check_train_error_never_rises(rising).holds
    # networks: the polynomial table, read by "width", is the opposite of what the lesson claims
    nets = base.rename(columns={"degree": "width"})
    for claim in (claims.claim_nn_bias_falls(nets.iloc[::-1]), claims.claim_nn_variance_no_rise(nets),
                  claims.claim_nn_no_u(nets), claims.claim_nn_init_variance(nets),
                  claims.claim_nn_variance_nonzero(nets.assign(variance=0.001))):
        assert not claim.holds, claim
    assert claims.claim_nn_init_variance(nets.iloc[::-1]).holds
    # double descent: a peak moved away from p = n, a curve that does not fall again, a non-exact fit
    assert claims.claim_dd_peak_near_n(dd).holds and claims.claim_dd_norm_peak(dd).holds
    moved = dd.assign(test_error=np.where(dd["n_features"] == dd["n_features"].max(), 1e6, dd["test_error"]))
    assert not claims.claim_dd_peak_near_n(moved).holds and not claims.claim_dd_falls_again(moved).holds
    small = dd.assign(norm=np.where(dd["n_features"] == dd["n_features"].min(), 1e9, dd["norm"]))
    assert not claims.claim_dd_norm_peak(small).holds
    largest = dd["n_features"].max()
    missed = dd.assign(train_error=np.where(dd["n_features"] == largest, 1e-3, dd["train_error"]))
    with pytest.raises(ClaimFailed, match="reaches zero"):
        claims.check_interpolation(missed).check()


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


def assert_draws_fits(fig, fits, n_fits: int, title_start: str):
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == n_fits + 3  # every fit, their mean, the true function, one training set
    assert ax.get_title().startswith(title_start)
    parts = fits.parts
    assert f"bias² = {parts.bias2:.3g}   variance = {parts.variance:.3g}" in ax.get_title()
    mean, truth, dots = lines[-3:]
    assert [line.get_label() for line in (mean, truth, dots)] == [
        "mean of the fits", "true function sin(2πx)", "one training set"]
    assert np.allclose(mean.get_ydata(), fits.predictions.mean(axis=0))
    assert np.allclose(truth.get_ydata(), np.sin(2 * np.pi * fits.x_grid))
    assert np.array_equal(dots.get_xdata(), fits.x_train[0]) and np.array_equal(dots.get_ydata(), fits.y_train[0])


def test_sliders_draw_their_fits():
    fig = explore_polynomial_fits(degree=5, n_train=20, noise=0.5)
    assert_draws_fits(fig, polynomial_fits(5, 20, 0.5), 40, "Degree 5, n = 20, noise σ = 0.50: 40 fits")
    fig = explore_network_fits(width=4, epochs=20, n_resamples=3)
    assert_draws_fits(fig, network_fits(4, 20, n_resamples=3), 3, "MLP width 4, 20 epochs, n = 30: 3 networks")


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
    assert "variance_term" not in lesson02.__all__  # the coding exercise's answer is not star-imported


def test_variance_term_exercise_matches_decompose_and_hints_each_mistake():
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


def test_fitter_is_an_argument():
    """Least squares by default; ridge with no penalty is least squares; a penalty cuts the variance at high degree."""
    kwargs = dict(n_resamples=40, n_test=50, seed=1)
    default = polynomial_bias_variance([1, 8], **kwargs)
    assert default.equals(polynomial_bias_variance([1, 8], fitter=fit_polynomials, **kwargs))
    unpenalised = polynomial_bias_variance([1, 8], fitter=lambda x, y, d: fit_ridge_polynomials(x, y, d, penalty=0),
                                           **kwargs)
    assert np.allclose(unpenalised["variance"], default["variance"], rtol=1e-6)
    ridge = polynomial_bias_variance([1, 8], fitter=lambda x, y, d: fit_ridge_polynomials(x, y, d, penalty=0.01),
                                     **kwargs)
    assert ridge["variance"].iloc[-1] < default["variance"].iloc[-1] / 10, (ridge, default)
    assert ridge["train_error"].iloc[-1] > default["train_error"].iloc[-1]  # the penalty gives up training fit


def test_ridge_shrinks_the_coefficients():
    x_train, y_train = draw_training_sets(3, 20, seed=2)
    norms = [np.linalg.norm(fit_ridge_polynomials(x_train, y_train, 6, penalty=p), axis=1) for p in (0.0, 0.1, 10.0)]
    assert np.all(norms[0] > norms[1]) and np.all(norms[1] > norms[2])
    with pytest.raises(ValueError, match="penalty"):
        fit_ridge_polynomials(x_train, y_train, 6, penalty=-1.0)
