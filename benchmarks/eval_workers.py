"""Batch grading with worker processes: `mianshi eval run --workers N` on a 20,000-answer batch.

Generates N answers to the bank's questions with benchmarks/eval_throughput.py's generator (the same
deterministic seed: degraded reference answers, ~15% reworded questions that go through retrieval),
runs the `mianshi` console script once per worker count as a subprocess and prints wall time,
answers/s and the CPU seconds of the whole process tree, then checks that every run wrote the same
grades.jsonl bytes as the single-process run (exit code 1 if not).

Speed-up needs real cores: the script first measures how much two CPU-bound processes get done at
once compared with one ("parallel capacity", 2.0 on two free cores), so the figures can be read on a
shared or overcommitted machine.

    python benchmarks/eval_workers.py [--answers 20000] [--workers 1 2] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BENCH_HOME, ROOT, built_kb, machine
from eval_throughput import write_input

MIANSHI = Path(sys.executable).with_name("mianshi")


def spin(n: int = 20_000_000) -> float:
    start = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    return time.perf_counter() - start


def parallel_capacity() -> tuple[float, float, float]:
    """(one process alone s, two at once s, capacity = 2 × alone / together; 2.0 means two free cores)."""
    alone = spin()
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        start = time.perf_counter()
        pool.map(spin, [20_000_000, 20_000_000])
        together = time.perf_counter() - start
    return alone, together, 2 * alone / together


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child and the workers it waited for, exit code)."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(errors.decode("utf-8", "replace")[-2000:], file=sys.stderr)
    return wall, usage.ru_utime + usage.ru_stime, code


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=20_000)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--concurrency", type=int, default=1)
    args = ap.parse_args()
    kb = built_kb(BENCH_HOME)
    items = list(kb.bank().items)
    tmp = Path(tempfile.mkdtemp(prefix="mianshi-workers-bench-"))
    env = {**os.environ, "MIANSHI_HOME": str(BENCH_HOME)}
    src = tmp / f"answers_{args.answers}.jsonl"
    write_input(src, items, args.answers)
    print(f"# eval with worker processes — {machine()}, {time.strftime('%Y-%m-%d')}")
    print(f"bank: {len(items)} questions in {BENCH_HOME}; input: {args.answers} answers "
          f"(sha256 {hashlib.sha256(src.read_bytes()).hexdigest()[:12]})")
    alone, together, capacity = parallel_capacity()
    print(f"parallel capacity: one CPU-bound process {alone:.2f} s alone, two at once {together:.2f} s "
          f"-> {capacity:.2f} of 2 cores' work")
    digests: dict[int, str] = {}
    base: float | None = None
    for n in args.workers:
        out = tmp / f"out_{n}"
        cmd = [str(MIANSHI), "eval", "run", str(src), "--out", str(out), "--workers", str(n),
               "--concurrency", str(args.concurrency)]
        load = os.getloadavg()[0]
        wall, cpu, code = run(cmd, env)
        data = (out / "grades.jsonl").read_bytes() if code == 0 else b""
        digests[n] = hashlib.sha256(data).hexdigest()
        base = base or wall
        rows = data.count(b"\n")
        print(f"--workers {n}: wall {wall:7.1f} s, {args.answers / wall:6.1f} answers/s, speed-up {base / wall:4.2f}×, "
              f"CPU {cpu:7.1f} s, load before {load:.1f}, exit {code}, {rows} rows, "
              f"grades.jsonl sha256 {digests[n][:12]}")
    print(f"command: {MIANSHI.name} eval run answers_{args.answers}.jsonl --out DIR --workers N "
          f"--concurrency {args.concurrency}")
    same = len(set(digests.values())) == 1
    print("identical grades.jsonl for every N: " + ("yes" if same else "NO"))
    shutil.rmtree(tmp, ignore_errors=True)
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
