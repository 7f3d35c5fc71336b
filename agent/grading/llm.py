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
from agent.grading.model import Finding, Grade, GradingContext, KeyPointResult, verdict_for
from agent.grading.rubric import RubricGrader
from agent.grading.signals import MAX_GRADED_CHARS, strip_injection
from knowledge.schema import QuestionItem

VERSION = "llm-2.0"


class PointVerdictOut(BaseModel):
    id: str = Field(description="要点 id，原样返回")
    verdict: Literal["covered", "partial", "missed", "wrong"] = Field(
        description="covered 讲清楚；partial 只点到；missed 未提及；wrong 说错了")
    evidence: str = Field(default="", description="从回答中逐字复制的片段；没有就留空")


class MisconceptionOut(BaseModel):
    id: str = Field(description="所犯错误说法的 id（来自“常见错误说法”列表），不在列表中的错误写 other")
    evidence: str = Field(description="回答中说错的原文片段（逐字复制）")
    why: str = Field(default="", description="为什么错，正确说法是什么")


class LLMGradeOut(BaseModel):
    """What the model must return. There is deliberately no way to set the score without verdicts:
    the score the model proposes is kept only inside the band its own verdicts allow."""

    key_points: list[PointVerdictOut] = Field(description="每个要点一条")
    misconceptions: list[MisconceptionOut] = Field(default=[], description="回答中出现的错误说法；没有就是空列表")
    score: float = Field(ge=0, le=10, description="0–10 的分数，一位小数；必须落在要点判定允许的区间内")
    flags: list[Literal["off_topic", "keyword_list", "superficial", "injection"]] = []
    feedback: str = Field(default="", description="中文点评：答对了什么、缺了什么或错在哪里、该复习什么")


def output_schema() -> str:
    """The JSON schema shown to the model, generated from the output model."""
    return json.dumps(LLMGradeOut.model_json_schema(), ensure_ascii=False)


def allowed_band(out: LLMGradeOut, ctx: GradingContext) -> tuple[float, float]:
    """The score range the verdicts allow (RUBRIC.md steps 3–6): weighted coverage → base band, a
    wrong core point or misconception caps at 3.5, any other error at 6.5, a keyword list at 4."""
    weight = {p.id: p.weight for p in ctx.points}
    top = max(weight.values(), default=1.0)
    core_ids = {i for i, w in weight.items() if w >= top}
    core_mis = {m.id for m in ctx.misconceptions if m.point is None or any(i.split("/")[-1] == m.point for i in core_ids)}
    verdicts = {v.id: v.verdict for v in out.key_points}
    total = sum(weight.values()) or 1.0
    credit = {"covered": 1.0, "partial": 0.5}
    c = sum(weight[i] * credit.get(verdicts.get(i, "missed"), 0.0) for i in weight) / total
    lo, hi = next((lo, hi) for at, lo, hi in _COVERAGE_BANDS if c >= at)
    wrong_core = any(verdicts.get(i) == "wrong" for i in core_ids) or any(m.id in core_mis for m in out.misconceptions)
    wrong_any = wrong_core or bool(out.misconceptions) or "wrong" in verdicts.values()
    if wrong_any:  # an error costs 1–2 points each (RUBRIC.md step 5): the floor goes
        lo = max(0.0, lo - 2.0 * max(1, len(out.misconceptions)))
    if wrong_core:
        hi = min(hi, 3.5)
    elif wrong_any:
        hi = min(hi, 6.5)
    if "keyword_list" in out.flags:
        hi = min(hi, 4.0)
    if "off_topic" in out.flags:
        hi = min(hi, 1.0)
    return min(lo, hi), hi


