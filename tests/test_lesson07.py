"""Lesson 07 (batch size): experiments, bad input, the out-of-memory search, figures, panel, exercises, claims."""
import math

import numpy as np
import pandas as pd
import pytest
import torch

from course_utils.lesson07 import (
    EXERCISES,
    batch_size_sweep,
    break_point,
    explore_batch_size,
    explore_batch_size_panel,
    fit_tradeoff,
    generalization_gap,
    increase_batch_vs_decay,
    is_out_of_memory,
    largest_batch_that_fits,
    loss_at,
    measure_throughput,
    new_model,
    noise_scale_during_training,
    plot_scaling,
    plot_three_axes,
    plot_throughput,
    plot_time_to_target,
    run,
    scaled_lr,
    steps_to_target,
    sweep_table,
    throughput_knee,
    time_to_target,
    two_batch_estimates,
)
from course_utils.lesson07.exercises import two_batch_b_simple
from course_utils.lesson07.noise_scale import b_simple_per_example, b_simple_two_batch


@pytest.fixture(scope="module")
def train(small_data):
    return small_data.train.subset(512, seed=0)


# ---------------------------------------------------------------- out-of-memory search
class FakeModel:
    """Raises CUDA's out-of-memory error above ``capacity`` examples, like a GPU would."""

    def __init__(self, capacity: int, error=torch.cuda.OutOfMemoryError):
        self.capacity, self.error, self.calls = capacity, error, []

    def step(self, batch_size: int) -> None:
        self.calls.append(batch_size)
        if batch_size > self.capacity:
            if self.error is RuntimeError:
                raise RuntimeError("MPS backend out of memory (MPS allocated: 8 GB)")
            raise self.error("CUDA out of memory. Tried to allocate 2.00 GiB")


@pytest.mark.parametrize("capacity, expected, failure", [(1000, 512, 1024), (1024, 1024, 2048), (1, 1, 2)])
def test_largest_batch_that_fits_doubles_until_out_of_memory(capacity, expected, failure):
    fake = FakeModel(capacity)
    search = largest_batch_that_fits(fake.step, start=1, limit=2 ** 20)
    assert (search.largest_fit, search.first_failure) == (expected, failure)
    assert fake.calls == [2 ** k for k in range(int(math.log2(failure)) + 1)]
    assert not search.hit_limit


def test_largest_batch_that_fits_catches_mps_error_and_stops_at_limit():
    assert largest_batch_that_fits(FakeModel(100, RuntimeError).step, start=8).largest_fit == 64
    search = largest_batch_that_fits(FakeModel(10 ** 9).step, start=4, limit=64)
    assert search.largest_fit == 64 and search.hit_limit and search.tried == (4, 8, 16, 32, 64)
    assert largest_batch_that_fits(FakeModel(0).step, start=4).largest_fit is None


def test_largest_batch_that_fits_reraises_other_errors_and_checks_input():
    def broken(batch_size):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    with pytest.raises(RuntimeError, match="shapes"):
        largest_batch_that_fits(broken)
    with pytest.raises(ValueError, match="start"):
        largest_batch_that_fits(FakeModel(10).step, start=0)
    with pytest.raises(ValueError, match="limit"):
        largest_batch_that_fits(FakeModel(10).step, start=8, limit=4)
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("x")) and not is_out_of_memory(ValueError("out of memory"))


# ---------------------------------------------------------------- throughput
def test_throughput_table_and_knee(train):
    table = measure_throughput(train, [1, 8, 64, 512], min_samples=64, repeats=1)
    assert list(table["batch_size"]) == [1, 8, 64, 512]
    assert (table["steps"] >= 3).all() and np.allclose(table["samples_per_s"],
                                                       table["steps"] * table["batch_size"] / table["seconds"])
    # a synthetic table that follows the model exactly: the fit recovers overhead and per-sample cost
    b = np.array([1, 4, 16, 64, 256, 1024])
    seconds = 0.5 + b * 0.004  # milliseconds per step
    exact = pd.DataFrame({"batch_size": b, "ms_per_step": seconds, "samples_per_s": b / seconds * 1e3})
    knee = throughput_knee(exact)
    assert knee.overhead_ms == pytest.approx(0.5) and knee.per_sample_us == pytest.approx(4.0)
    assert knee.batch_size == pytest.approx(125) and np.allclose(knee.predict(b), exact["samples_per_s"])
    fig = plot_throughput(exact, knee)
    assert "125" in fig._suptitle.get_text() and len(fig.axes[0].get_lines()) >= 3


@pytest.mark.parametrize("kwargs, name", [({"batch_sizes": [0]}, "batch_sizes"),
                                          ({"batch_sizes": [513]}, "batch_sizes"),
                                          ({"batch_sizes": [4], "lr": -1.0}, "lr"),
                                          ({"batch_sizes": [4], "repeats": 0}, "repeats")])
def test_throughput_bad_input(train, kwargs, name):
    with pytest.raises(ValueError, match=name):
        measure_throughput(train, **kwargs)


