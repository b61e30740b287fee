"""Lesson 04 (course_utils/lesson04/ and the toolkit pieces it uses): the claims (the functions the notebook
calls) with the smoke budget for three seeds, and that they fail on results that contradict them; what the
figures draw, the 2-D paths and their rate rule, exercises and bad input."""
import math

import numpy as np
import pytest
import torch

from course_utils import budget, fashion_mnist, mlp, seed_everything
from course_utils.batch_runs import evaluation_points, train_variant
from course_utils.claims import ClaimFailed
from course_utils.gradients import flat_gradient
from course_utils.lesson04 import (
    EXERCISES,
    batch_gradient_spread,
    claim_b1_epoch_slower,
    claim_b1_never_settles,
    claim_cosine_lower_when_trained,
    claim_cosine_rises,
    claim_minibatch_hovers_less,
    claim_per_epoch,
    claim_per_second,
    claim_per_update,
    claim_stochastic_closer,
    claim_variance_one_over_b,
    compare_variants,
    explore_trajectories,
    explore_trajectories_panel,
    gradient_quality,
    lowest_variant,
    plot_batch_losses,
    plot_gradient_quality,
    plot_time_per_epoch,
    plot_variants,
    time_per_epoch,
    trajectory_claims,
    trajectory_table,
    variance_slope,
    variant_claims,
    variant_table,
)
from course_utils.lesson04.claims import run as run_lesson
from course_utils.toy_regression import constant_lr, make_regression_2d, trace_2d

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
    _, _, runs = seeded
    numbers = variant_claims(runs)
    for claim in (claim_per_epoch(numbers), claim_per_update(numbers), claim_per_second(numbers)):
        claim.check()


def test_variant_claims_fail_on_results_that_contradict_them(seeded):
    _, _, runs = seeded
    numbers = variant_claims(runs)
    swapped = {**numbers, "full_epoch_loss": numbers["sgd_epoch_loss"], "sgd_update_loss": numbers["full_update_loss"],
               "mini_typical_loss": numbers["sgd_typical_loss"] + 0.01}
    for claim in (claim_per_epoch(swapped), claim_per_update(swapped), claim_per_second(swapped)):
        assert claim.margin <= 0, claim
        with pytest.raises(ClaimFailed, match="Measured"):
            claim.check()


def test_plot_variants_and_step_records(seeded):
    _, _, runs = seeded
    figure = plot_variants(runs)
    per_epoch = figure.axes[0]
    # Every run drawn whole on the (log) epoch axis: the full-batch curve reaches its last epoch.
    assert per_epoch.get_xscale() == "log"
    assert per_epoch.get_xlim()[1] >= CFG.full_batch_epochs
    assert max(line.get_xdata()[-1] for line in per_epoch.lines) == pytest.approx(CFG.full_batch_epochs)
    assert [ax.get_title() for ax in figure.axes] == ["Per epoch", "Per update", "Per second"]
    labels = [line.get_label() for line in per_epoch.lines]
    assert labels == [f"{name} (B={run.batch_size}, {round(run.curve['epoch'].iloc[-1])} epochs)"
                      for name, run in runs.items()]
    for ax in figure.axes:  # every panel draws each run's whole-set loss
        for line, run in zip(ax.lines, runs.values(), strict=False):
            assert np.allclose(line.get_ydata(), run.curve["train_loss"])
    assert np.allclose(figure.axes[2].lines[0].get_xdata(), runs["full batch"].curve["seconds"])
    batch_losses = plot_batch_losses(runs)
    assert [ax.get_title().split(":")[0] for ax in batch_losses.axes] == [
        "stochastic (B=1)", f"mini-batch (B={CFG.minibatch_size})"]
    faint, _, whole_set = batch_losses.axes[0].lines
    assert np.allclose(faint.get_ydata(), runs["stochastic"].history.steps["loss"])
    assert np.allclose(whole_set.get_ydata(), runs["stochastic"].curve["train_loss"])
    table = variant_table(variant_claims(runs))
    assert list(table.index) == ["full batch", "mini-batch", "stochastic (B=1)"] and table.shape == (3, 6)
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
    for claim in (claim_cosine_rises(qualities), claim_cosine_lower_when_trained(qualities),
                  claim_variance_one_over_b(qualities)):
        claim.check()
    flat = {label: quality.assign(cosine=0.5, variance=quality["predicted_variance"] * quality["batch_size"],
                                  variance_corrected=quality["variance_corrected"].iloc[0])
            for label, quality in qualities.items()}  # cosine flat, variance not falling with B
    for claim in (claim_cosine_rises(flat), claim_cosine_lower_when_trained(flat), claim_variance_one_over_b(flat)):
        assert not claim.holds, claim
    figure = plot_gradient_quality(qualities)
    ax_cos, ax_var = figure.axes
    assert ax_cos.get_title().startswith("Direction") and ax_var.get_title().startswith("Spread")
    assert ax_var.get_xscale() == ax_var.get_yscale() == "log"
    start = qualities["start"]
    measured, predicted = ax_var.lines[0], ax_var.lines[1]
    assert np.allclose(measured.get_xdata(), start["batch_size"])
    assert np.allclose(measured.get_ydata(), start["variance"])
    assert np.allclose(predicted.get_ydata(), start["predicted_variance"])
    assert measured.get_label() == f"start: measured (fitted slope {variance_slope(start):.2f})"
    legend = [text.get_text() for text in ax_cos.get_legend().get_texts()]
    assert legend == ["start: predicted", "trained: predicted", "start: measured (mean ± std)",
                      "trained: measured (mean ± std)"]


