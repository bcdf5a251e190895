# Relais — two commands on a fresh machine: `make run` and `make test`.
# Both go through `make setup`, which builds .venv once and does nothing while it is current.
# `make lint` checks style (ruff) and types (mypy), as CI does before the tests.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint format bench serve check clean help

help:
	@echo "make run    - set up and start the bot (console when there are no Slack credentials)"
	@echo "make test   - set up and run the whole test suite"
	@echo "make lint   - set up and check style and types: ruff check, ruff format --check, mypy"
	@echo "make format - apply ruff's safe fixes and reformat the code"
	@echo "make bench  - set up and print performance figures (writes bench/results.json)"
	@echo "make serve  - HTTP mode, as the Procfile's web process"
	@echo "make check  - verify settings (and Slack credentials when present)"

setup: $(STAMP)

# requirements.lock: what Relais runs on; requirements-dev.lock: the tests' and linters' own packages on top;
# then Relais itself, editable, for the `relais` command.
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Relais needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

run: setup
	$(PY) -m bot

serve: setup
	$(PY) -m bot serve

check: setup
	$(PY) -m bot check

test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache *.egg-info build
