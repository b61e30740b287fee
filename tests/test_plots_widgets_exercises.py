import io
import subprocess
import sys

import ipywidgets
import matplotlib
import pytest
from matplotlib.figure import Figure

from course_utils import fit, mlp, seed_everything
from course_utils.exercises import NO_ANSWER_YET, Exercise, multiple_choice, numeric
from course_utils.plots import draw_step_loss, new_figure, plot_history, plot_step_loss, show_images, use_course_style
from course_utils.widgets import choice, float_slider, int_slider, log_slider, slider_panel, slider_text


@pytest.fixture(scope="module")
def two_histories(small_data):
    histories = {}
    for lr in (0.01, 0.1):
        seed_everything(0)
        histories[f"lr={lr}"] = fit(mlp(32, 1), small_data, epochs=2, lr=lr, batch_size=128)
    return histories


def render(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_learning_curves_have_labelled_axes_and_a_legend(two_histories):
    fig = plot_history(two_histories, title="two rates")
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_xlabel() == "epoch" and "accuracy" in acc_ax.get_ylabel()
    labels = [text.get_text() for text in acc_ax.get_legend().get_texts()]
    assert labels == ["lr=0.01 training", "lr=0.01 validation", "lr=0.1 training", "lr=0.1 validation"]
    assert render(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("x", ["step", "epoch", "seconds"])
def test_step_loss_against_each_axis(two_histories, x):
    fig = plot_step_loss(two_histories, x=x)
    assert len(fig.axes[0].lines) == 4 and render(fig)
    xs = fig.axes[0].lines[1].get_xdata()
    assert xs[-1] == pytest.approx({"step": 32, "epoch": 2.0}.get(x, xs[-1]))


def test_image_grid_marks_wrong_predictions_in_red(small_data):
    predictions = small_data.test.y[:8].clone()
    predictions[0] = (predictions[0] + 1) % 10
    fig = show_images(small_data.test, n=8, predictions=predictions, ncols=4)
    titles = [ax.title for ax in fig.axes[:8]]
    assert titles[0].get_color() == "red" and "(" in titles[0].get_text()
    assert all(title.get_color() == "black" for title in titles[1:])


def test_slider_panel_wraps_a_plain_function():
    calls = []

    def explore(width=4, lr=0.1, name="a", seed=0, n=64):
        calls.append((width, lr, name, seed, n))
        if width > 9:
            raise ValueError(f"width must be an integer in [1, 9] (got {width})")
        return width * lr

    panel = slider_panel(explore, width=int_slider("width", 4, 1, 10), lr=log_slider("lr", 0.1, 1e-3, 1),
                         name=choice("name", [("first", "a"), ("second", "b")]))
    assert isinstance(panel, ipywidgets.interactive)
    # Only the named arguments are controls: seed and n keep their defaults (no made-up sliders).
    assert [control._kwarg for control in panel.controls] == ["width", "lr", "name"]
    assert calls == [(4, 0.1, "a", 0, 64)] and panel.result == pytest.approx(0.4)  # drawn once, up front
    # No Output widget capture: the figure is the cell's own output (see the widgets module docstring).
    assert panel.out not in panel.controls and isinstance(panel.shown(), float)
    panel.children[0].value = 8
    assert calls[-1] == (8, 0.1, "a", 0, 64) and panel.result == pytest.approx(0.8)
    panel.children[2].value = "b"
    assert calls[-1][2] == "b" and panel.children[2].label == "second"
    # An error becomes one line that says what to change, not a traceback.
    panel.children[0].value = 10
    assert panel.result is None and "\n" not in panel.message
    assert panel.message == "Cannot draw with these settings: width must be an integer in [1, 9] (got 10)"
    assert "width must be" in panel.shown()._repr_html_()
    # One label width for all controls, so that the tracks line up.
    assert len({control.style.description_width for control in panel.controls}) == 1
    manual = slider_panel(explore, manual=True, width=float_slider("w", 1.0, 0.0, 2.0))
    assert any(isinstance(child, ipywidgets.Button) and child.description == "Run" for child in manual.children)
    assert manual.result is None  # a manual panel waits for Run, unless asked to draw first
    assert slider_panel(explore, manual=True, draw_first=True, width=float_slider("w", 1.0, 0.0, 2.0)).result == 0.1
    with pytest.raises(ValueError, match="no argument"):
        slider_panel(explore, depth=int_slider("depth", 1, 0, 3))


def test_slider_text_writes_values_as_the_slider_readout():
    assert slider_text(10 ** -0.75) == "0.18" and slider_text(1e-7) == "1e-07" and slider_text(0.4, ".2f") == "0.40"
    assert log_slider("lr", 0.1, 1e-3, 1).readout_format == ".2g"


def test_multiple_choice_gives_hints_not_answers():
    exercise = multiple_choice("Pick one", {"a": "yes", "b": "no"}, correct="b",
                               hints={"a": "Think about the test set."}, explanation="Because.")
    assert exercise.check(...).message == NO_ANSWER_YET and not exercise.check(None)
    wrong = exercise.check("a")
    assert not wrong and wrong.message == "Think about the test set."
    assert exercise.check(" B ") and "Correct" in exercise.check("b")._repr_markdown_()
    assert "one of the letters" in exercise.check("z").message
    with pytest.raises(ValueError, match="hint for every other one"):
        multiple_choice("?", {"a": "1", "b": "2"}, correct="a", hints={}, explanation="")


def test_numeric_uses_tolerance_and_callable_targets():
    target = {"value": 10.0}
    exercise = numeric("How many?", lambda: target["value"], rel_tol=0.1, hint_low="More.", hint_high="Fewer.",
                       explanation="Ten.")
    assert exercise.check(10.5) and exercise.check(5).message == "More." and exercise.check(20).message == "Fewer."
    assert "finite number" in exercise.check("ten").message
    target["value"] = 20.0
    assert exercise.check(20)


def test_custom_exercise():
    exercise = Exercise("Name an even number", lambda answer: (answer % 2 == 0, "Even numbers end in 0, 2, 4, 6, 8."))
    assert exercise.check(4) and not exercise.check(3)


def test_plain_text_shows_the_question_and_the_verdict():
    exercise = numeric("How many classes?", 10, hint_low="More.", hint_high="Fewer.", explanation="Ten.")
    assert repr(exercise) == "How many classes?"
    assert repr(exercise.check(3)) == "Not yet. More." and repr(exercise.check(10)) == "Correct. Ten."


def test_draw_step_loss_draws_the_raw_losses_faint_and_their_moving_average():
    import pandas as pd

    fig, ax = new_figure()
    losses = pd.Series([4.0, 2.0, 6.0, 0.0])
    draw_step_loss(ax, [1, 2, 3, 4], losses, smooth=2, colour="C3", label="mean", raw_label="raw", raw_alpha=0.2)
    raw, mean = ax.get_lines()
    assert list(raw.get_ydata()) == [4.0, 2.0, 6.0, 0.0] and raw.get_alpha() == 0.2 and raw.get_label() == "raw"
    assert list(mean.get_ydata()) == [4.0, 3.0, 4.0, 3.0] and mean.get_label() == "mean" and mean.get_alpha() is None
    draw_step_loss(ax, [1, 2, 3, 4], losses, smooth=4, raw=False)
    assert len(ax.get_lines()) == 3 and list(ax.get_lines()[2].get_ydata()) == [4.0, 3.0, 4.0, 3.0]


def test_importing_plots_leaves_matplotlib_alone():
    code = ("import matplotlib; before = dict(matplotlib.rcParams); import course_utils.plots; "
            "changed = [k for k, v in matplotlib.rcParams.items() if before[k] != v]; assert not changed, changed")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(("talk", "dpi", "linewidth"), [(False, 100, 1.5), (True, 150, 2.4)])
def test_use_course_style_sets_the_course_look(monkeypatch, talk, dpi, linewidth):
    with matplotlib.rc_context():
        use_course_style(talk)
        assert matplotlib.rcParams["figure.dpi"] == dpi and matplotlib.rcParams["lines.linewidth"] == linewidth
        assert matplotlib.rcParams["axes.titleweight"] == "bold"
        monkeypatch.setenv("COURSE_TALK", "1" if talk else "0")
        use_course_style(not talk)
        use_course_style()  # None: as COURSE_TALK says
        assert matplotlib.rcParams["figure.dpi"] == dpi