def test_time_per_epoch_b1_much_slower(seeded):
    seed, train, _ = seeded
    timing = time_per_epoch(train, (1, 16, 256), seed=seed)
    claim_b1_epoch_slower(timing).check()
    assert not claim_b1_epoch_slower(timing.assign(seconds=1.0)).holds  # equal times contradict the claim
    assert list(timing["updates"]) == [len(train), math.ceil(len(train) / 16), math.ceil(len(train) / 256)]
    figure = plot_time_per_epoch(timing)
    ax_epoch, ax_update = figure.axes
    assert np.allclose(ax_epoch.lines[0].get_ydata(), timing["seconds"])
    assert np.allclose(ax_update.lines[0].get_ydata(), timing["ms_per_update"])
    assert [text.get_text() for text in ax_epoch.texts] == [f"{u} updates" for u in timing["updates"]]
    assert ax_epoch.get_title() == "Time for one pass over the data" and ax_update.get_title() == "Time for one update"


@pytest.mark.parametrize("seed", SEEDS)
def test_trajectories(seed):
    problem = make_regression_2d(seed=seed)
    c = trajectory_claims(problem, lr=0.1, epochs=CFG.traj_epochs, minibatch_size=8,
                          long_epochs=CFG.traj_long_epochs, seed=seed)
    for claim in (claim_stochastic_closer(c), claim_b1_never_settles(c), claim_minibatch_hovers_less(c)):
        claim.check()
    settled = {**c, "sgd_excess": c["full_excess"], "sgd_long_excess": c["full_long_excess"]}
    for claim in (claim_stochastic_closer(settled), claim_b1_never_settles(settled),
                  claim_minibatch_hovers_less(settled)):
        assert claim.margin <= 0, claim
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
    # One point per update plus the start: 3 epochs of 64 points are 3, 48 and 192 updates.
    lengths = {line.get_label(): len(line.get_xdata()) for line in paths.lines if "(B=" in line.get_label()}
    assert lengths == {"full batch (B=64)": 4, "mini-batch (B=4)": 49, "stochastic (B=1)": 193}
    assert figure._suptitle.get_text() == "lr=0.3, 3 epochs; updates made: B=64: 3, B=4: 48, B=1: 192"
    panel = explore_trajectories_panel()
    assert [control.description for control in panel.controls] == ["learning rate", "mini-batch size", "epochs"]
    assert panel.result._suptitle.get_text().startswith("lr=0.1, 10 epochs;")


def test_trace_2d_takes_a_rate_rule():
    problem = make_regression_2d(n=16, seed=0)
    plain = trace_2d(problem, batch_size=4, lr=0.1, epochs=3, seed=1)
    assert np.array_equal(trace_2d(problem, batch_size=4, lr=0.1, epochs=3, seed=1, lr_at=constant_lr), plain)
    seen = []

    def halving(lr, epoch):
        seen.append(epoch)
        return lr / 2

    halved = trace_2d(problem, batch_size=4, lr=0.2, epochs=3, seed=1, lr_at=halving)
    assert seen == [step / 4 for step in range(12)]  # epochs done before each update, fractional
    assert np.allclose(halved, plain)  # rate 0.2 / 2 is the constant rate 0.1


