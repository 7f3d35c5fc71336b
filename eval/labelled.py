"""Human-labelled answers (e.g. eval/datasets/gold.jsonl) graded by the Examiner and compared with
their labels: Spearman, quadratic weighted kappa, MAE, ±1 accuracy and per-kind means."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.examiner import Examiner
from eval.batch import EvalError, grade_in_order, grader_for
from eval.inputs import AnswerRow, InputProblem, decode_lines
from eval.metrics import Agreement, agreement

Split = Literal["dev", "test", "all"]


class LabelledRow(BaseModel):
    """One line: ``{"question", "answer", "label"}`` plus optional ``kind``, ``split``, ``question_ref``, ``id``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    question: str = Field(min_length=1)
    answer: str
    label: float = Field(ge=0, le=10)
    kind: str = ""
    split: str = ""
    question_ref: str | None = None
    id: str | None = None


@dataclass
class AgreementRun:
    agreement: Agreement
    rows: list[LabelledRow]
    predicted: list[float]
    problems: list[InputProblem] = field(default_factory=list)


def load_labelled(path: Path, split: Split = "all") -> tuple[list[LabelledRow], list[InputProblem]]:
    """Rows of the requested split and the lines that were skipped (with their line numbers)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvalError(f"无法读取 {path}：{exc.strerror or exc}") from exc
    lines, bad = decode_lines(data)
    problems = [InputProblem(str(path), n, "含有无法解码的字节，已跳过") for n in bad]
    rows: list[LabelledRow] = []
    for number, text in enumerate(lines, start=1):
        if text is None or not text.strip():
            continue
        try:
            row = LabelledRow.model_validate(json.loads(text))
        except ValueError as exc:
            problems.append(InputProblem(str(path), number, f"不是有效的标注行（{_reason(exc)}），已跳过"))
            continue
        if split == "all" or row.split == split:
            rows.append(row)
    return rows, problems


def _reason(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(f"{'.'.join(str(p) for p in e['loc']) or '行'}: {e['msg']}" for e in exc.errors()[:3])
    return getattr(exc, "msg", None) or str(exc)


def run_agreement(rows: list[LabelledRow], examiner: Examiner, concurrency: int = 1,
                  on_progress: Callable[[int, int], None] = lambda done, total: None) -> AgreementRun:
    """Grade every row (a bank ``question_ref`` such as ``003:21`` pins the bank item) and compare."""
    by_ref = {i.source.ref: i.id for i in examiner.kb.ensure_built().items}
    answers = [AnswerRow(id=r.id or f"row{k}", question=r.question, answer=r.answer, file="labelled", line=k,
                         item_id=by_ref.get(r.question_ref or ""))
               for k, r in enumerate(rows, start=1)]
    kept: list[LabelledRow] = []
    predicted: list[float] = []
    problems: list[InputProblem] = []
    for k, (answer, got) in enumerate(grade_in_order(answers, grader_for(examiner), concurrency), start=1):
        if isinstance(got, Exception):
            problems.append(InputProblem("labelled", answer.line, f"评分出错：{type(got).__name__}: {got}"))
        else:
            kept.append(rows[answer.line - 1])
            predicted.append(got.score)
        on_progress(k, len(answers))
    if not kept:
        raise EvalError("没有可比较的标注行。")
    kinds = [r.kind or "（未标注）" for r in kept]
    result = agreement([r.label for r in kept], predicted, kinds)
    return AgreementRun(agreement=result, rows=kept, predicted=predicted, problems=problems)
