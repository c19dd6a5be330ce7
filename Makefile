# Frontdesk — `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test test-fast lint bench clean widget widget-test

# The chat widget (widget/): built by Vite into the package, rebuilt only when its sources change.
WIDGET_DIST := src/frontdesk/widget_dist
WIDGET_STAMP := $(WIDGET_DIST)/.built
WIDGET_DEPS := widget/node_modules/.package-lock.json
WIDGET_SRC := $(wildcard widget/src/*.ts) widget/package.json widget/package-lock.json \
	widget/vite.config.ts widget/tsconfig.json

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) widget  ## create .venv, install, build the widget, migrate (idempotent)
	$(BIN)/frontdesk migrate

run: setup  ## the product with the demo tenant, on embedded defaults
	$(BIN)/frontdesk demo
	$(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

test: setup lint widget-test  ## lint, then the whole suite (PostgreSQL too when FRONTDESK_TEST_POSTGRES_URL is set)
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow and not postgres and not e2e"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/queue_bench.py

$(WIDGET_DEPS): widget/package-lock.json
	cd widget && npm ci --no-audit --no-fund

$(WIDGET_STAMP): $(WIDGET_SRC) $(WIDGET_DEPS)
	cd widget && npm run build
	touch $@

widget: $(WIDGET_STAMP)  ## build the chat widget into src/frontdesk/widget_dist/widget.js

widget-test: $(WIDGET_DEPS)  ## type-check the widget and run its unit tests (Vitest)
	cd widget && npm run typecheck && npm test

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(WIDGET_DIST) widget/node_modules
