"""Lessons to read without Jupyter: every lesson executed, rendered to HTML, with an index page.

    make html                                   # laptop profile, into site/
    python -m course_utils.site --out site --profile laptop --lessons 00 03

Each notebook is executed by nbclient in a fresh kernel (the committed notebook is not
touched), in the ``notebooks/`` folder as a learner would run it, and written as
``NN_name.html`` with its figures embedded (and the executed ``NN_name.ipynb`` beside it);
``index.html`` lists the lessons with their
one-line summaries and the time each took. Progress bars are off (a page cannot animate
them). Sliders need a running kernel: on the page each panel shows the figure it drew first.
"""
from __future__ import annotations

import argparse
import html
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@dataclass
class RenderedLesson:
    """One lesson on the site: where its page is, its title and summary, how long it ran."""

    page: Path
    title: str
    summary: str
    seconds: float


def lesson_notebooks(lessons: list[str] | None = None) -> list[Path]:
    """Every lesson notebook, or those numbered in ``lessons`` (e.g. ["00", "3"])."""
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if lessons:
        wanted = {str(lesson).zfill(2) for lesson in lessons}
        unknown = wanted - {path.name[:2] for path in notebooks}
        if unknown:
            raise ValueError(f"lessons must be among {[p.name[:2] for p in notebooks]} (got {sorted(unknown)})")
        notebooks = [path for path in notebooks if path.name[:2] in wanted]
    return notebooks


def _title_and_summary(notebook) -> tuple[str, str]:
    """The first heading of the notebook, and the first sentence after it."""
    lines = [line.strip() for line in "".join(notebook.cells[0].source).splitlines() if line.strip()]
    title = lines[0].lstrip("# ").strip() if lines else "Lesson"
    body = " ".join(line for line in lines[1:] if not line.startswith(("#", "|", ">", "*Run", "**Run")))
    summary = body.split(". ")[0].strip().rstrip(".") + "." if body else ""
    return title, summary.replace("**", "").replace("`", "")


def render_lesson(path: Path, out: Path, timeout: int = 900) -> RenderedLesson:
    """Execute ``path`` and write it as HTML into ``out``; a failing cell stops with the lesson's name."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    notebook = nbformat.read(path, as_version=4)
    began = time.perf_counter()
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        raise RuntimeError(f"{path.name} failed while rendering; run it in Jupyter to see the cell:\n{error}") from None
    seconds = time.perf_counter() - began
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    page = out / f"{path.stem}.html"
    page.write_text(body, encoding="utf-8")
    nbformat.write(notebook, out / path.name)  # the executed notebook too, outputs and all
    title, summary = _title_and_summary(notebook)
    return RenderedLesson(page, title, summary, seconds)


def write_index(lessons: list[RenderedLesson], out: Path, profile: str) -> Path:
    """``index.html``: one row per lesson, linking to its page."""
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(lesson.page.name)}">{html.escape(lesson.title)}</a></td>'
        f"<td>{html.escape(lesson.summary)}</td><td>{lesson.seconds:.0f} s</td></tr>" for lesson in lessons)
    page = out / "index.html"
    page.write_text(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Choosing hyperparameters: the lessons</title>
<style>body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; line-height: 1.4 }}
td {{ padding: .4em .8em; vertical-align: top; border-bottom: 1px solid #ddd }} th {{ text-align: left }}</style>
</head><body><h1>Choosing a neural network's hyperparameters</h1>
<p>Every lesson as it ran in the <code>{html.escape(profile)}</code> profile on {time.strftime("%Y-%m-%d")}, with
its figures. Sliders need Jupyter: open the notebooks to move them.</p>
<table><tr><th>Lesson</th><th>What it shows</th><th>Run time</th></tr>
{rows}
</table></body></html>
""", encoding="utf-8")
    return page


def render_site(out: Path, lessons: list[str] | None = None, timeout: int = 900) -> list[RenderedLesson]:
    """Render the chosen lessons into ``out`` (created if missing) and write its index."""
    out.mkdir(parents=True, exist_ok=True)
    os.environ["COURSE_PROGRESS"] = "0"  # the kernels inherit it: no progress bars on a static page
    rendered = []
    for path in lesson_notebooks(lessons):
        rendered.append(render_lesson(path, out, timeout))
        print(f"{path.name}: {rendered[-1].seconds:.0f} s -> {rendered[-1].page}", flush=True)
    from .config import get_profile

    write_index(rendered, out, get_profile().name)
    return rendered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.site", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("site"), help="folder for the pages (default: site)")
    parser.add_argument("--lessons", nargs="*", help="lesson numbers (default: every lesson)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds one cell may take (default 900)")
    args = parser.parse_args(argv)
    try:
        rendered = render_site(args.out, args.lessons, args.timeout)
    except (ValueError, RuntimeError) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"{len(rendered)} lessons in {args.out}/; open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
