"""CLI and web start-up (issue 12): wall time of ``mianshi --help``, ``mianshi kb search QUERY`` (bank
already built) and ``mianshi ui`` to the first HTTP 200 (benchmarks/ui_startup.py), each a fresh process,
median of N runs. CPU time (user + system of the child) is printed beside the wall time: on a shared
machine the wall time includes waiting for the CPU, the CPU time does not.

    python benchmarks/cli_speed.py [--runs 5] [--ui-runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import BENCH_HOME, built_kb, machine
from ui_startup import one_run

QUERIES = ("注意力为什么要除以根号 d_k", "KV Cache 是什么", "LoRA 为什么省显存", "RoPE 外推", "梯度爆炸怎么办")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``args``; it must succeed."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, children_cpu() - cpu


def report(title: str, runs: list[tuple[float, float]]) -> None:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    print(f"{title}: median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU "
          f"(runs: {', '.join(f'{w:.2f}' for w in walls)} s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ui-runs", type=int, default=3)
    args = ap.parse_args()
    if not (BENCH_HOME / "bank.json").exists():
        built_kb(BENCH_HOME)
    exe = str(Path(sys.executable).parent / "mianshi")
    env = {**os.environ, "MIANSHI_HOME": str(BENCH_HOME), "MIANSHI_BACKEND": "offline"}
    print(f"machine: {machine()}; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    timed([exe, "--help"], env)  # warm the file cache once, as a user's second call would be
    report("mianshi --help", [timed([exe, "--help"], env) for _ in range(args.runs)])
    report("mianshi kb --help", [timed([exe, "kb", "--help"], env) for _ in range(args.runs)])
    report("mianshi kb search QUERY", [timed([exe, "kb", "search", QUERIES[n % len(QUERIES)]], env)
                                       for n in range(args.runs)])
    ui = [one_run(BENCH_HOME) for _ in range(args.ui_runs)]
    print(f"mianshi ui to HTTP 200: median {statistics.median(ui):.2f} s wall (runs: {', '.join(f'{t:.2f}' for t in ui)} s)")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
