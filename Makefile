# Everyday commands: `make run` starts a demo server, `make test` runs the whole test suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install -q --disable-pip-version-check
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: help install install-test run migrate seed test test-fast clean-data

help:
	@echo "make run         start the demo server on http://$(HOST):$(PORT) (SQLite under ./data/)"
	@echo "make test        run every test: SQLite, PostgreSQL, then the browser tests"
	@echo "make test-fast   run the non-browser tests on SQLite only"
	@echo "make migrate     apply the database migrations"
	@echo "make clean-data  delete the local SQLite database under ./data/"

$(BIN)/python:
	@PYTHON=$(PYTHON) VENV=$(VENV) bash scripts/venv.sh

# The stamps remember that pyproject.toml has been installed; editing it reinstalls.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	@echo "==> pip install -e ."
	@$(PIP) -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "==> pip install -e .[test]"
	@$(PIP) -e '.[test]'
	@touch $@

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

run: install
	@HOST=$(HOST) PORT=$(PORT) bash scripts/run.sh

migrate: install
	@$(BIN)/sammachip migrate

seed: install
	@SAMMACHIP_DEMO=1 $(BIN)/sammachip seed-demo

test: install-test
	@bash scripts/test.sh

test-fast: install-test
	@$(BIN)/python -m pytest -m "not browser"

clean-data:
	rm -f data/sammachip.db data/sammachip.db-wal data/sammachip.db-shm
