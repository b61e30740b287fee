import functools

import ipywidgets
import numpy as np
import pytest
import torch
from torch import nn

from course_utils import fit, make_optimizer, mlp, seed_everything
from course_utils.data import Split, make_classification_2d
from course_utils.plots import LiveLossPlot
from course_utils.training import evaluate, train_mlp


def train(data, **kwargs):
    seed_everything(0)
    options = {"epochs": 2, "lr": 0.1, "batch_size": 64}
    options.update(kwargs)
    return fit(mlp(64, 1), data, **options)


def test_fit_learns_and_records_tidy_tables(small_data):
    history = train(small_data, epochs=3)
    epochs, steps = history.epochs, history.steps
    assert list(epochs.columns) == ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds"]
    assert list(epochs["epoch"]) == [0, 1, 2, 3]
    assert epochs["val_acc"].iloc[0] < 0.3 < 0.65 < history.final("val_acc")
    assert list(steps.columns) == ["step", "epoch", "lr", "loss", "seconds"]
    assert len(steps) == 3 * 32 and steps["step"].is_monotonic_increasing and steps["seconds"].is_monotonic_increasing
    assert not history.diverged and not history.interrupted and history.message == ""
    assert history.best("val_loss")["epoch"] in (1, 2, 3)


def test_same_seed_same_history(small_data):
    first, second = train(small_data), train(small_data)
    assert first.steps["loss"].equals(second.steps["loss"])
    assert first.epochs.drop(columns="seconds").equals(second.epochs.drop(columns="seconds"))
    third = train(small_data, seed=1)
    assert not first.steps["loss"].equals(third.steps["loss"])


def test_divergence_is_flagged_and_reported(small_data, capsys):
    history = train(small_data, lr=100.0)
    assert history.diverged and not history.interrupted
    assert "diverged at step" in history.message and "learning rate 100" in history.message
    assert history.message in capsys.readouterr().out
    # The table stops at the step that blew up; the steps before it are all finite.
    assert history.steps["loss"].iloc[:-1].notna().all()
    assert len(history.steps) < 64


def test_interrupted_mid_epoch_returns_partial_history(small_data):
    calls = {"n": 0}

    def loss_then_stop(output, target):
        calls["n"] += torch.is_grad_enabled()  # count training steps, not evaluations
        if calls["n"] == 40:  # the stop button, in the middle of epoch 2
            raise KeyboardInterrupt
        return nn.functional.cross_entropy(output, target)

    history = train(small_data, epochs=5, loss_fn=loss_then_stop)
    assert history.interrupted and "Interrupted at step 39" in history.message
    assert len(history.steps) == 39 and history.steps["loss"].notna().all()
    assert list(history.epochs["epoch"]) == [0, 1]


def test_interrupted_from_a_callback_keeps_finished_epochs(small_data):
    def stop_after_two(history):
        if len(history.epochs) == 3:
            raise KeyboardInterrupt

    history = train(small_data, epochs=5, callbacks=[stop_after_two])
    assert history.interrupted and list(history.epochs["epoch"]) == [0, 1, 2]


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -1}, r"lr must be a finite number > 0 \(got -1\)"),
    ({"lr": 0}, r"lr must be a finite number > 0"),
    ({"batch_size": 0}, r"batch_size must be an integer in \[1, 2000\] \(the number of training samples\) \(got 0\)"),
    ({"batch_size": 5000}, r"batch_size must be an integer in \[1, 2000\]"),
    ({"epochs": 0}, r"epochs must be an integer in >= 1"),
    ({"momentum": 1.0}, r"momentum must be a number in \[0, 1\) \(got 1.0\)"),
    ({"momentum": -0.1}, r"momentum must be a number in \[0, 1\)"),
    ({"weight_decay": -1e-4}, r"weight_decay must be a finite number >= 0"),
    ({"optimizer": "adamax"},
     r"optimizer must be one of 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad' \(got 'adamax'\)"),
    ({"optimizer": "adam", "momentum": 0.9}, r"momentum applies to sgd and rmsprop only"),
    ({"scheduler_interval": "batch"}, r"scheduler_interval must be one of 'step', 'epoch'"),
])
def test_bad_hyperparameters_name_parameter_value_and_range(small_data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train(small_data, **kwargs)


def test_optimizer_by_name_instance_or_factory(small_data):
    assert isinstance(make_optimizer("adamw", mlp(8, 1).parameters(), lr=1e-3, weight_decay=0.01), torch.optim.AdamW)
    assert make_optimizer("adam", mlp(8, 1).parameters()).param_groups[0]["lr"] == 1e-3  # torch's default
    history = train(small_data, lr=None, optimizer=functools.partial(torch.optim.SGD, lr=0.05, momentum=0.9))
    assert (history.steps["lr"] == 0.05).all()
    with pytest.raises(ValueError, match="not both"):
        train(small_data, lr=0.1, optimizer=functools.partial(torch.optim.SGD, lr=0.05))


def test_schedulers_step_per_update_or_per_epoch(small_data):
    per_step = train(small_data, epochs=2, scheduler=lambda opt: torch.optim.lr_scheduler.LinearLR(
        opt, start_factor=1.0, end_factor=0.5, total_iters=64))
    assert per_step.steps["lr"].iloc[0] == pytest.approx(0.1) and per_step.steps["lr"].iloc[-1] < 0.051
    assert per_step.steps["lr"].is_monotonic_decreasing
    per_epoch = train(small_data, epochs=2, scheduler_interval="epoch",
                      scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1))
    lrs = per_epoch.steps.groupby("epoch")["lr"].unique()
    assert list(lrs.loc[1]) == pytest.approx([0.1]) and list(lrs.loc[2]) == pytest.approx([0.01])


