#!/usr/bin/env bash
# Collects the authored grading material from the helpers' scratch files into knowledge/data/rubrics/.
set -euo pipefail
SRC="${1:-/work/scratch/material}"
DST="$(dirname "$0")/../knowledge/data/rubrics"
for d in 000 001 002 004; do [ -f "$SRC/$d.jsonl" ] && cp "$SRC/$d.jsonl" "$DST/$d.jsonl"; done
cat "$SRC"/003_part1.jsonl "$SRC"/003_part2.jsonl "$SRC"/003_part3.jsonl 2>/dev/null > "$DST/003.jsonl" || true
wc -l "$DST"/*.jsonl
