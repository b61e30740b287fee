# Set-up and test commands for the course. Both are idempotent: the virtual environment
# is (re)installed only when requirements.txt or pyproject.toml changed since last time.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-installed
# Tests run the notebooks in the quick profile unless told otherwise.
COURSE_PROFILE ?= smoke

.PHONY: setup lab test lint test-profiles ci claims benchmark clean present html

setup: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt -e .
	touch $(STAMP)

# JupyterLab refuses to start as root (containers, CI machines) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: setup
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/

NBVAL := --nbval-lax --nbval-cell-timeout=600 -p no:cacheprovider

# Lint (ruff, configured in pyproject.toml), then unit tests, every notebook and every dashboard
# in the quick profile, and the browser tests.
test: setup lint
	COURSE_PROFILE=$(COURSE_PROFILE) $(BIN)/python -m pytest tests notebooks dashboards $(NBVAL)

lint: setup
	$(BIN)/python -m ruff check .

# Every notebook in the two profiles learners get: laptop (no GPU) and gpu, the gpu sizes
# run on the CPU so that a machine without a GPU checks every budget and code path.
test-profiles: setup
	COURSE_PROFILE=laptop $(BIN)/python -m pytest notebooks $(NBVAL)
	COURSE_PROFILE=gpu COURSE_DEVICE=cpu $(BIN)/python -m pytest notebooks $(NBVAL)

# What CI runs (.ci/run): all of the above.
ci: test test-profiles

# Every lesson's claims over many seeds (not part of the tests: about two hours on 2 cores):
# 20 seeds in the two CPU profiles, 3 at the gpu profile's sizes (on a GPU if there is one);
# the table is claims/README.md.
LESSONS ?= 00 01 02 03 04 05 06 07 08 09 10
claims: setup
	$(BIN)/python -m course_utils.claims --lessons $(LESSONS) --seeds 20 --profiles smoke laptop
	$(BIN)/python -m course_utils.claims --lessons $(LESSONS) --seeds 3 --profiles gpu

# torch-lr-finder is installed for its benchmark only; the course does not use it.
benchmark: setup
	$(BIN)/python benchmarks/benchmark_fit.py
	$(BIN)/python -m pip install --quiet torch-lr-finder
	$(BIN)/python benchmarks/benchmark_lr_finder.py

clean:
	rm -rf $(VENV)

# Classroom. A lesson's dashboard (Voila: code hidden, sliders live, talk-size figures), or the index
# of all of them without LESSON; on 127.0.0.1 with a fresh token (both printed). PRESENT_ARGS passes
# options, e.g. PRESENT_ARGS="--ip 0.0.0.0 --port 8900"; COURSE_TALK=0 for notebook-size figures.
LESSON ?=
PRESENT_ARGS ?=
present: setup
	$(BIN)/python -m course_utils.classroom present $(LESSON) $(PRESENT_ARGS)

# Every lesson executed (laptop profile unless HTML_PROFILE says otherwise) and rendered to site/.
HTML_PROFILE ?= laptop
html: setup
	COURSE_PROFILE=$(HTML_PROFILE) $(BIN)/python -m course_utils.site --out site

# Lesson 10, the instructor's side of a class search on one machine: a throwaway PostgreSQL server
# (needs `apt-get install postgresql`), the study and optuna-dashboard on http://127.0.0.1:8080,
# until Ctrl-C. It prints the URL students paste into the lesson (or pass as --storage).
.PHONY: class-search benchmark-search
STUDY ?= class
class-search: setup
	$(BIN)/python -m course_utils.search class --study $(STUDY)

# Trials per minute with 1, 2 and 4 workers, journal file and PostgreSQL (figures in the README).
benchmark-search: setup
	$(BIN)/python benchmarks/benchmark_search.py
