"""Every slider panel of lessons 00-06: exactly its intended controls, and a figure at every extreme.

A control's extremes are its slider's two ends (every option of a drop-down). Each is set
alone, the others at their defaults; the panel must draw a figure there, never show the
one-line error message (let alone a traceback). Training panels are built on small data.
"""
import ipywidgets
import pytest
from matplotlib.figure import Figure

from course_utils import (
    lesson00,
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson05,
    lesson06,
)
from course_utils.data import fashion_mnist
from course_utils.widgets import Panel


def extremes(control) -> list:
    """The values a learner can reach at the ends of ``control``."""
    if isinstance(control, ipywidgets.Dropdown):
        return list(control._options_values)
    if isinstance(control, ipywidgets.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max]
    return [control.min, control.max]


def assert_draws_at_every_extreme(panel: Panel) -> None:
    for control in panel.controls:
        default = control.value
        for value in extremes(control):
            changed = control.value != value
            control.value = value  # a non-manual panel redraws on the change itself
            if panel.manual or not changed:
                panel.update()
            where = f"{control.description} = {value!r}"
            assert panel.message == "", f"{where}: {panel.message}"
            assert isinstance(panel.result, Figure), f"{where}: drew {type(panel.result).__name__}"
            assert "Traceback" not in str(panel.shown())
        control.value = default


def control_names(panel: Panel) -> list[tuple[str, str]]:
    return [(control._kwarg, control.description) for control in panel.controls]


@pytest.fixture(scope="module")
def range_test_data():
    return fashion_mnist(n_train=512, n_val=256, n_test=10, seed=0, device="cpu")


def test_00_show_class_panel():
    panel = lesson00.show_class_panel()
    assert control_names(panel) == [("class_name", "class"), ("n_images", "images"), ("seed", "random pick")]
    assert panel.controls[0].options[:2] == ("T-shirt/top", "Trouser")
    assert_draws_at_every_extreme(panel)
    # One title for the grid, none over the images (they all show the same class).
    figure = lesson00.show_class("Bag", 8)
    assert "Bag" in figure._suptitle.get_text()
    assert all(ax.get_title() == "" for ax in figure.axes)


def test_01_generalization_panel():
    panel = lesson01.explore_generalization_panel(n_test=100, max_train=200)
    assert panel.manual and panel.result is None  # trains: nothing before the first Run
    assert control_names(panel) == [("n_train", "training images"), ("epochs", "epochs"),
                                     ("shuffled_fraction", "labels shuffled")]
    panel.controls[1].max = 3  # the extremes of the other sliders, without 60 epochs of training each
    assert_draws_at_every_extreme(panel)


def test_02_polynomial_and_network_panels():
    polynomial = lesson02.explore_polynomial_fits_panel()
    assert control_names(polynomial) == [("degree", "degree"), ("n_train", "training samples n"),
                                         ("noise", "noise σ")]
    assert_draws_at_every_extreme(polynomial)
    network = lesson02.explore_network_fits_panel()
    assert control_names(network) == [("width", "width (hidden units)"), ("epochs", "epochs (full batch)"),
                                      ("n_train", "training samples n")]
    network.controls[1].max = 100  # full-batch epochs are cheap, but 3000 of them per extreme add up
    assert_draws_at_every_extreme(network)


def test_03_fit_panel():
    panel = lesson03.explore_fit_panel(n_train=100, n_val=100)
    assert control_names(panel) == [("width", "hidden units (width)"), ("depth", "hidden layers (depth)"),
                                    ("epochs", "epochs"), ("label_noise", "noisy labels")]
    panel.controls[2].max = 3
    assert_draws_at_every_extreme(panel)


def test_04_trajectories_panel_shows_only_its_three_sliders():
    panel = lesson04.explore_trajectories_panel()
    # seed and n keep their defaults: no slider for them (n below 2 used to fill the panel with a traceback).
    assert control_names(panel) == [("lr", "learning rate"), ("batch_size", "mini-batch size"), ("epochs", "epochs")]
    assert panel.controls[1].max == 64  # the number of data points
    assert_draws_at_every_extreme(panel)
    panel.controls[0].value = 10 ** -0.75  # 0.177828...: the title writes it as the slider does
    assert "lr=0.18," in panel.result._suptitle.get_text()


def test_05_quadratic_and_learning_rate_panels():
    quadratic = lesson05.quadratic_panel()
    assert control_names(quadratic) == [("lr", "learning rate"), ("curvature", "curvature L"), ("n_steps", "steps")]
    assert_draws_at_every_extreme(quadratic)
    with pytest.raises(ValueError, match="n_train=256 and epochs=1 give 4 updates"):
        lesson05.learning_rate_panel(n_train=256, epochs=1)
    live = lesson05.learning_rate_panel(n_train=640, epochs=1)  # 10 updates, the fewest the schedules take
    assert control_names(live) == [("lr", "learning rate"), ("schedule", "schedule"), ("optimizer", "optimizer")]
    assert_draws_at_every_extreme(live)


def test_06_range_test_panel_draws_before_the_first_run(range_test_data):
    panel = lesson06.range_test_panel(range_test_data)
    assert panel.manual and isinstance(panel.result, Figure)  # a figure before the first Run
    assert control_names(panel) == [("smoothing", "smoothing beta"), ("start_lr", "start lr"), ("end_lr", "end lr"),
                                    ("steps", "steps"), ("ramp", "ramp"), ("mode", "watch the loss of")]
    mode = panel.controls[-1]
    assert mode._options_labels == ("training batches", "validation subset")
    panel.controls[3].max = 60  # fewer steps per extreme run
    assert_draws_at_every_extreme(panel)


def test_every_panel_lines_up_its_labels():
    for panel in (lesson00.show_class_panel(), lesson04.explore_trajectories_panel(),
                  lesson05.quadratic_panel()):
        widths = {control.style.description_width for control in panel.controls}
        assert len(widths) == 1, widths
