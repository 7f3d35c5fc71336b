#!/usr/bin/env bash
# Installs the system packages the browser and database tests need (Debian chromium + CJK fonts,
# postgresql for the PostgreSQL tests) when they are missing and we are root. Elsewhere it says what is missing; those tests then skip with a reason.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  start=$(date +%s)
  echo "==> 用 apt 安装系统依赖（浏览器测试用，约 1–3 分钟）/ installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || echo "WARNING: apt-get install ${need[*]} failed; browser/PostgreSQL tests will skip" >&2
  echo "    完成，用时 $(( $(date +%s) - start )) 秒 / done"
else
  echo "WARNING: missing ${need[*]} and not root: browser/PostgreSQL tests will skip (install them with apt)." >&2
fi
exit 0
