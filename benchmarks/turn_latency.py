"""Offline interviewer turn latency: grade + next interviewer message, warm, through the facade
(LangGraph graph, SQLite checkpoint and history writes included).

    python benchmarks/turn_latency.py [--turns 120]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import ROOT, built_kb, machine, read_jsonl

from agent.domain import InterviewConfig
from agent.interviewer import Interviewer
from agent.settings import AgentSettings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=120)
    args = ap.parse_args()
    answers = [r["answer"] for r in read_jsonl(ROOT / "eval" / "datasets" / "gold.jsonl") if r["answer"].strip()]
    kb = built_kb()
    iv = Interviewer(kb, AgentSettings(home=Path(tempfile.mkdtemp()), backend="offline"))
    r = iv.start(InterviewConfig(n_questions=50, follow_up_budget=1, seed=1))
    iv.answer(r.session.id, answers[0])  # warm: grader tables, graph, databases
    times: list[float] = []
    sid, k = r.session.id, 1
    while len(times) < args.turns:
        t = time.perf_counter()
        res = iv.answer(sid, answers[k % len(answers)])
        times.append((time.perf_counter() - t) * 1000)
        k += 1
        if res.finished:
            sid = iv.start(InterviewConfig(n_questions=50, follow_up_budget=1, seed=k)).session.id
    times.sort()
    print(f"# offline turn latency — {machine()}")
    print(f"{len(times)} turns: p50 {statistics.median(times):.1f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.1f} ms, "
          f"max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
