# mianshi — the README's commands. Every target works on a fresh machine: it creates .venv and
# installs what it needs first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install run test check lint bench train-grader system-deps llm-server-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check uv
	$(UV) pip install --python $(PY) -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## run: install, build the knowledge base, open the web app on the offline default (no API key)
run: install
	$(VENV)/bin/mianshi kb build
	$(VENV)/bin/mianshi ui --host $(HOST) --port $(PORT)

## test: install everything the tests need (system packages too, when root) and run them all
test: install system-deps llm-server-deps
	$(PY) -m pytest

## check: ruff + mypy + import-linter + pytest
check: install lint test

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## train-grader: refit the offline grader's calibrated model (exemplars + gold dev split; reproducible)
train-grader: install
	$(VENV)/bin/mianshi eval train-grader --gold eval/datasets/gold.jsonl

## bench: print every benchmark figure (see docs/BENCHMARKS.md)
bench: install
	$(PY) benchmarks/run_all.py

system-deps:
	@bash scripts/install-system-deps.sh

llm-server-deps: install
	@bash scripts/install-llm-server.sh $(PY) $(UV)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