def test_drop_last_skips_the_short_batch(small_data):
    kept, dropped = train(small_data, batch_size=300), train(small_data, batch_size=300, drop_last=True)
    assert len(kept.steps) == 2 * 7 and len(dropped.steps) == 2 * 6  # 2,000 = 6 x 300 + 200


def test_max_steps_and_full_batch(small_data):
    assert len(train(small_data, max_steps=5).steps) == 5
    full_batch = train(small_data, batch_size=len(small_data.train), epochs=3)
    assert len(full_batch.steps) == 3


def test_regression_and_other_splits():
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    data = Split(x, 3 * x)
    seed_everything(0)
    history = fit(nn.Linear(1, 1), data, epochs=50, lr=0.5, batch_size=64)
    assert history.final("train_loss") < 1e-3 and history.epochs["train_acc"].isna().all()
    moons = make_classification_2d(200, seed=0, device="cpu")
    seed_everything(0)
    history = fit(mlp(32, 2, n_inputs=2, n_classes=2), (moons.x, moons.y), epochs=30, lr=0.5, batch_size=32, val=moons)
    assert history.final("val_acc") > 0.85
    with pytest.raises(TypeError, match="expected a Data, a Split or an"):
        fit(nn.Linear(1, 1), [x], epochs=1)


def test_evaluate_restores_training_mode(small_data):
    model = mlp(16, 1)
    model.train()
    loss, accuracy = evaluate(model, small_data.test)
    assert model.training and loss > 0 and 0 <= accuracy <= 1


def test_live_plot_callback_runs_headless(small_data, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda fig, display_id=False: shown.append(fig) or _Handle(shown))
    train(small_data, epochs=2, live_plot=True)
    assert len(shown) == 2  # first display, then one in-place update


class _Handle:
    def __init__(self, shown):
        self.shown = shown

    def update(self, fig):
        self.shown.append(fig)


def test_one_hard_example_is_not_a_divergence(small_data):
    # Batch size 1 on a trained model: single-image losses swing far above the average.
    seed_everything(0)
    model = mlp(64, 1)
    fit(model, small_data, epochs=3, lr=0.1, batch_size=64)
    history = fit(model, small_data, epochs=1, lr=0.001, batch_size=1, divergence_factor=3.0)
    single_losses = history.steps["loss"]
    assert single_losses.max() > 3.0 * history.epochs["train_loss"].iloc[0]  # spikes did happen
    assert not history.diverged and len(history.steps) == len(small_data.train)


def test_a_callback_returning_true_stops_training(small_data):
    history = train(small_data, epochs=10, callbacks=[lambda h: h.final("train_loss") < 1.2])
    assert not history.interrupted and len(history.epochs) < 11
    assert history.final("train_loss") < 1.2 and history.epochs["train_loss"].iloc[-2] >= 1.2