_COVERAGE_BANDS = ((1.0, 8.0, 10.0), (0.75, 6.5, 8.5), (0.5, 5.0, 7.0), (0.25, 3.0, 5.0), (0.0, 0.0, 3.0))
"""(coverage from, low, high): RUBRIC.md's base bands, widened by its +0.5–1.0 depth bonus."""


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
        return "+".join(prompts.version(n) for n in ("grade_system", "grade_user", "grade_repair", "grade_disagree"))

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
            out, clamped = self._ask(item, clean, context)
        except FALLBACK_ERRORS as exc:  # API/HTTP/timeout errors, invalid output twice: the rubric grade, flagged
            reason = f"{type(exc).__name__}: {str(exc)[:120]}"
            return rubric.model_copy(update={
                "flags": (*rubric.flags, "llm_fallback"),
                "feedback": rubric.feedback + f"\n（大模型评分失败：{reason}；以上为离线评分。）",
            })
        grade = self._to_grade(out, item, clean, context, rubric, injected, clamped)
        self.cache.put(key, grade)
        return grade

    def _messages(self, item: QuestionItem, answer: str, ctx: GradingContext) -> list[Any]:
        from langchain_core.messages import HumanMessage, SystemMessage

        top = max((p.weight for p in ctx.points), default=1.0)
        points = "\n".join(f"- [{p.id}]{'（核心）' if p.weight >= top else ''} {p.text}"
                           + (f"（也可表述为：{'；'.join(p.aliases[:4])}）" if p.aliases else "") for p in ctx.points)
        wrong = "\n".join(f"- [{m.id}] {m.text} —— {m.why}" for m in ctx.misconceptions) or "（无）"
        examples = "\n".join(f"- {e.score:g} 分：{e.answer[:300]}" for e in _calibration_examples(ctx)) or "（无）"
        user = prompts.render(
            "grade_user", question=item.question, reference=ctx.reference_text or "（无，见要点）", key_points=points,
            misconceptions=wrong, pitfalls="\n".join(f"- {p}" for p in ctx.pitfalls) or "（无）",
            examples=examples, answer=answer, schema=output_schema())
        return [SystemMessage(prompts.render("grade_system")), HumanMessage(user)]

    def _ask(self, item: QuestionItem, answer: str, ctx: GradingContext) -> tuple[LLMGradeOut, bool]:
        """The model's verdicts; one repair for invalid output, one retry when its score falls outside
        the band its verdicts allow. Returns (output, whether the score had to be clamped)."""
        from langchain_core.messages import AIMessage, HumanMessage

        messages = self._messages(item, answer, ctx)
        reply = _content(self.model.invoke(messages))
        try:
            out = LLMGradeOut.model_validate(extract_json(reply))
        except (LLMGradeError, ValidationError) as first:
            error = str(first).splitlines()[0][:200]
            messages = [*messages, AIMessage(reply or ""), HumanMessage(prompts.render("grade_repair", error=error))]
            reply = _content(self.model.invoke(messages))
            out = LLMGradeOut.model_validate(extract_json(reply))
        lo, hi = allowed_band(out, ctx)
        if lo <= out.score <= hi:
            return out, False
        messages = [*messages, AIMessage(reply or ""), HumanMessage(prompts.render(
            "grade_disagree", score=f"{out.score:g}", low=f"{lo:g}", high=f"{hi:g}"))]
        try:
            again = LLMGradeOut.model_validate(extract_json(_content(self.model.invoke(messages))))
        except (LLMGradeError, ValidationError):
            again = out
        lo, hi = allowed_band(again, ctx)
        if lo <= again.score <= hi:
            return again, False
        return again.model_copy(update={"score": min(max(again.score, lo), hi)}), True

    def _to_grade(self, out: LLMGradeOut, item: QuestionItem, answer: str, ctx: GradingContext, rubric: Grade,
                  injected: bool, clamped: bool) -> Grade:
        verdicts = {p.id: p for p in out.key_points}
        results = []
        flags: list[str] = [f for f in out.flags if f in ("off_topic", "keyword_list", "superficial")]
        for pt in ctx.points:
            got = verdicts.get(pt.id)
            verdict, evidence = (got.verdict, got.evidence.strip()) if got else ("missed", "")
            if verdict == "wrong":
                verdict = "missed"
            if evidence and evidence not in answer:
                evidence = ""
                if verdict == "covered":
                    verdict = "partial"
                if "unverified_evidence" not in flags:
                    flags.append("unverified_evidence")
            results.append(KeyPointResult(id=pt.id, text=pt.text, verdict=verdict,
                                          evidence=evidence if verdict != "missed" else "", source=pt.source))
        known = {m.id: m for m in ctx.misconceptions}
        findings = []
        for m in out.misconceptions:
            quote = m.evidence.strip()
            if not quote or quote not in answer:  # an invented quote is not evidence
                if "unverified_evidence" not in flags:
                    flags.append("unverified_evidence")
                continue
            ref = known.get(m.id)
            findings.append(Finding(text=quote, claim=ref.text if ref else "", why=(ref.why if ref else m.why.strip()) or "说法有误",
                                    point=ref.point if ref else None))
        if findings:
            flags.append("misconception")
        if clamped:
            flags.append("llm_clamped")
        score = round(out.score, 1)
        for f in ("injection", "truncated", "non_chinese", "keyword_list"):
            if f in rubric.flags and f not in flags:
                flags.append(f)
        if injected and "injection" not in flags:
            flags.append("injection")
        if ctx.score_cap is not None:
            score = min(score, ctx.score_cap)
            flags.append("hint_used")
        feedback = out.feedback.strip() or rubric.feedback
        if clamped:
            feedback += f"\n（大模型给出的分数与它自己的要点判定不符，已按判定限定为 {score:g} 分。）"
        return Grade(score=score, verdict=verdict_for(score), key_points=tuple(results), pitfalls_hit=(),
                     flags=tuple(dict.fromkeys(flags)), feedback=feedback, grader=f"llm:{self.model_name}",
                     grader_version=VERSION, prompt_version=self.prompt_version(), confidence=rubric.confidence,
                     item_id=item.id, references=ctx.sources, misconceptions=tuple(findings))


def _calibration_examples(ctx: GradingContext) -> list[Any]:
    """Two graded exemplars that show the scale: the best answer and a fluent wrong one."""
    if not ctx.exemplars:
        return []
    best = max(ctx.exemplars, key=lambda e: e.score)
    wrong = [e for e in ctx.exemplars if e.kind == "fluent_wrong"]
    return [best, *wrong[:1]]


def _fallback_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [LLMGradeError, ValidationError, TimeoutError, ConnectionError]
    try:
        import openai

        errors.append(openai.APIError)
    except ImportError:  # pragma: no cover - openai is a dependency
        pass
    try:
        import httpx

        errors.append(httpx.HTTPError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


FALLBACK_ERRORS = _fallback_errors()
"""Only these fall back to the rubric grade (flagged `llm_fallback`); anything else is a bug and surfaces."""
