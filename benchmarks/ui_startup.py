"""Web app start-up: time from launching `mianshi ui` (bank already built, offline examiner) to the
first HTTP 200 of the page; each run is a fresh process; 3 runs by default, median printed.

    python benchmarks/ui_startup.py [--runs 3]

benchmarks/cli_speed.py reuses :func:`one_run` beside the CLI timings (``make bench`` runs that one).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import BENCH_HOME, built_kb, machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_200(url: str, proc: subprocess.Popen[bytes], deadline: float) -> float:
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return time.perf_counter()
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"mianshi ui exited with {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"no HTTP 200 from {url} in time")


def one_run(home: Path) -> float:
    port = free_port()
    env = {**os.environ, "MIANSHI_HOME": str(home), "GRADIO_ANALYTICS_ENABLED": "False", "MIANSHI_BACKEND": "offline",
           "GRADIO_TEMP_DIR": tempfile.mkdtemp(prefix="mianshi-bench-gradio-")}
    exe = Path(sys.executable).parent / "mianshi"
    start = time.perf_counter()
    proc = subprocess.Popen([str(exe), "ui", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        return wait_200(f"http://127.0.0.1:{port}/", proc, time.time() + 120) - start
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    runs = ap.parse_args().runs
    if not (BENCH_HOME / "bank.json").exists():
        built_kb(BENCH_HOME)
    times = [one_run(BENCH_HOME) for _ in range(runs)]
    print(f"machine: {machine()}")
    print("mianshi ui start-up (process start -> HTTP 200 of the page, bank already built):")
    print("  runs: " + ", ".join(f"{t:.2f} s" for t in times))
    print(f"  median: {statistics.median(times):.2f} s")


if __name__ == "__main__":
    main()