def test_weight_decay_none_keeps_torch_defaults():
    params = list(mlp(8, 1).parameters())
    assert make_optimizer("adamw", params).param_groups[0]["weight_decay"] == 0.01
    assert make_optimizer("adamw", params, weight_decay=0.0).param_groups[0]["weight_decay"] == 0.0
    assert make_optimizer("sgd", params, lr=0.1).param_groups[0]["weight_decay"] == 0


def test_fit_moves_the_model_to_the_data(small_data, monkeypatch):
    # Lessons build models on the CPU while the data sit on the fastest device; fit must
    # put the model where the data are (checked here through the call, as CI has no GPU).
    moved_to = []
    model = mlp(16, 1)
    original_to = model.to
    monkeypatch.setattr(model, "to", lambda *args, **kwargs: moved_to.append(args) or original_to(*args, **kwargs))
    fit(model, small_data, epochs=1, lr=0.1)
    assert moved_to and moved_to[0][0] == small_data.train.x.device


@pytest.fixture
def bars(monkeypatch):
    """Every progress bar `fit` and the range test create, written to a buffer instead of the terminal."""
    import io

    from course_utils import lr_finder, training

    created = []

    def spy(*args, **kwargs):
        bar = training.tqdm.__wrapped__(*args, file=io.StringIO(), **kwargs)
        created.append(bar)
        return bar

    spy.__wrapped__ = training.tqdm
    monkeypatch.setattr(training, "tqdm", spy)
    monkeypatch.setattr(lr_finder, "tqdm", spy)
    return created


def test_progress_bar_ends_full_unless_the_run_failed(bars):
    # 130 samples in batches of 10: 13 updates an epoch, 39 in all, not a multiple of the bar's 10-step stride.
    generator = torch.Generator().manual_seed(0)
    data = Split(torch.randn(130, 2, generator=generator), torch.randint(0, 2, (130,), generator=generator))
    seed_everything(0)
    fit(nn.Linear(2, 2), data, epochs=3, lr=0.1, batch_size=10, progress=True)
    assert bars[-1].n == bars[-1].total == 39  # finished: green in a notebook, then hidden (leave=False)
    seed_everything(0)
    fit(nn.Linear(2, 2), data, epochs=3, lr=0.1, batch_size=10, progress=True,
        callbacks=[lambda history: True])
    assert bars[-1].n == bars[-1].total == 13  # an early stop by design ends full too
    seed_everything(0)
    history = fit(mlp(16, 1, n_inputs=2, n_classes=2), data, epochs=3, lr=1e4, batch_size=10, progress=True,
                  verbose=False)
    assert history.diverged and bars[-1].n < bars[-1].total  # left short: red in a notebook
    assert bars[-1].desc.startswith("diverged at step")


def test_range_test_bar_ends_full_when_the_test_stops_by_design(bars):
    from course_utils.lr_finder import lr_range_test

    generator = torch.Generator().manual_seed(0)
    data = Split(torch.randn(256, 2, generator=generator), torch.randint(0, 2, (256,), generator=generator))
    seed_everything(0)
    result = lr_range_test(mlp(16, 1, n_inputs=2, n_classes=2), data, batch_size=32, steps=100, end_lr=1e4,
                           progress=True)
    assert result.stop_reason in ("diverged", "non-finite") and len(result.curve) < 100
    assert bars[-1].n == bars[-1].total == len(result.curve)


# --- schedulers: checked against the optimizer, or asked for by name --------------------

