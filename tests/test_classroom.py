"""Classroom mode: dashboards, talk size, the panels' output-widget mode, the HTML site's pieces."""
import json
import re
from pathlib import Path

import matplotlib
import pytest

from course_utils import classroom, plots, site, widgets
from course_utils.plots import new_figure

ROOT = Path(__file__).resolve().parent.parent


def test_every_lesson_has_a_dashboard_that_uses_the_lessons_own_panels():
    lessons = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    dashboards = [path.name for path in classroom.dashboard_paths()]
    assert dashboards == lessons
    for path in classroom.dashboard_paths():
        notebook = json.loads(path.read_text())
        code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
        assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code), \
            f"{path.name} has outputs: clear them before committing"
        first = "".join(code[0]["source"])
        assert f'start_dashboard("{path.name[:2]}")' in first, f"{path.name} must start with start_dashboard"
        source = "\n".join("".join(cell["source"]) for cell in code)
        # no second copy of an experiment: a dashboard only imports and calls the lesson's functions
        assert "def " not in source and "lambda" not in source, f"{path.name} defines code of its own"
        assert re.search(r"_panel\(", source), f"{path.name} shows no slider panel"
        captions = [cell for cell in notebook["cells"] if cell["cell_type"] == "markdown"]
        assert len(captions) >= 2, f"{path.name} needs a title and a caption per panel"


def test_dashboard_path_names_the_valid_lessons():
    assert classroom.dashboard_path("3").name.startswith("03_")
    with pytest.raises(ValueError, match=r"LESSON must be one of 00, 01.*got '42'"):
        classroom.dashboard_path("42")


def test_the_server_listens_on_localhost_with_a_token_unless_told_otherwise():
    command = classroom.voila_command(token="t0k")
    assert "--Voila.ip=127.0.0.1" in command and "--token=t0k" in command and "--no-browser" in command
    assert classroom.dashboard_url("4", token="t0k") == \
        "http://127.0.0.1:8866/voila/render/04_gradient_descent.ipynb?token=t0k"
    assert classroom.dashboard_url(None, ip="0.0.0.0", port=9000) == "http://127.0.0.1:9000/"


def test_present_refuses_a_bad_lesson_or_port(capsys):
    with pytest.raises(SystemExit):
        classroom.main(["present", "99"])
    assert "LESSON must be one of" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        classroom.main(["present", "03", "--port", "70000"])
    assert "--port must be between 1 and 65535" in capsys.readouterr().err


def test_talk_size_draws_larger_figures_with_thicker_lines():
    try:
        plots.talk_size(False)
        small, _ = new_figure()
        small_font, small_line = matplotlib.rcParams["font.size"], matplotlib.rcParams["lines.linewidth"]
        plots.talk_size(True)
        large, _ = new_figure()
        assert large.dpi == 1.5 * small.dpi  # the same figure, 1.5x the pixels on screen
        assert matplotlib.rcParams["font.size"] > small_font
        assert matplotlib.rcParams["lines.linewidth"] > small_line
    finally:
        plots.talk_size(plots.talk_size_requested())


@pytest.mark.parametrize("value, expected", [("1", True), ("yes", True), ("0", False), ("", False)])
def test_course_talk_switches_talk_size(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_TALK", value)
    assert plots.talk_size_requested() is expected


def _square(size: int = 2):
    if size > 5:
        raise ValueError("size must be at most 5")
    fig, ax = new_figure()
    ax.plot(range(size), [i * i for i in range(size)])
    return fig


def test_a_dashboard_panel_keeps_its_figure_in_the_output_widget():
    try:
        widgets.use_output_widget(True)
        panel = widgets.slider_panel(_square, size=widgets.int_slider("size", 2, 1, 8))
    finally:
        widgets.use_output_widget(False)
    panel._ipython_display_()
    first = panel.out.outputs
    assert len(first) == 1 and "image/png" in first[0]["data"]
    panel.controls[0].value = 4
    assert len(panel.out.outputs) == 1 and panel.out.outputs[0]["data"]["image/png"] != first[0]["data"]["image/png"]
    panel.controls[0].value = 7  # the function refuses: one line, no traceback, no figure
    (shown,) = panel.out.outputs
    assert "image/png" not in shown["data"] and "size must be at most 5" in shown["data"]["text/plain"]


def test_a_lesson_panel_does_not_use_the_output_widget():
    panel = widgets.slider_panel(_square, size=widgets.int_slider("size", 2, 1, 8))
    panel._ipython_display_()
    assert panel.out.outputs == ()


def test_the_site_index_links_every_rendered_lesson(tmp_path):
    pages = []
    for name, title in (("00_welcome_and_tour", "00 · Welcome and tour"), ("03_overfitting", "03 · Over & under")):
        page = tmp_path / f"{name}.html"
        page.write_text("<html></html>")
        pages.append(site.RenderedLesson(page, title, "What it shows.", 12.3))
    index = site.write_index(pages, tmp_path, "laptop").read_text()
    assert index.count("<tr><td><a href=") == 2
    assert 'href="03_overfitting.html">03 · Over &amp; under</a>' in index and "12 s" in index and "laptop" in index


def test_site_titles_come_from_each_lessons_first_cell():
    import nbformat

    notebook = nbformat.read(ROOT / "notebooks" / "07_batch_size.ipynb", as_version=4)
    title, summary = site._title_and_summary(notebook)
    assert title == "07 · Batch size" and summary.endswith(".") and len(summary) > 20
    with pytest.raises(ValueError, match="lessons must be among"):
        site.lesson_notebooks(["77"])
