"""Every schedule in course_utils.schedules against its closed form, and inside `fit`."""
import numpy as np
import pytest
import torch

from course_utils import fit, seed_everything
from course_utils.schedules import (
    SCHEDULE_NAMES,
    Schedule,
    constant,
    cosine,
    exponential_decay,
    linear_warmup,
    lr_sequence,
    make_schedule,
    one_cycle,
    plot_schedules,
    standard_schedules,
    step_decay,
    time_based_decay,
)

RTOL = 1e-6
ATOL = 1e-12  # cosine and one-cycle end at (nearly) zero, where a relative test alone is too strict


def _builders(total_steps: int) -> dict[str, Schedule]:
    """Each builder with hand-picked (not default) arguments."""
    return {
        "constant": constant(),
        "time-based": time_based_decay(k=0.05),
        "step": step_decay(step_size=7, gamma=0.5),
        "exponential": exponential_decay(gamma=0.97),
        "cosine": cosine(total_steps=total_steps, min_factor=0.1),
        "cosine to zero": cosine(total_steps=total_steps),
        "warm-up": linear_warmup(warmup_steps=12, start_factor=0.2),
        "one-cycle": one_cycle(total_steps=total_steps, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
    }


@pytest.mark.parametrize("total_steps", [20, 101])
@pytest.mark.parametrize("name", list(_builders(20)))
def test_torch_scheduler_matches_closed_form(name, total_steps):
    schedule = _builders(total_steps)[name]
    lr0 = 0.3
    torch_rates = lr_sequence(schedule, total_steps, lr0)
    np.testing.assert_allclose(torch_rates, schedule.lr(np.arange(total_steps), lr0), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("total_steps", [10, 64, 500])
def test_standard_schedules_match_closed_form_and_shape(total_steps):
    schedules = standard_schedules(total_steps)
    assert tuple(schedules) == SCHEDULE_NAMES
    for name, schedule in schedules.items():
        rates = lr_sequence(schedule, total_steps, lr0=1.0)
        np.testing.assert_allclose(rates, schedule.lr(np.arange(total_steps), 1.0), rtol=RTOL, atol=ATOL,
                                   err_msg=name)
        assert rates.max() <= 1.0 + 1e-12, name  # lr0 is the ceiling of every schedule
    # The decays end near 5% of lr0 (time-based and exponential within one step of it).
    for name in ("time-based", "exponential"):
        assert schedules[name].lr(total_steps, 1.0) == pytest.approx(0.05, rel=1e-9)


def test_closed_forms_at_known_points():
    assert time_based_decay(0.02).lr(200, 0.1) == pytest.approx(0.02)
    assert step_decay(10, 0.5).lr([0, 9, 10, 25], 1.0).tolist() == [1.0, 1.0, 0.5, 0.25]
    assert exponential_decay(0.5).lr(3, 8.0) == pytest.approx(1.0)
    assert cosine(100).lr([0, 50, 100], 2.0) == pytest.approx([2.0, 1.0, 0.0])
    assert linear_warmup(10, 0.1).lr([0, 5, 10, 50], 1.0) == pytest.approx([0.1, 0.55, 1.0, 1.0])
    cycle = one_cycle(100, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    assert cycle.lr([0, 29, 99], 1.0) == pytest.approx([1 / 25, 1.0, 1 / 25 / 1e4])


@pytest.mark.parametrize("name", SCHEDULE_NAMES)
def test_fit_uses_the_schedule(name):
    """The rates `fit` records per update equal the closed form (fit steps the scheduler per update)."""
    x = torch.randn(96, 5, generator=torch.Generator().manual_seed(0))
    y = (x[:, 0] > 0).long()
    seed_everything(0)
    model = torch.nn.Linear(5, 2)
    epochs, batch_size, lr0 = 3, 16, 0.05
    total = epochs * 96 // batch_size
    schedule = make_schedule(name, total)
    history = fit(model, (x, y), epochs=epochs, lr=lr0, batch_size=batch_size, scheduler=schedule, verbose=False)
    assert not history.diverged
    np.testing.assert_allclose(history.steps["lr"], schedule.lr(np.arange(total), lr0), rtol=RTOL, atol=ATOL)


def test_one_cycle_does_not_touch_momentum():
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=0.1, momentum=0.0)
    scheduler = one_cycle(20)(optimizer)
    for _ in range(20):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["momentum"] == 0.0


def test_one_cycle_can_cycle_momentum_and_keeps_its_lr():
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=0.1, momentum=0.9)
    schedule = one_cycle(40, cycle_momentum=True, base_momentum=0.85, max_momentum=0.95)
    scheduler = schedule(optimizer)
    rates, momenta = [], []
    for _ in range(40):
        rates.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(rates, schedule.lr(np.arange(40), 0.1), rtol=RTOL, atol=ATOL)
    assert momenta[0] == pytest.approx(0.95) and min(momenta) == pytest.approx(0.85)
    assert int(np.argmin(momenta)) == int(np.argmax(rates))  # momentum lowest where the rate peaks


@pytest.mark.parametrize("build, message", [
    (lambda: time_based_decay(-1.0), "k must be"),
    (lambda: step_decay(0), "step_size must be"),
    (lambda: step_decay(5, gamma=1.5), "gamma must be a number in \\(0, 1\\)"),
    (lambda: exponential_decay(0.0), "gamma must be"),
    (lambda: cosine(10, min_factor=2.0), "min_factor must be"),
    (lambda: linear_warmup(0), "warmup_steps must be"),
    (lambda: one_cycle(10, pct_start=0.05), "pct_start \\* total_steps"),
    (lambda: make_schedule("triangular", 100), "schedule must be one of"),
    (lambda: standard_schedules(5), "total_steps must be"),
    (lambda: lr_sequence(constant(), 0), "n_steps must be"),
    (lambda: constant().lr(-1, 0.1), "steps must be >= 0"),
])
def test_bad_arguments_are_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_plot_schedules_draws_every_schedule():
    fig = plot_schedules(standard_schedules(50), 50, lr0=0.1)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == list(SCHEDULE_NAMES)