def test_a_scheduler_on_another_optimizer_is_refused(small_data):
    other = torch.optim.SGD(mlp(8, 1).parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"scheduler is built on another optimizer.*pass a factory"):
        train(small_data, scheduler=torch.optim.lr_scheduler.StepLR(other, step_size=1))
    # A factory that ignores the optimizer it is given is caught too.
    with pytest.raises(ValueError, match="scheduler is built on another optimizer"):
        train(small_data, scheduler=lambda optimizer: torch.optim.lr_scheduler.StepLR(other, step_size=1))
    # A ready scheduler on the optimizer fit trains with is fine.
    seed_everything(0)
    model = mlp(64, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    history = fit(model, small_data, epochs=2, batch_size=64, optimizer=opt, scheduler_interval="epoch",
                  scheduler=torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
    assert list(history.steps.groupby("epoch")["lr"].first()) == pytest.approx([0.1, 0.05])


def test_schedules_by_name_are_sized_to_the_steps_taken(small_data):
    from course_utils.schedules import cosine, lr_sequence, one_cycle

    # drop_last: 2,000 = 6 x 300 + 200, so 6 updates an epoch, 12 in all (14 without drop_last).
    cycled = train(small_data, epochs=2, batch_size=300, drop_last=True, scheduler="one-cycle")
    assert len(cycled.steps) == 12
    assert np.allclose(cycled.steps["lr"], lr_sequence(one_cycle(12), 12, lr0=0.1))
    # max_steps: 20 of the 5 x 32 updates.
    annealed = train(small_data, epochs=5, max_steps=20, scheduler="cosine")
    assert len(annealed.steps) == 20
    assert np.allclose(annealed.steps["lr"], lr_sequence(cosine(20), 20, lr0=0.1))
    # Stepped per epoch, the schedule spans the epochs: 10 epochs of 2 updates.
    per_epoch = train(small_data, epochs=10, batch_size=1000, scheduler="cosine", scheduler_interval="epoch")
    assert np.allclose(per_epoch.steps.groupby("epoch")["lr"].first(), lr_sequence(cosine(10), 10, lr0=0.1))
    with pytest.raises(ValueError, match=r"scheduler='cosine' is sized to the 2 scheduler steps of this run"):
        train(small_data, epochs=2, scheduler="cosine", scheduler_interval="epoch")
    with pytest.raises(ValueError, match="scheduler must be one of 'constant'"):
        train(small_data, scheduler="cosin")


# --- evaluations every k steps --------------------------------------------------------------

def test_eval_every_adds_rows_without_changing_the_run(small_data):
    plain = train(small_data, epochs=2)  # 32 updates an epoch
    frequent = train(small_data, epochs=2, eval_every=10)
    assert frequent.steps.drop(columns="seconds").equals(plain.steps.drop(columns="seconds"))
    table = frequent.epochs
    assert list(table["step"]) == [0, 10, 20, 30, 32, 40, 50, 60, 64]
    assert list(table["epoch"]) == pytest.approx([0, 10 / 32, 20 / 32, 30 / 32, 1, 40 / 32, 50 / 32, 60 / 32, 2])
    # The end-of-epoch rows are the plain run's rows; the others are new evaluations in between.
    ends = table[table["step"].isin([0, 32, 64])].drop(columns=["step", "seconds"]).reset_index(drop=True)
    assert np.allclose(ends.to_numpy(float), plain.epochs.drop(columns="seconds").to_numpy(float))
    assert table["train_loss"].iloc[1] < table["train_loss"].iloc[0] and table["seconds"].is_monotonic_increasing
    # A multiple of the epoch's length is evaluated once, at the end of the epoch.
    assert list(train(small_data, epochs=2, eval_every=16).epochs["step"]) == [0, 16, 32, 48, 64]
    assert "step" not in plain.epochs.columns  # off by default: the tables stay as they were


def test_eval_every_takes_a_list_of_update_counts(small_data):
    plain = train(small_data, epochs=2)
    listed = train(small_data, epochs=2, eval_every=[1, 2, 4, 8, 32, 40])
    assert listed.steps.drop(columns="seconds").equals(plain.steps.drop(columns="seconds"))
    assert list(listed.epochs["step"]) == [0, 1, 2, 4, 8, 32, 40, 64]  # 32 and 64 are epoch ends anyway
    with pytest.raises(ValueError, match="eval_every"):
        train(small_data, eval_every=[4, 0])


def test_training_scores_come_from_a_fixed_subset_unless_asked_for_all(small_data):
    whole = train(small_data, epochs=1, train_eval_size=None)
    subset = train(small_data, epochs=1, train_eval_size=500)
    again = train(small_data, epochs=1, train_eval_size=500)
    # The subset changes only what is scored: the same updates, the same validation scores.
    assert subset.steps.drop(columns="seconds").equals(whole.steps.drop(columns="seconds"))
    assert np.allclose(subset.epochs["val_loss"], whole.epochs["val_loss"])
    assert np.allclose(subset.epochs["train_loss"], again.epochs["train_loss"])  # the same subset every time
    assert not np.allclose(subset.epochs["train_loss"], whole.epochs["train_loss"])
    # The default scores 2,048 samples, so on 2,000 it is the whole set.
    assert np.allclose(train(small_data, epochs=1).epochs["train_loss"], whole.epochs["train_loss"])
    with pytest.raises(ValueError, match="train_eval_size"):
        train(small_data, train_eval_size=0)


def test_a_test_split_is_scored_in_its_own_columns(small_data):
    plain = train(small_data, epochs=2)
    with_test = train(small_data, epochs=2, test=small_data.test)
    assert with_test.steps.drop(columns="seconds").equals(plain.steps.drop(columns="seconds"))
    assert np.allclose(with_test.epochs["val_acc"], plain.epochs["val_acc"])  # val stays the validation split
    assert "test_acc" not in plain.epochs.columns and len(with_test.epochs) == 3
    seed_everything(0)
    model = mlp(64, 1)
    fit(model, small_data, epochs=2, lr=0.1, batch_size=64, progress=False)
    assert with_test.final("test_acc") == pytest.approx(evaluate(model, small_data.test)[1])


# --- interrupts and devices ----------------------------------------------------------------

@pytest.mark.parametrize("stop_at_call", [1, 2])  # the training split's evaluation, or the validation split's
def test_interrupt_during_the_first_evaluation_returns_an_empty_history(small_data, bars, stop_at_call):
    calls = {"n": 0}

    def stop_while_evaluating(output, target):
        calls["n"] += not torch.is_grad_enabled()
        if calls["n"] == stop_at_call:
            raise KeyboardInterrupt
        return nn.functional.cross_entropy(output, target)

    history = train(small_data, loss_fn=stop_while_evaluating, progress=True)
    assert history.interrupted and not history.diverged
    assert history.message.startswith("Interrupted at step 0 (epoch 0)")
    assert len(history.epochs) == 0 and len(history.steps) == 0  # no half-written evaluation row
    assert bars[-1].desc.startswith("interrupted at step 0") and bars[-1].disable  # labelled, then closed


class _DeviceSpy(nn.Module):
    """A model that notes the device of every input and answers zeros on the CPU."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.devices = []

    def forward(self, x):
        self.devices.append(x.device.type)
        return torch.zeros(len(x), 1)


def test_the_validation_split_follows_the_training_data(small_data):
    # Training data on the "meta" device (shapes only, no CI GPU needed), validation data on the CPU:
    # fit must evaluate both where the model is. The first training step presses the stop button.
    x = torch.linspace(0, 1, 64).unsqueeze(1)
    train_split, val_split = Split(x.to("meta"), x.to("meta")), Split(x[:16], x[:16])

    def loss_fn(output, target):
        if torch.is_grad_enabled():
            raise KeyboardInterrupt
        return output.sum()

    model = _DeviceSpy()
    history = fit(model, train_split, val=val_split, epochs=1, batch_size=8, lr=0.1, loss_fn=loss_fn, verbose=False)
    assert model.weight.device.type == "meta"
    assert model.devices == ["meta", "meta", "meta"]  # evaluation of train, of val, then the first step
    assert history.interrupted and list(history.epochs["val_loss"]) == [0.0]
    assert val_split.x.device.type == "cpu"  # the caller's split is left where it was


def test_train_mlp_is_seed_everything_then_mlp_then_fit(small_data):
    model, history = train_mlp(small_data, 64, 1, epochs=2, lr=0.1, batch_size=64, progress=False)
    by_hand = train(small_data, progress=False)
    assert history.steps["loss"].equals(by_hand.steps["loss"])
    assert history.epochs.drop(columns="seconds").equals(by_hand.epochs.drop(columns="seconds"))
    assert [layer.out_features for layer in model if isinstance(layer, nn.Linear)] == [64, 10]
    assert evaluate(model, small_data.val)[1] == history.final("val_acc")


def test_train_mlp_trains_the_model_it_is_given(small_data):
    given = mlp(8, 0)
    model, history = train_mlp(small_data, 64, 1, epochs=1, lr=0.1, model=given, optimizer="adam", progress=False)
    assert model is given and len(history.steps) == 16  # ceil(2000 / 128)
    assert evaluate(given, small_data.train)[0] == history.final("train_loss")


def test_live_plot_draws_the_figure_it_is_given_into_a_widget(small_data, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, display_id=False: shown.append(obj))
    live = LiveLossPlot(lambda history: f"epoch {int(history.epochs['epoch'].iloc[-1])}", in_widget=True)
    assert isinstance(live.output, ipywidgets.Output) and shown == [live.output]  # shown before training starts
    train(small_data, epochs=2, callbacks=[live])
    assert shown[1:] == ["epoch 1", "epoch 2"]
    live.close()
    assert live.output.comm is None
