# Frontdesk — `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# The chat widget (widget/) and the console (console/): built by Vite into the package, each
# rebuilt only when its sources change.
WIDGET_DIST := src/frontdesk/widget_dist
WIDGET_STAMP := $(WIDGET_DIST)/.built
WIDGET_DEPS := widget/node_modules/.package-lock.json
WIDGET_SRC := $(wildcard widget/src/*.ts) widget/package.json widget/package-lock.json \
	widget/vite.config.ts widget/tsconfig.json
CONSOLE_DIST := src/frontdesk/console_dist
CONSOLE_STAMP := $(CONSOLE_DIST)/.built
CONSOLE_DEPS := console/node_modules/.installed
CONSOLE_SRC := $(shell find console/src console/public -type f 2>/dev/null) console/index.html \
	console/package.json console/package-lock.json console/vite.config.ts console/tsconfig.json

.PHONY: setup run test test-fast lint bench clean widget widget-test console console-check console-api

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) widget console  ## create .venv, install, build the widget and console, migrate (idempotent)
	$(BIN)/frontdesk migrate

$(CONSOLE_DEPS): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $@

$(CONSOLE_STAMP): $(CONSOLE_DEPS) $(CONSOLE_SRC)
	cd console && npm run build
	touch $@

console:  ## build the web console into the package (skipped when its sources are unchanged)
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(CONSOLE_STAMP); \
	else echo "npm not found: the console is not built (the API still runs)"; fi

console-check: $(CONSOLE_DEPS)  ## type-check and unit-test the console
	cd console && npx tsc --noEmit && npx vitest run

console-api: $(STAMP)  ## regenerate the console's OpenAPI copy and its TypeScript types
	FRONTDESK_DATA_DIR=$$(mktemp -d) FRONTDESK_MASTER_KEY=$$(head -c32 /dev/urandom | base64) \
	  $(BIN)/python -c "import json; from frontdesk.app import create_app; \
	  json.dump(create_app().openapi(), open('console/openapi.json', 'w'), indent=1, sort_keys=True)"
	cd console && npx openapi-typescript openapi.json -o src/api/schema.d.ts

run: setup  ## the product with the demo tenant, on embedded defaults
	$(BIN)/frontdesk demo
	$(BIN)/frontdesk serve --host $(HOST) --port $(PORT)

test: setup lint widget-test console-check  ## lint, front-end checks, then the whole suite (e2e in Chromium too)
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow and not postgres and not e2e"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/queue_bench.py
	$(BIN)/python bench/console_size.py

$(WIDGET_DEPS): widget/package-lock.json
	cd widget && npm ci --no-audit --no-fund

$(WIDGET_STAMP): $(WIDGET_SRC) $(WIDGET_DEPS)
	cd widget && npm run build
	touch $@

widget: $(WIDGET_STAMP)  ## build the chat widget into src/frontdesk/widget_dist/widget.js

widget-test: $(WIDGET_DEPS)  ## type-check the widget and run its unit tests (Vitest)
	cd widget && npm run typecheck && npm test

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts \
	  $(WIDGET_DIST) widget/node_modules $(CONSOLE_DIST) console/node_modules
