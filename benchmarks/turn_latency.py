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
from agent.grading.model import Grade, GradingContext, KeyPointResult, verdict_for
from agent.interviewer import Interviewer
from agent.settings import AgentSettings
from knowledge.schema import QuestionItem


class FixedGrader:
    """Grades every answer 5.0 with every point missed, instantly: what is left is the turn's own cost
    (engine, phrasing, LangGraph checkpoint, history writes)."""

    name = "fixed"

    def grade(self, item: QuestionItem | None, answer: str, ctx: GradingContext) -> Grade:
        points = tuple(KeyPointResult(id=p.id, text=p.text, verdict="missed") for p in ctx.points)
        return Grade(score=5.0, verdict=verdict_for(5.0), key_points=points, grader="fixed", grader_version="0")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=120)
    ap.add_argument("--fixed-grader", action="store_true", help="measure the turn without grading (engine + phrasing + stores)")
    args = ap.parse_args()
    answers = [r["answer"] for r in read_jsonl(ROOT / "eval" / "datasets" / "gold.jsonl") if r["answer"].strip()]
    kb = built_kb()
    iv = Interviewer(kb, AgentSettings(home=Path(tempfile.mkdtemp()), backend="offline"),
                     grader=FixedGrader() if args.fixed_grader else None)
    iv.warm()  # as the web app and `mianshi chat` do at start
    r = iv.start(InterviewConfig(n_questions=50, follow_up_budget=1, seed=1))
    iv.answer(r.session.id, answers[0])  # warm: graph, databases
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
    print(f"# offline turn latency{' without grading (fixed grader)' if args.fixed_grader else ''} — {machine()}")
    print(f"{len(times)} turns: p50 {statistics.median(times):.1f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.1f} ms, "
          f"max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
