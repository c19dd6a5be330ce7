# Frontdesk — `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

CONSOLE_DIST := src/frontdesk/console_dist
CONSOLE_STAMP := $(CONSOLE_DIST)/.built
CONSOLE_DEPS := console/node_modules/.installed
CONSOLE_SRC := $(shell find console/src console/public -type f 2>/dev/null) console/index.html \
	console/package.json console/package-lock.json console/vite.config.ts console/tsconfig.json

.PHONY: setup run test test-fast lint bench clean console console-check console-api

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) console  ## create .venv, install, build the console, migrate (idempotent)
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

test: setup lint console-check  ## lint, console checks, then the whole suite (e2e in Chromium included)
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

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(CONSOLE_DIST) console/node_modules test-artifacts
