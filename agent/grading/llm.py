"""LLMGrader: a reference-guided rubric prompt, temperature 0, JSON validated with pydantic, one
repair attempt, then the rubric grade flagged `llm_fallback` — never an invented score.

The candidate's answer is fenced and declared as data; text aimed at the grader is stripped before
the model sees it (the same detector as the rubric grader), so an injection cannot raise a score.
Evidence quotes must be verbatim spans of the answer: one that is not is dropped and its point
downgraded to partial. Grades are cached by (model, prompt version, item, answer hash).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

import prompts
from agent.grading.model import Grade, GradingContext, KeyPointResult, verdict_for
from agent.grading.rubric import RubricGrader
from agent.grading.signals import MAX_GRADED_CHARS, strip_injection
from knowledge.schema import QuestionItem

VERSION = "llm-1.0"


class _PointOut(BaseModel):
    id: str
    verdict: Literal["covered", "partial", "missed"]
    evidence: str = ""


class LLMGradeOut(BaseModel):
    score: float = Field(ge=0, le=10)
    key_points: list[_PointOut] = []
    pitfalls_hit: list[str] = []
    flags: list[str] = []
    feedback: str = ""


class LLMGradeError(ValueError):
    pass


def extract_json(text: str) -> dict[str, Any]:
    """The first balanced JSON object in the model's text (code fences and chatter around it allowed)."""
    text = re.sub(r"```(?:json)?", "", text)
    start = text.find("{")
    while start != -1:
        depth, in_str, esc = 0, False, False
        for pos in range(start, len(text)):
            ch = text[pos]
            if in_str:
                esc = (ch == "\\") and not esc
                if ch == '"' and not esc:
                    in_str = False
                continue
            if ch == '"':
                in_str = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    try:
                        data = json.loads(text[start:pos + 1])
                    except json.JSONDecodeError:
                        break
                    if isinstance(data, dict):
                        return data
                    break
        start = text.find("{", start + 1)
    raise LLMGradeError("没有找到 JSON 对象")


def _content(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):
        return "".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
    return str(content or "")


class GradeCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._mem: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Grade | None:
        with self._lock:
            if key in self._mem:
                return Grade.model_validate_json(self._mem[key])
            if self.path and self.path.exists():
                con = sqlite3.connect(self.path)
                try:
                    con.execute("CREATE TABLE IF NOT EXISTS grades (key TEXT PRIMARY KEY, grade TEXT)")
                    row = con.execute("SELECT grade FROM grades WHERE key=?", (key,)).fetchone()
                finally:
                    con.close()
                if row:
                    self._mem[key] = row[0]
                    return Grade.model_validate_json(row[0])
        return None

    def put(self, key: str, grade: Grade) -> None:
        with self._lock:
            self._mem[key] = grade.model_dump_json()
            if self.path:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                con = sqlite3.connect(self.path)
                try:
                    con.execute("CREATE TABLE IF NOT EXISTS grades (key TEXT PRIMARY KEY, grade TEXT)")
                    con.execute("INSERT OR REPLACE INTO grades VALUES (?,?)", (key, self._mem[key]))
                    con.commit()
                finally:
                    con.close()


