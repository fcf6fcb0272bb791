# Two entry points: `make run` (portal with demo data on SQLite) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint test-sqlite test-postgres venv node-packages system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

run: venv
	PORTAL_ENV=development PORTAL_HTTPS=0 $(BIN)/flask --app wsgi db upgrade
	PORTAL_ENV=development PORTAL_HTTPS=0 $(BIN)/flask --app wsgi demo
	@echo "Portal: http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	PORTAL_ENV=development PORTAL_HTTPS=0 $(BIN)/gunicorn -c python:portal.gunicorn_conf --bind $(HOST):$(PORT)

system-packages:
	bash scripts/system-packages.sh

# axe-core for the browser suite's accessibility checks (package.json, package-lock.json).
node-packages: node_modules/axe-core/axe.min.js

node_modules/axe-core/axe.min.js:
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts

test: system-packages venv node-packages
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# ruff with the bandit (S) rules: no SQL built from strings, no shell strings, no hard-coded secrets.
lint:
	@echo "== ruff (incl. security rules) =="
	$(BIN)/ruff check portal tests bench

test-sqlite:
	@echo "== Test suite on SQLite =="
	$(BIN)/python -m pytest

test-postgres:
	@echo "== Test suite on PostgreSQL =="
	bash scripts/with-postgres.sh $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules
