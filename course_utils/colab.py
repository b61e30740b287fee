"""The first code cell of every lesson: in Google Colab it installs the course; elsewhere it does nothing.

Colab opens a single notebook, without the repository around it, so the cell clones the
repository named by ``COURSE_REPO`` (a git URL: set it in the cell, or as a Colab secret /
environment variable) and installs ``course_utils`` from it. Change the cell here, then
``python -m course_utils.colab`` writes it into every lesson; a test keeps them equal.
"""
from __future__ import annotations

import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MARKER = "# In Google Colab, this cell installs the course"

COLAB_CELL = f'''{MARKER} (helpers and data loader); anywhere else it does nothing.
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    COURSE_REPO = os.environ.get("COURSE_REPO", "")  # the course's git URL, e.g. https://github.com/<owner>/<repo>
    if not os.path.isdir("/content/course"):
        if not COURSE_REPO:
            raise RuntimeError("Colab: set COURSE_REPO (in this cell, or as an environment variable) to the git URL "
                               "of the course's repository, then run this cell again.")
        subprocess.run(["git", "clone", "--depth=1", COURSE_REPO, "/content/course"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", "/content/course"], check=True)
        sys.path.insert(0, "/content/course")
    os.chdir("/content/course/notebooks")'''


def write_cells(notebooks: list[Path] | None = None) -> list[Path]:
    """Put `COLAB_CELL` right after each lesson's title cell (replacing an older copy); the changed files."""
    import nbformat

    changed = []
    for path in notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        if code and code[0].source.startswith(MARKER) and notebook.cells[1] is code[0]:
            if code[0].source == COLAB_CELL:
                continue
            code[0].source = COLAB_CELL
        else:
            cell = nbformat.v4.new_code_cell(COLAB_CELL)
            cell.id = f"colab-{path.name[:2]}"
            notebook.cells.insert(1, cell)  # after the title: the first thing a Colab user runs
        nbformat.write(notebook, path)
        changed.append(path)
    return changed


if __name__ == "__main__":
    for path in write_cells():
        print(f"wrote the Colab cell into {path.name}")
    sys.exit(0)
