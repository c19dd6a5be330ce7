# Frontdesk — `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv, install, migrate (idempotent)
	$(BIN)/frontdesk migrate

run: setup  ## the product with the demo tenant, on embedded defaults
	$(BIN)/frontdesk demo
	$(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

test: setup lint  ## lint, then the whole suite (PostgreSQL too when FRONTDESK_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow and not postgres"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/queue_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
