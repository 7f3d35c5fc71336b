"""`make bench`: run every benchmark script and print its figures (record them in docs/BENCHMARKS.md).

    python benchmarks/run_all.py [--full]     # --full adds the 10,000-item synthetic bank (~30 min) and the
                                              # 20,000-answer batch with 1 and 2 worker processes (~15 min)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run(args: list[str]) -> None:
    print(f"\n$ {' '.join(args)}", flush=True)
    subprocess.run(args, cwd=HERE, check=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true")
    full = ap.parse_args().full
    py = sys.executable
    mianshi = str(Path(py).parent / "mianshi")
    run([py, "retrieval_quality.py"])
    run([py, "kb_speed.py", "--sizes", "1000", *(["10000"] if full else [])])
    for split in ("dev", "test"):
        run([mianshi, "eval", "agreement", str(ROOT / "eval/datasets/gold.jsonl"), "--split", split])
    run([py, "grading_agreement.py", "--split", "test"])
    run([py, "reference_answers.py"])
    run([py, "eval_throughput.py"])
    if full:
        run([py, "eval_workers.py", "--answers", "20000"])
    run([py, "turn_latency.py"])
    run([mianshi, "eval", "simulate", "-p", "all", "-n", "5"])
    run([py, "cli_speed.py"])  # mianshi --help, kb search, and mianshi ui to HTTP 200 (ui_startup.one_run)


if __name__ == "__main__":
    main()
