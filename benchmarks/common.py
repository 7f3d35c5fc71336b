"""Shared helpers for the benchmark scripts: a built bank in a reusable home, machine info."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "benchmarks" / "data"
BENCH_HOME = Path(os.environ.get("MIANSHI_BENCH_HOME", "/tmp/mianshi-bench"))


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def built_kb(home: Path = BENCH_HOME):  # type: ignore[no-untyped-def]
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    kb = KnowledgeBase(KnowledgeSettings(home=home))
    kb.build()
    return kb