# ---------------------------------------------------------------- sweep and three axes
@pytest.fixture(scope="module")
def sweep(train):
    return batch_size_sweep(train, [16, 64, 512], base_lr=0.02, base_batch=16, epochs=2, per_epoch=2)


def test_sweep_rules_and_table(sweep):
    assert set(sweep) == {(rule, b) for rule in ("fixed", "scaled", "scaled + warm-up") for b in (16, 64, 512)}
    assert sweep["fixed", 16] is sweep["scaled", 16] is sweep["scaled + warm-up", 16]  # one shared base run
    assert sweep["fixed", 512].lr == 0.02 and sweep["scaled", 512].lr == pytest.approx(0.64)
    assert sweep["scaled", 64].curve["updates"].iloc[-1] == 2 * 8
    table = sweep_table(sweep, 16)
    assert (table[table["batch_size"] == 16]["ratio"] == 1).all()
    assert break_point(table, "fixed") in (64, 512)  # a fixed rate falls behind at equal epochs
    fig = plot_three_axes(sweep, "fixed", [16, 64, 512])
    assert len(fig.axes) == 3 and all(len(ax.get_lines()) == 3 for ax in fig.axes)
    assert fig.axes[1].get_xscale() == "log"
    assert len(plot_scaling(table, sweep, 1.25, 64).axes[0].get_lines()) >= 3


def test_loss_at_axes_and_bad_axis(sweep):
    run = sweep["fixed", 64]
    assert loss_at(run, "epochs", 2) == pytest.approx(run.curve["train_loss"].iloc[-1])
    assert loss_at(run, "updates", 16) == pytest.approx(run.curve["train_loss"].iloc[-1])
    with pytest.raises(ValueError, match="x_axis"):
        loss_at(run, "minutes", 1.0)


def test_scaled_lr_rules_and_bad_input():
    assert scaled_lr(0.1, 1024, 256) == pytest.approx(0.4)
    assert scaled_lr(0.1, 1024, 256, "sqrt") == pytest.approx(0.2)
    assert scaled_lr(0.1, 1024, 256, "none") == 0.1
    for kwargs, name in (({"base_lr": -0.1}, "base_lr"), ({"batch_size": 0}, "batch_size"),
                         ({"rule": "cubic"}, "rule")):
        with pytest.raises(ValueError, match=name):
            scaled_lr(**{"base_lr": 0.1, "batch_size": 64, "base_batch": 16, **kwargs})


@pytest.mark.parametrize("kwargs, name", [({"batch_sizes": [0]}, "batch_sizes"),
                                          ({"batch_sizes": [10_000]}, "batch_sizes"),
                                          ({"base_lr": -0.02}, "base_lr"), ({"rules": ["cubic"]}, "rules"),
                                          ({"epochs": 0}, "epochs")])
def test_sweep_bad_input(train, kwargs, name):
    args = {"batch_sizes": [16], "base_lr": 0.02, "base_batch": 16, "epochs": 1, **kwargs}
    with pytest.raises(ValueError, match=name):
        batch_size_sweep(train, **args)


# ---------------------------------------------------------------- time to target, gap, growing the batch
def test_time_to_target_marks_runs_that_never_arrive(train, small_data):
    grid = time_to_target(train, small_data.val, lrs=[1e-4, 0.1], batch_sizes=[16, 128], target_acc=0.6, max_epochs=2)
    assert len(grid) == 4 and not grid[grid["lr"] == 1e-4]["reached"].any()
    assert grid[grid["reached"]]["epochs"].between(1, 2).all() and grid[~grid["reached"]]["seconds"].isna().all()
    fig = plot_time_to_target(grid, 0.6)
    assert "never" in [t.get_text() for t in fig.axes[0].texts]
    with pytest.raises(ValueError, match="target_acc"):
        time_to_target(train, small_data.val, lrs=[0.1], batch_sizes=[16], target_acc=1.5, max_epochs=1)
    with pytest.raises(ValueError, match="lrs"):
        time_to_target(train, small_data.val, lrs=[-0.1], batch_sizes=[16], target_acc=0.5, max_epochs=1)


def test_generalization_gap_counts_updates(train, small_data):
    gap = generalization_gap(train, small_data.test, small_batch=16, large_batch=128, base_lr=0.02, epochs=1)
    rows = gap.set_index("run")
    assert rows.loc["small", "updates"] == 32 and rows.loc["large, equal epochs", "updates"] == 4
    assert rows.loc["large, scaled, equal updates", "updates"] == 32
    assert rows.loc["large, scaled, equal epochs", "lr"] == pytest.approx(0.16)
    with pytest.raises(ValueError, match="large_batch"):
        generalization_gap(train, small_data.test, small_batch=64, large_batch=32, base_lr=0.02, epochs=1)


