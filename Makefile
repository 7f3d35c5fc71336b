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
	@test -x $(PY) || { echo "==> 创建虚拟环境 $(VENV) / creating $(VENV)"; python3 -m venv $(VENV); }
	@echo "==> 安装 Python 依赖（首次约 2–5 分钟）/ installing the Python dependencies…"
	@start=$$(date +%s); \
	  $(PY) -m pip install -q --disable-pip-version-check uv && \
	  $(UV) pip install --python $(PY) -q --compile-bytecode -e '.[dev]' && \
	  echo "    完成，用时 $$(( $$(date +%s) - start )) 秒 / done"
	@touch $(STAMP)

install: $(STAMP)

## run: install, build the knowledge base, open the web app on the offline default (no API key)
run: install
	@echo "==> 构建题库（首次向量化 440 条约 1–3 分钟，之后只处理变化的题目）/ building the question bank…"
	$(VENV)/bin/mianshi kb build
	@echo "==> 启动网页版 http://$(HOST):$(PORT)/（约 5–10 秒）/ starting the web app…"
	$(VENV)/bin/mianshi ui --host $(HOST) --port $(PORT)

## test: install everything the tests need (system packages too, when root) and run them all
test: install system-deps llm-server-deps
	@echo "==> 运行全部测试（pytest 逐个文件显示进度）/ running the test suite…"
	@start=$$(date +%s); $(PY) -m pytest; rc=$$?; s=$$(( $$(date +%s) - start )); \
	  echo "==> 测试用时 $$((s / 60)) 分 $$((s % 60)) 秒 / the tests took $$((s / 60)) min $$((s % 60)) s"; exit $$rc

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
	@echo "==> 检查系统依赖（chromium、中文字体）/ checking system packages…"
	@bash scripts/install-system-deps.sh

llm-server-deps: install
	@echo "==> 检查测试用的 llama.cpp 服务器 / checking the test LLM server…"
	@bash scripts/install-llm-server.sh $(PY) $(UV)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
