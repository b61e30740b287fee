"""Lesson 04's claims, checked with the smoke budget for three seeds."""
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from course_utils import budget, fashion_mnist, mlp, seed_everything
from course_utils.gradient_descent import (
    EXERCISES,
    compare_variants,
    evaluation_points,
    explore_trajectories,
    explore_trajectories_panel,
    gradient_quality,
    make_regression_2d,
    plot_gradient_quality,
    plot_time_per_epoch,
    plot_variants,
    time_per_epoch,
    trace_2d,
    train_variant,
    trajectory_claims,
    trajectory_table,
    variance_slope,
    variant_claims,
    variant_table,
)

SEEDS = (0, 1, 2)
CFG = budget("04", "smoke")


@pytest.fixture(scope="module", params=SEEDS)
def seeded(request):
    """Data and the three runs for one seed (shared by the tests of that seed)."""
    seed = request.param
    train = fashion_mnist(CFG.n_train, n_test=10, seed=seed, device="cpu").train
    runs = compare_variants(train, lr=CFG.lr, full_batch_epochs=CFG.full_batch_epochs,
                            minibatch_epochs=CFG.minibatch_epochs, stochastic_epochs=CFG.stochastic_epochs,
                            minibatch_size=CFG.minibatch_size, seed=seed)
    return seed, train, runs


def test_variants_per_epoch_per_update_per_second(seeded):
    seed, _, runs = seeded
    c = variant_claims(runs)
    # Per epoch: the stochastic and mini-batch runs are far ahead of full batch.
    assert c["sgd_epoch_loss"] < c["full_epoch_loss"] - 0.5, (seed, c)
    assert c["mini_epoch_loss"] < c["full_epoch_loss"] - 0.3, (seed, c)
    # Per update: the full gradient makes more progress than one example's gradient.
    assert c["full_update_loss"] < c["sgd_update_loss"] - 0.15, (seed, c)
    # Per second: mini-batch ahead of B=1 (and, on a CPU, of full batch).
    assert c["mini_window_loss"] < c["sgd_window_loss"], (seed, c)
    assert c["mini_window_loss"] < c["full_window_loss"], (seed, c)
    assert c["sgd_seconds_per_epoch"] > 5 * c["mini_seconds_per_epoch"], (seed, c)


def test_plot_variants_and_step_records(seeded):
    _, train, runs = seeded
    figure = plot_variants(runs)
    per_epoch = figure.axes[0]
    # Every run drawn whole on the (log) epoch axis: the full-batch curve reaches its last epoch.
    assert per_epoch.get_xscale() == "log"
    assert per_epoch.get_xlim()[1] >= CFG.full_batch_epochs
    assert max(line.get_xdata()[-1] for line in per_epoch.lines) == pytest.approx(CFG.full_batch_epochs)
    table = variant_table(variant_claims(runs))
    assert list(table.index) == ["full batch", "mini-batch", "stochastic (B=1)"] and table.shape == (3, 5)
    assert table.columns[0].startswith("loss after") and table.columns[-1] == "seconds per epoch"
    for run in runs.values():
        steps = run.history.steps
        assert len(steps) == run.curve["updates"].iloc[-1] == steps["step"].iloc[-1]
        assert steps["seconds"].is_monotonic_increasing
        assert run.curve["epoch"].iloc[-1] == pytest.approx(round(run.curve["epoch"].iloc[-1]))


def test_gradient_quality_cosine_rises_and_variance_falls_as_one_over_b(seeded):
    seed, train, runs = seeded
    seed_everything(seed)
    points = {"start": mlp(depth=0), "trained": runs["mini-batch"].model}
    qualities = {}
    for label, model in points.items():
        quality = gradient_quality(model, train, CFG.grad_batch_sizes, n_batches=CFG.grad_n_batches, seed=seed)
        qualities[label] = quality
        rank = quality[["batch_size", "cosine"]].corr(method="spearman").iloc[0, 1]
        assert rank > 0.8, (seed, label, quality["cosine"].tolist())
        assert quality["cosine"].iloc[-1] > quality["cosine"].iloc[0] + 0.2, (seed, label, quality["cosine"].tolist())
        slope = variance_slope(quality)
        assert abs(slope + 1) < 0.2, (seed, label, slope)
        ratio = quality["variance"] / quality["predicted_variance"]
        assert ratio.between(0.5, 2.0).all(), (seed, label, ratio.tolist())
    assert qualities["trained"]["cosine"].iloc[-1] < qualities["start"]["cosine"].iloc[-1], (seed, qualities)
    assert isinstance(plot_gradient_quality(qualities), Figure)


def test_time_per_epoch_b1_much_slower(seeded):
    seed, train, _ = seeded
    timing = time_per_epoch(train, (1, 16, 256), seed=seed)
    by_size = timing.set_index("batch_size")["seconds"]
    assert by_size[1] > 5 * by_size[256], timing
    assert list(timing["updates"]) == [len(train), math.ceil(len(train) / 16), math.ceil(len(train) / 256)]
    assert isinstance(plot_time_per_epoch(timing), Figure)


