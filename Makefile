# Set-up and test commands for the course. Both are idempotent: the virtual environment
# is (re)installed only when requirements.txt or pyproject.toml changed since last time.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-installed
# Tests run the notebooks in the quick profile unless told otherwise.
COURSE_PROFILE ?= smoke

.PHONY: setup lab test benchmark clean

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

test: setup
	COURSE_PROFILE=$(COURSE_PROFILE) $(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-cell-timeout=600 -p no:cacheprovider

# torch-lr-finder is installed for its benchmark only; the course does not use it.
benchmark: setup
	$(BIN)/python benchmarks/benchmark_fit.py
	$(BIN)/python -m pip install --quiet torch-lr-finder
	$(BIN)/python benchmarks/benchmark_lr_finder.py

clean:
	rm -rf $(VENV)