class LLMGrader:
    name = "llm"

    def __init__(self, model: Any, fallback: RubricGrader, cache_path: Path | None = None, model_name: str = "") -> None:
        self.model = model
        self.fallback = fallback
        self.model_name = model_name or getattr(model, "model_name", type(model).__name__)
        self.cache = GradeCache(cache_path)

    def prompt_version(self) -> str:
        return "+".join(prompts.version(n) for n in ("grade_system", "grade_user", "grade_repair"))

    def _key(self, item: QuestionItem | None, answer: str, ctx: GradingContext) -> str:
        payload = json.dumps([self.model_name, self.prompt_version(), item.id if item else None,
                              [p.text for p in ctx.points], ctx.score_cap, answer], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def grade(self, item: QuestionItem | None, answer: str, context: GradingContext) -> Grade:
        key = self._key(item, answer, context)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        rubric = self.fallback.grade(item, answer, context)
        if "empty" in rubric.flags or not context.points or item is None:
            # nothing to ask a model about: an empty answer is 0, a question without reference stays flagged
            return rubric
        clean, injected = strip_injection(answer[:MAX_GRADED_CHARS])
        try:
            out = self._ask(item, clean, context)
        except Exception as exc:  # timeouts, HTTP errors, malformed JSON twice: the rubric grade, flagged
            reason = f"{type(exc).__name__}: {str(exc)[:120]}"
            return rubric.model_copy(update={
                "flags": (*rubric.flags, "llm_fallback"),
                "feedback": rubric.feedback + f"\n（大模型评分失败：{reason}；以上为离线评分。）",
            })
        grade = self._to_grade(out, item, clean, context, rubric, injected)
        self.cache.put(key, grade)
        return grade

    def _messages(self, item: QuestionItem, answer: str, ctx: GradingContext) -> list[Any]:
        from langchain_core.messages import HumanMessage, SystemMessage

        user = prompts.render(
            "grade_user", question=item.question, reference=ctx.reference_text or "（无，见要点）",
            key_points="\n".join(f"- [{p.id}] {p.text}" for p in ctx.points),
            pitfalls="\n".join(f"- {p}" for p in ctx.pitfalls) or "（无）",
            chunks="\n".join(f"- {s}" for s in ctx.sources[1:4]) or "（无）", answer=answer)
        return [SystemMessage(prompts.render("grade_system")), HumanMessage(user)]

    def _ask(self, item: QuestionItem, answer: str, ctx: GradingContext) -> LLMGradeOut:
        from langchain_core.messages import AIMessage, HumanMessage

        messages = self._messages(item, answer, ctx)
        reply = _content(self.model.invoke(messages))
        try:
            return LLMGradeOut.model_validate(extract_json(reply))
        except (LLMGradeError, ValidationError) as first:
            error = str(first).splitlines()[0][:200]
        repair = [*messages, AIMessage(reply or ""), HumanMessage(prompts.render("grade_repair", error=error))]
        reply = _content(self.model.invoke(repair))
        return LLMGradeOut.model_validate(extract_json(reply))

    def _to_grade(self, out: LLMGradeOut, item: QuestionItem, answer: str, ctx: GradingContext, rubric: Grade,
                  injected: bool) -> Grade:
        verdicts = {p.id: p for p in out.key_points}
        results = []
        flags = [f for f in out.flags if f in ("off_topic", "keyword_list", "superficial", "pitfall", "contradiction")]
        for pt in ctx.points:
            got = verdicts.get(pt.id)
            verdict, evidence = (got.verdict, got.evidence.strip()) if got else ("missed", "")
            if evidence and evidence not in answer:
                evidence = ""
                if verdict == "covered":
                    verdict = "partial"
                if "unverified_evidence" not in flags:
                    flags.append("unverified_evidence")
            results.append(KeyPointResult(id=pt.id, text=pt.text, verdict=verdict,
                                          evidence=evidence if verdict != "missed" else "", source=pt.source))
        score = round(out.score, 1)
        for f in ("injection", "truncated", "non_chinese", "keyword_list"):
            if f in rubric.flags and f not in flags:
                flags.append(f)
        if injected and "injection" not in flags:
            flags.append("injection")
        if ctx.score_cap is not None:
            score = min(score, ctx.score_cap)
            flags.append("hint_used")
        pitfalls = tuple(p for p in out.pitfalls_hit if p in ctx.pitfalls)
        feedback = out.feedback.strip() or rubric.feedback
        return Grade(score=score, verdict=verdict_for(score), key_points=tuple(results), pitfalls_hit=pitfalls,
                     flags=tuple(dict.fromkeys(flags)), feedback=feedback, grader=f"llm:{self.model_name}",
                     grader_version=VERSION, prompt_version=self.prompt_version(), confidence=rubric.confidence,
                     item_id=item.id, references=ctx.sources)
