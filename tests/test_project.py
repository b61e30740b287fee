"""Project hygiene: requirements in step, notebooks clean, CI calls the README's command."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"torch": "pytorch", "psycopg2-binary": "psycopg2"}  # conda-forge spells a few packages differently


def requirement_names(lines) -> dict[str, str]:
    specs = {}
    for line in lines:
        line = line.split("#")[0].strip().lstrip("- ").strip()
        if line:
            name = re.split(r"[<>=!~ ]", line, maxsplit=1)[0].lower()
            specs[name] = line[len(name):].strip()
    return specs


def test_environment_yml_lists_the_pip_requirements():
    pip = requirement_names((ROOT / "requirements.txt").read_text().splitlines())
    text = (ROOT / "environment.yml").read_text()
    conda_lines = text.split("dependencies:")[1].splitlines()
    conda = requirement_names(line for line in conda_lines if line.strip().startswith("- "))
    conda.pop("python"), conda.pop("pip")
    expected = {CONDA_NAMES.get(name, name): spec for name, spec in pip.items()}
    assert conda == expected


def test_notebooks_are_committed_clean_and_use_the_budget():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks and notebooks[0].name.startswith("00_")
    for path in notebooks:
        notebook = json.loads(path.read_text())
        assert notebook["metadata"]["kernelspec"]["name"] == "python3", path.name
        code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
        assert all(not cell.get("outputs") and cell.get("execution_count") is None for cell in code), \
            f"{path.name} has outputs: clear them before committing"
        source = "\n".join("".join(cell["source"]) for cell in code)
        # a claim is an assert, or a Claim's .check() (course_utils.claims), which raises like one
        assert "assert " in source or re.search(r"\.check\(\)|check_all\(", source), \
            f"{path.name} checks none of its claims"
        assert "budget(" in source, f"{path.name} does not read its compute budget"
        assert not re.search(r"\bepochs\s*=\s*\d", source), f"{path.name} hard-codes epochs"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "make test" in readme and "make ci" in readme
    assert re.search(r"^\s*make ci\b", ci, re.MULTILINE), ".ci/run must run the README's CI command"
    assert re.search(r"^ci: test test-profiles\b", makefile, re.MULTILINE), "make ci must include make test"


def test_every_lesson_starts_with_the_colab_cell_which_does_nothing_elsewhere(monkeypatch, tmp_path):
    import sys
    import types

    from course_utils.colab import COLAB_CELL

    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        assert "".join(cells[1]["source"]) == COLAB_CELL, f"{path.name}: run python -m course_utils.colab"
    monkeypatch.chdir(tmp_path)
    exec(COLAB_CELL, {})  # not in Colab: nothing happens
    assert Path.cwd() == tmp_path
    # In Colab without the course's address, the learner is told what to set.
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.delenv("COURSE_REPO", raising=False)
    if not Path("/content/course").exists():
        with pytest.raises(RuntimeError, match="set COURSE_REPO"):
            exec(COLAB_CELL, {})