@pytest.mark.parametrize("seed", SEEDS)
def test_trajectories(seed):
    problem = make_regression_2d(seed=seed)
    c = trajectory_claims(problem, lr=0.1, epochs=CFG.traj_epochs, minibatch_size=8,
                          long_epochs=CFG.traj_long_epochs, seed=seed)
    assert c["sgd_excess"] < c["full_excess"] / 2, c
    assert c["mini_excess"] < c["full_excess"] / 2, c
    assert c["full_long_excess"] < 1e-4 and c["sgd_long_excess"] > 1e-2, c
    assert c["mini_long_excess"] < c["sgd_long_excess"] / 2, c
    table = trajectory_table(c, epochs=CFG.traj_epochs, long_epochs=CFG.traj_long_epochs)
    assert table.loc["full batch"].iloc[1] == float(f"{c['full_long_excess']:.2g}")
    assert list(table.columns) == [f"excess loss after {CFG.traj_epochs} epochs",
                                   f"excess loss after {CFG.traj_long_epochs} epochs"]


def test_trace_2d_full_batch_is_gradient_descent():
    problem = make_regression_2d(n=16, seed=0)
    path = trace_2d(problem, batch_size=16, lr=0.1, epochs=3)
    assert path.shape == (4, 2)
    w, b = path[0]
    residual = w * problem.x + b - problem.y
    expected = path[0] - 0.1 * np.array([(residual * problem.x).mean(), residual.mean()])
    assert path[1] == pytest.approx(expected)


def test_slider_function_and_panel():
    figure = explore_trajectories(lr=0.3, batch_size=4, epochs=3)
    paths = figure.axes[0]
    # Start and minimum are drawn above every path, with an edge.
    markers = [line for line in paths.lines if line.get_label() in ("start", "minimum")]
    assert len(markers) == 2 and all(m.get_zorder() > max(line.get_zorder() for line in paths.lines
                                                           if line not in markers) for m in markers)
    assert all(m.get_markeredgecolor() != m.get_color() for m in markers)
    stochastic = next(line for line in paths.lines if line.get_label().startswith("stochastic"))
    assert stochastic.get_alpha() < 0.6  # see-through, not a wall
    assert explore_trajectories_panel() is not None


def test_train_variant_reports_divergence():
    train = fashion_mnist(200, n_test=10, seed=0, device="cpu").train
    seed_everything(0)
    run = train_variant(mlp(depth=0), train, batch_size=1, lr=1.0, epochs=1)
    assert run.history.diverged and "diverged" in run.history.message


def test_evaluation_points():
    assert evaluation_points(10, 10, 3) == [1, 2, 3]
    points = evaluation_points(100, 1, 2, per_epoch=4)
    assert points[:3] == [1, 2, 4] and 100 in points and points[-1] == 200


def test_bad_arguments_are_rejected():
    train = fashion_mnist(100, n_test=10, seed=0, device="cpu").train
    with pytest.raises(ValueError, match="batch_size"):
        train_variant(mlp(depth=0), train, batch_size=0, lr=0.1, epochs=1)
    with pytest.raises(ValueError, match="lr"):
        trace_2d(make_regression_2d(), batch_size=4, lr=-1, epochs=1)
    with pytest.raises(ValueError, match="batch_sizes"):
        gradient_quality(mlp(depth=0), train, [1, 100])
    with pytest.raises(ValueError, match="minibatch_size"):
        compare_variants(train, lr=0.01, full_batch_epochs=1, minibatch_epochs=1, stochastic_epochs=1,
                         minibatch_size=1)


def test_exercises_give_feedback():
    assert not EXERCISES["updates_per_epoch"].check(...)
    assert EXERCISES["updates_per_epoch"].check(469)
    assert not EXERCISES["updates_per_epoch"].check(468)
    assert EXERCISES["noise_vs_batch"].check(4)
    assert not EXERCISES["noise_vs_batch"].check(16)
    assert EXERCISES["without_replacement"].check("b")
    assert EXERCISES["why_b1_slow"].check("B")


def test_cosine_exercise_accepts_the_reference_and_hints_each_mistake():
    import torch

    from course_utils.gradient_descent import EXERCISES, cosine_similarity

    assert cosine_similarity(torch.tensor([1.0, 0.0]), torch.tensor([3.0, 0.0])) == pytest.approx(1.0)
    exercise = EXERCISES["cosine"]
    assert exercise.check(cosine_similarity).correct
    assert exercise.check(lambda g, full: torch.nn.functional.cosine_similarity(g, full, dim=0)).correct
    assert "dot product" in exercise.check(lambda g, full: float(g @ full)).message
    assert "projection" in exercise.check(lambda g, full: float(g @ full / full.norm() ** 2)).message
    assert "sign" in exercise.check(lambda g, full: abs(float(g @ full / (g.norm() * full.norm())))).message
