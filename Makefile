# The two commands: `make up` runs the platform, `make test` passes the tests.
# Both create .venv and install what they need, at the versions pinned in the lock
# (requirements/constraints.txt, `make lock`); installs are redone when either file changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8080
HOST   ?= 127.0.0.1
DATA   ?= .eventmgr
PYTEST_ARGS ?=
# `make test` runs the suite in this many processes (pytest-xdist), a test file to a process:
# most of a test's time is waiting on PostgreSQL, RabbitMQ and the processes it starts.
TEST_PROCESSES ?= 2
LOCK   := requirements/constraints.txt
PIP    := $(BIN)/pip install --quiet -c $(LOCK)
# axe-core for the browser tests, at the version their package-lock.json pins.
AXE    := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: up test lint services format clean bench lock rehearse fuzz soak

up: $(VENV)/.embedded
	$(BIN)/eventmgr up --host $(HOST) --port $(PORT) --data-dir $(DATA)

test: $(VENV)/.test services $(AXE)
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

# Deep fuzzing: the same generated requests as `make test`'s bounded run, many more per operation.
FUZZ_EXAMPLES ?= 100
fuzz: $(VENV)/.test services
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest $(PYTEST_ARGS) tests/reliability/test_fuzzing.py

# Mixed traffic against `eventmgr up` (on RabbitMQ) on loopback; prints error rate, memory and
# connections. Then the mail provider down for a full minute under a real worker.
SOAK_MINUTES ?= 10
soak: $(VENV)/.test
	$(BIN)/python -m tests.reliability.soak --minutes $(SOAK_MINUTES)
	MAIL_OUTAGE_SECONDS=60 $(BIN)/pytest $(PYTEST_ARGS) tests/reliability/test_faults.py \
		-k mail_provider_down_for_a_while

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

# Every figure of the target table (bench/__main__.py), written to bench/results.md.
bench: $(VENV)/.dev services
	$(BIN)/python -m bench

# The deployment rehearsed in real containers (podman; installed and configured when missing):
# every image built from the Dockerfile, the compose stack up, the scenario through the gateway,
# cold starts and image sizes; everything removed at the end. README, Deploy.
rehearse: $(VENV)/.rehearse
	bash rehearsal/podman-setup.sh
	$(BIN)/python -m rehearsal

# Re-resolves every extra at once (one universal file: Python 3.11+, any platform) to the
# newest versions pyproject.toml allows. Commit the result; tests/test_lock.py checks the two agree.
# Needs only uv (at its pinned version), so a lock that no longer fits pyproject.toml can be redone.
lock: | $(BIN)/python
	$(PIP) uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--custom-compile-command "make lock" --quiet -o $(LOCK)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per set of extras: `make up` installs only what running needs.
$(VENV)/.embedded: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) -e '.[embedded]'
	@touch $@

$(VENV)/.rehearse: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) -e '.[rehearse]'
	@touch $@

$(VENV)/.test: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) -e '.[test]'
	@touch $@ $(VENV)/.embedded

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $@

$(VENV)/.dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) -e '.[dev]'
	@touch $@ $(VENV)/.test $(VENV)/.embedded
