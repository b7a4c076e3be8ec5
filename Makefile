# The two commands: `make up` runs the platform, `make test` passes the tests.
# Both create .venv and install what they need; installs are redone when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8080
HOST   ?= 127.0.0.1
DATA   ?= .eventmgr
PYTEST_ARGS ?=

.PHONY: up test lint services format clean bench

up: $(VENV)/.embedded
	$(BIN)/eventmgr up --host $(HOST) --port $(PORT) --data-dir $(DATA)

test: $(VENV)/.test services
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(BIN)/eventmgr render --check

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# PostgreSQL, Redis and RabbitMQ on 127.0.0.1, started if installed but stopped.
services:
	@bash .ci/ensure-services.sh

bench: $(VENV)/.dev services
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.events
	$(BIN)/python -m bench.reminders
	$(BIN)/python -m bench.analytics

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per set of extras: `make up` installs only what running needs.
$(VENV)/.embedded: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[embedded]'
	@touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.embedded

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.test $(VENV)/.embedded