def test_increase_batch_vs_decay_schedules(train, small_data):
    result = increase_batch_vs_decay(train, small_data.test, batch_size=16, lr=0.1, factor=4, phases=2,
                                     epochs_per_phase=1)
    assert result["decay the rate"]["schedule"] == [(16, 0.1), (16, 0.025)]
    assert result["grow the batch"]["schedule"] == [(16, 0.1), (64, 0.1)]
    assert result["decay the rate"]["updates"] == 64 and result["grow the batch"]["updates"] == 32 + 8
    assert list(result["grow the batch"]["curve"]["epoch"]) == [0, 1, 2]
    with pytest.raises(ValueError, match="batch_size"):
        increase_batch_vs_decay(train, small_data.test, batch_size=256, lr=0.1, factor=4, phases=2, epochs_per_phase=1)


# ---------------------------------------------------------------- noise scale
def test_two_batch_estimates_recover_known_values():
    g2, trace = 2.0, 300.0
    assert two_batch_estimates(g2 + trace / 8, g2 + trace / 512, 8, 512) == pytest.approx((g2, trace))
    assert two_batch_b_simple(g2 + trace / 8, g2 + trace / 512, 8, 512) == pytest.approx(150)
    with pytest.raises(ValueError, match="b_big"):
        two_batch_estimates(1.0, 1.0, 8, 8)


def test_noise_scale_estimators_agree_on_a_fixed_model(train):
    model = new_model(64, 1, seed=0, device="cpu")
    exact = b_simple_per_example(model, train)
    cheap = b_simple_two_batch(model, train, b_small=8, b_big=256, n_batches=64, seed=0)
    assert exact["b_simple"] > 0 and 0.5 < cheap["b_simple"] / exact["b_simple"] < 2
    table = noise_scale_during_training(train, batch_size=32, lr=0.05, epochs=1, b_small=8, b_big=128, n_batches=4,
                                        n_examples=128)
    assert list(table["epoch"]) == [0, 1] and (table["trace_sigma"] > 0).all()
    with pytest.raises(ValueError, match="b_big"):
        b_simple_two_batch(model, train, b_small=64, b_big=32, n_batches=2)


def test_steps_to_target_and_tradeoff(train):
    assert steps_to_target(train, batch_size=64, lr=1e-5, target_loss=0.5, max_steps=5) == math.inf
    steps = steps_to_target(train, batch_size=32, lr=0.1, target_loss=1.5, max_steps=200)
    assert 1 <= steps <= 200
    exact = pd.DataFrame({"batch_size": [8, 32, 128, 512], "steps": [100 + 5000 / b for b in (8, 32, 128, 512)]})
    tradeoff = fit_tradeoff(exact)
    assert tradeoff.s_min == pytest.approx(100) and tradeoff.b_crit == pytest.approx(50)
    assert np.allclose(tradeoff.product(exact["steps"], exact["steps"] * exact["batch_size"]), 1)
    with pytest.raises(ValueError, match="at least 3"):
        fit_tradeoff(exact.assign(steps=[1.0, math.inf, math.inf, math.inf]))
    with pytest.raises(ValueError, match="batch_size"):
        steps_to_target(train, batch_size=0, lr=0.1, target_loss=1.0, max_steps=5)


# ---------------------------------------------------------------- panel and exercises
def test_panel_draws_two_runs_and_rejects_bad_input(train):
    fig = explore_batch_size(batch_size=128, lr=0.02, scale_lr=True, x_axis="updates", train=train, epochs=1)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2 and ax.get_xscale() == "log" and "lr=0.16" in ax.get_title()
    assert "not scaled" in explore_batch_size(128, scale_lr=False, train=train, epochs=1).axes[0].get_title()
    for kwargs, name in (({"batch_size": 0}, "batch_size"), ({"batch_size": 513}, "batch_size"), ({"lr": -0.1}, "lr"),
                         ({"x_axis": "minutes"}, "x_axis")):
        with pytest.raises(ValueError, match=name):
            explore_batch_size(train=train, epochs=1, **kwargs)
    panel = explore_batch_size_panel(train)
    controls = [child for child in panel.children if hasattr(child, "description") and child.description]
    assert len(controls) == 4 and max(controls[0].options) <= len(train)


def test_exercises_give_feedback():
    assert len(EXERCISES) == 4
    assert EXERCISES["scale_the_rate"].check(0.8) and not EXERCISES["scale_the_rate"].check(6.4)
    assert EXERCISES["which_axis"].check("b") and not EXERCISES["which_axis"].check("a")
    assert EXERCISES["critical_batch"].check(2000)
    assert EXERCISES["two_batch"].check(two_batch_b_simple)
    wrong = EXERCISES["two_batch"].check(lambda s, b, bs, bb: (s - b) / (1 / bs - 1 / bb) / b)
    assert not wrong and "|G|^2" in wrong.message
    assert all(exercise.show_solution().text for exercise in EXERCISES.values())


# ---------------------------------------------------------------- the lesson's claims
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_claims_hold_in_the_smoke_profile(seed):
    claims = run(seed, "smoke")
    assert len(claims) == 17
    failed = [repr(claim) for claim in claims if not claim.holds]
    assert not failed, failed