def test_a_decaying_rate_settles_b1_but_slows_full_batch():
    problem = make_regression_2d(seed=0)

    def decaying(lr, epoch):
        return lr / (1 + epoch)

    constant = trajectory_claims(problem, lr=0.1, epochs=10, minibatch_size=8, long_epochs=200)
    decayed = trajectory_claims(problem, lr=0.1, epochs=10, minibatch_size=8, long_epochs=200, lr_at=decaying)
    assert decayed["sgd_long_excess"] < constant["sgd_long_excess"] / 100, (constant, decayed)
    assert decayed["full_long_excess"] > 100 * constant["full_long_excess"], (constant, decayed)
    figure = explore_trajectories(lr=0.1, batch_size=8, epochs=2, lr_at=decaying)
    assert figure._suptitle.get_text().startswith("lr=0.1 (decaying), 2 epochs;")


def test_lowest_variant():
    claims = {"full_epoch_loss": 2.0, "mini_epoch_loss": 1.0, "sgd_epoch_loss": 0.5,
              "full_update_loss": 0.9, "mini_update_loss": 0.8, "sgd_update_loss": 1.8}
    assert lowest_variant(claims, "epoch") == "stochastic"
    assert lowest_variant(claims, "update") == "mini-batch"
    assert lowest_variant(claims, "update", among=("full batch", "stochastic")) == "full batch"
    with pytest.raises(ValueError, match="comparison"):
        lowest_variant(claims, "epochs")


def test_a_batch_of_every_example_is_the_full_gradient():
    train = fashion_mnist(100, n_test=10, seed=0, device="cpu").train
    seed_everything(0)
    model = mlp(depth=0)
    full = flat_gradient(model, train.x, train.y)
    generator = torch.Generator().manual_seed(0)
    cosines, distances = batch_gradient_spread(model, train, full, len(train), 3, generator)
    assert cosines == pytest.approx([1.0] * 3, abs=1e-5)
    assert max(distances) < 1e-8 * float(full @ full)
    cosines, distances = batch_gradient_spread(model, train, full, 1, 5, generator)
    assert len(cosines) == len(distances) == 5 and max(cosines) < 0.99 and min(distances) > 0


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
    from course_utils.lesson04 import cosine_similarity

    assert cosine_similarity(torch.tensor([1.0, 0.0]), torch.tensor([3.0, 0.0])) == pytest.approx(1.0)
    exercise = EXERCISES["cosine"]
    assert exercise.check(cosine_similarity).correct
    assert exercise.check(lambda g, full: torch.nn.functional.cosine_similarity(g, full, dim=0)).correct
    assert "dot product" in exercise.check(lambda g, full: float(g @ full)).message
    assert "projection" in exercise.check(lambda g, full: float(g @ full / full.norm() ** 2)).message
    assert "sign" in exercise.check(lambda g, full: abs(float(g @ full / (g.norm() * full.norm())))).message


def test_a_stalled_moment_does_not_move_the_typical_speed(seeded):
    """Stretching a few updates of B=1 (another program held the CPU) leaves its median cost unchanged."""
    _, _, runs = seeded
    sgd = runs["stochastic"]
    before = sgd.median_seconds_per_update
    steps = sgd.history.steps
    stalled = steps.assign(seconds=steps["seconds"] + 0.5 * (steps.index >= len(steps) // 2))
    sgd.history.steps = stalled
    try:
        assert sgd.median_seconds_per_update == pytest.approx(before)
        assert variant_claims(runs)["at_typical"] > 0
    finally:
        sgd.history.steps = steps


def test_run_returns_every_claim_of_the_lesson():
    found = run_lesson(0, "smoke")
    assert [c.name for c in found] == ["per_epoch", "per_update", "per_second", "cosine_rises",
                                       "cosine_lower_when_trained", "variance_one_over_b", "stochastic_closer",
                                       "b1_never_settles", "minibatch_hovers_less", "b1_epoch_slower"]
    for claim in found:
        claim.check()
