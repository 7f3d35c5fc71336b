"""The batch engine: ordered concurrent grading, the grader factory, identical results at any concurrency."""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import pytest

from eval.batch import BatchOptions, GraderUnavailable, grade_in_order, make_grader, open_kb, run_batch
from eval.inputs import AnswerRow
from eval.results import GradedRow


def answer_rows(n: int) -> list[AnswerRow]:
    return [AnswerRow(id=f"r{k}", question=f"q{k}", answer="a", file="x.jsonl", line=k) for k in range(1, n + 1)]


def fake_grade(row: AnswerRow) -> GradedRow:
    time.sleep(random.random() / 200)
    if row.id == "r7":
        raise RuntimeError("boom")
    return GradedRow(id=row.id, source=row.source, question=row.question, answer=row.answer, score=5.0, verdict="不及格")


@pytest.mark.parametrize("concurrency", [1, 4])
def test_grade_in_order_keeps_input_order_and_isolates_failures(concurrency: int) -> None:
    got = list(grade_in_order(answer_rows(40), fake_grade, concurrency))
    assert [r.id for r, _ in got] == [f"r{k}" for k in range(1, 41)]
    assert [r.id for r, g in got if isinstance(g, Exception)] == ["r7"]
    assert all(g.id == r.id for r, g in got if isinstance(g, GradedRow))


def test_make_grader_rubric_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_grader("rubric", open_kb()) is None
    with pytest.raises(GraderUnavailable, match="未知的评分器"):
        make_grader("gpt", open_kb())


def no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MIANSHI_API_KEY", "MIANSHI_BASE_URL", "MIANSHI_BACKEND"):
        monkeypatch.delenv(name, raising=False)


def test_make_grader_llm_needs_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    no_llm_env(monkeypatch)
    with pytest.raises(GraderUnavailable, match="未配置大模型：请设置 OPENAI_API_KEY / OPENAI_BASE_URL"):
        make_grader("llm", open_kb())
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("MIANSHI_BACKEND", "offline")
    with pytest.raises(GraderUnavailable, match="未配置大模型"):
        make_grader("llm", open_kb())
    monkeypatch.delenv("MIANSHI_BACKEND")
    monkeypatch.setitem(sys.modules, "agent.grading.llm", None)  # a build without the LLM grader
    with pytest.raises(GraderUnavailable, match="--grader rubric"):
        make_grader("llm", open_kb())


def test_llm_grader_that_cannot_connect_falls_back_and_says_so(home_copy: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A configured but unreachable endpoint: every grade is the rubric's, flagged llm_fallback — never invented."""
    from agent.examiner import Examiner
    from tests.eval.test_inputs import DATA

    no_llm_env(monkeypatch)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    monkeypatch.setenv("MIANSHI_LLM_MAX_RETRIES", "0")
    kb = open_kb()
    examiner = Examiner(kb)
    grader = make_grader("llm", kb, examiner)
    assert grader is not None and grader.name == "llm"
    result = run_batch([DATA / "wenda.md"], BatchOptions(out_dir=tmp_path / "o"), Examiner(kb, grader=grader))
    rows = [json.loads(line) for line in (tmp_path / "o" / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
    assert result.graded == 2 and all("llm_fallback" in r["flags"] for r in rows)
    offline = [examiner.examine(r["question"], r["answer"]).grade.score for r in rows]
    assert [r["score"] for r in rows] == offline


def test_concurrent_run_equals_sequential(home_copy: Path, tmp_path: Path) -> None:
    from agent.examiner import Examiner
    from tests.eval.test_inputs import DATA

    inputs = [DATA / "rows.jsonl", DATA / "dialogue.md", DATA / "answers.csv"]
    examiner = Examiner(open_kb())
    one = run_batch(inputs, BatchOptions(out_dir=tmp_path / "one"), examiner)
    four = run_batch(inputs, BatchOptions(out_dir=tmp_path / "four", concurrency=4), Examiner(open_kb()))
    assert one.graded == four.graded == 9 and not one.failed
    assert (tmp_path / "one" / "grades.jsonl").read_bytes() == (tmp_path / "four" / "grades.jsonl").read_bytes()
    assert (tmp_path / "one" / "report.md").read_bytes() == (tmp_path / "four" / "report.md").read_bytes()
