"""RubricGrader v2: the offline, deterministic examiner (eval/datasets/RUBRIC.md turned into code).

Steps, as a careful human grades: strip text aimed at the grader (flag `injection`; the score
is the lower of the grades with and without it, so an injection can never raise it) → empty or
"不知道" → 0 → features from the item's grading material (key points with aliases, misconceptions
per claim, slots, graded exemplars, cues; agent/grading/features.py) → the calibrated model's score
and confidence (`uncertain` below it) → a stated misconception, a wrong slot value or a clause of the reference
said the other way round (flagged `contradiction` too) caps the score (core 3.5, elsewhere 6.0), flagged
`misconception`, quoted and corrected in the feedback → caps for
keyword lists, short answers, echoes, pitfalls → off-topic → feedback in Chinese with the sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from agent.grading.calibrated import CORE_CAP, SIDE_CAP, ModelSet, load_models
from agent.grading.coverage import IdfTable, canonical_tokens, point_coverage
from agent.grading.features import Features, PointView, compute
from agent.grading.feedback import write_feedback
from agent.grading.model import Finding, Grade, GradingContext, KeyPointResult, verdict_for
from agent.grading.reference import reference_units
from agent.grading.relevance import RelevanceIndex
from agent.grading.signals import (
    MAX_GRADED_CHARS,
    cjk_ratio,
    content_chars,
    has_depth,
    is_empty,
    segments,
    strip_injection,
)
from knowledge.embeddings import Embedder
from knowledge.schema import QuestionItem

VERSION = "rubric-2.4"


@dataclass(frozen=True)
class RubricParams:
    """Rule constants from RUBRIC.md (not fitted): caps and form limits. The score itself comes from the
    calibrated model (agent/grading/data/grader_model.json)."""

    core_wrong_cap: float = CORE_CAP
    """A wrong core mechanism caps the score (RUBRIC.md step 5)."""
    side_wrong_cap: float = SIDE_CAP
    """A clear error outside the core mechanism."""
    keyword_cap: float = 4.0
    short_chars: int = 16
    short_cap: float = 4.5
    brief_chars: int = 40
    brief_cap: float = 6.5
    echo_at: float = 0.75
    echo_cap: float = 1.5
    off_topic_cov: float = 0.12
    off_topic_question: float = 0.2
    off_topic_knn_sim: float = 0.25
    off_topic_score: float = 0.5
    off_topic_relevance: float = 0.4
    """An answer whose own question scores under this share of the best-matching question's BM25 score…"""
    off_topic_relevance_cov: float = 0.3
    """…and that covers less than this of its own points is about another question (capped as off-topic)."""
    off_topic_relevance_cap: float = 0.5
    """RUBRIC step 1: 答非所问 0–1 (the middle, as ``off_topic_score``)."""
    no_reference_confidence: float = 0.3
    restated_recall: float = 0.9
    """An answer that holds this share of the reference's units…"""
    restated_clause_min: float = 0.8
    """…states every clause of it at least this well…"""
    restated_verbatim: float = 0.9
    """…in the reference's own sentences (this share of the answer's claims, by length, are word for word in it:
    a bag of words cannot tell "训练时启用，推理时关闭" from "训练时关闭，推理时启用") restates the reference…"""
    restated_min_units: int = 12
    """…(a reference of at least this many units: a one-line stub is not an answer to grade by)…"""
    restated_floor: float = 8.0
    """…and, when nothing wrong is found in it, earns the reference's grade (RUBRIC step 4): the document's own
    answer is its full-marks answer. Flagged `reference_restated`; the form caps (brief, echo …) still apply."""
    fallback_curve: tuple[tuple[float, float], ...] = ((0.0, 1.0), (0.25, 3.0), (0.5, 6.0), (0.75, 7.5), (1.0, 8.5))
    """Coverage → score when no trained model is available (flagged `uncertain`)."""


class RubricGrader:
    name = "rubric"

    def __init__(self, idf: IdfTable, embedder: Embedder | None = None, params: RubricParams | None = None,
                 models: ModelSet | None = None, relevance: RelevanceIndex | None = None) -> None:
        self.idf = idf
        self.embedder = embedder
        self.params = params or RubricParams()
        self.models = models if models is not None else load_models()
        self.relevance = relevance

    @classmethod
    def for_items(cls, items: Sequence[QuestionItem], embedder: Embedder | None = None,
                  params: RubricParams | None = None, models: ModelSet | None = None) -> RubricGrader:
        docs: list[str] = []
        for i in items:
            docs.append(i.question)
            docs.extend(kp.text for kp in i.key_points)
        return cls(IdfTable(docs), embedder, params, models, RelevanceIndex(items) if items else None)

    # ------------------------------------------------------------------------------------------
    def grade(self, item: QuestionItem | None, answer: str, context: GradingContext) -> Grade:
        flags: list[str] = []
        text = answer or ""
        if len(text) > MAX_GRADED_CHARS:
            text = text[:MAX_GRADED_CHARS]
            flags.append("truncated")
        clean, injected = strip_injection(text)
        if injected:
            flags.append("injection")
            with_injection = self._grade_text(item, text, context, [])
            grade = self._grade_text(item, clean, context, flags)
            if with_injection.score < grade.score:
                grade = grade.model_copy(update={"score": with_injection.score, "verdict": with_injection.verdict})
            return grade
        return self._grade_text(item, clean, context, flags)

    def features(self, item: QuestionItem | None, answer: str, ctx: GradingContext,
                 exclude_exemplar: str | None = None) -> Features:
        rel = self.relevance.relevance(item.id, answer) if self.relevance is not None and item is not None else None
        return compute(item.question if item else "", answer, ctx, self.idf, self.embedder, exclude_exemplar, rel)

    def _grade_text(self, item: QuestionItem | None, answer: str, ctx: GradingContext, flags: list[str]) -> Grade:
        p = self.params
        flags = list(flags)
        question = item.question if item else ""
        confidence = ctx.match_confidence
        if not ctx.points:
            flags.append("no_reference")
            confidence = min(confidence, p.no_reference_confidence)
        elif ctx.borrowed:
            confidence = min(confidence, 0.7)
        if ctx.points and ctx.material == "derived":
            flags.append("derived_material")
        if is_empty(answer):
            flags.append("empty")
            return self._finish(0.0, [self._missed(pt) for pt in ctx.points], [], flags, ctx, item, confidence)
        if cjk_ratio(answer) < 0.3:
            flags.append("non_chinese")
        f = self.features(item, answer, ctx)
        v = f.values
        results = [self._point_result(pv, answer) for pv in f.points]
        question_tokens = canonical_tokens(question) if question else frozenset()
        if not ctx.points:
            score = self._no_reference_score(answer, question_tokens, canonical_tokens(answer))
            wrong: list[Finding] = []
        else:
            model = self.models.for_material(ctx.material) if self.models else None
            if model is None:
                score = _interp(v.get("coverage", 0.0), p.fallback_curve)
                flags.append("uncertain")
                confidence = min(confidence, 0.4)
                threshold, cap_at = 0.6, 1.01
            else:
                score = model.predict(v)
                error = model.expected_error(v, score)
                confidence = min(confidence, max(0.0, 1.0 - error / 4))
                if error >= model.uncertain_error:
                    flags.append("uncertain")
                threshold, cap_at = model.misconception_at, model.misconception_cap_at
            wrong = self._wrong(f, threshold, answer)
            if f.conflicts:
                flags.append("contradiction")
            if wrong:
                flags.append("misconception")
                capping = [w for w in wrong if w.slot or v.get("mis_strength", 0.0) >= cap_at]
                if capping:
                    score = min(score, p.core_wrong_cap if any(w.core for w in capping) else p.side_wrong_cap)
                wrong_points = {w.point for w in wrong if w.point}
                results = [r.model_copy(update={"verdict": "missed", "evidence": ""}) if r.id.split("/")[-1] in wrong_points
                           else r for r in results]
            elif restates_reference(f, ctx, question, p) and score < p.restated_floor:
                score = p.restated_floor
                flags = [fl for fl in flags if fl != "uncertain"] + ["reference_restated"]
                confidence = max(confidence, min(ctx.match_confidence, 0.9))
        answer_tokens, spans = canonical_tokens(answer), segments(answer)
        pitfalls = [pf for pf in ctx.pitfalls
                    if point_coverage(pf, answer, answer_tokens, question_tokens, self.idf, spans).score >= 0.6]
        if pitfalls:
            flags.append("pitfall")
            score = min(score, p.core_wrong_cap)
        if v.get("keyword_list"):
            flags.append("keyword_list")
            score = min(score, p.keyword_cap)
        chars = content_chars(answer)
        if chars < p.short_chars:
            flags.append("superficial")
            score = min(score, p.short_cap)
        elif chars < p.brief_chars:
            score = min(score, p.brief_cap)
        if v.get("echo", 0.0) >= p.echo_at:
            flags.append("echo")
            score = min(score, p.echo_cap)
        q_overlap = len(question_tokens & answer_tokens) / max(len(question_tokens), 1) if question_tokens else 1.0
        if (ctx.points and v.get("coverage_soft", 0.0) < p.off_topic_cov and q_overlap < p.off_topic_question
                and v.get("knn_sim", 0.0) < p.off_topic_knn_sim):
            flags.append("off_topic")
            score = min(score, p.off_topic_score)
        elif (ctx.points and "non_chinese" not in flags and v.get("relevance", 1.0) < p.off_topic_relevance
              and v.get("coverage_soft", 0.0) < p.off_topic_relevance_cov):
            flags.append("off_topic")
            score = min(score, p.off_topic_relevance_cap)
        if ctx.score_cap is not None:
            score = min(score, ctx.score_cap)
            flags.append("hint_used")
        return self._finish(score, results, pitfalls, flags, ctx, item, confidence, wrong)

    def _wrong(self, f: Features, threshold: float, answer: str) -> list[Finding]:
        """Misconceptions stated at or above the trained strength, and slots given a wrong value."""
        out = [Finding(text=answer[h.span[0]:h.span[1]], claim=h.misconception.text, why=h.misconception.why,
                       point=h.misconception.point, core=h.core)
               for h in f.misconceptions if h.strength >= threshold]
        for c in f.conflicts:
            out.append(Finding(text=answer[c.span[0]:c.span[1]], claim=f"与参考答案相反（{c.why}）",
                               why=f"参考答案：{c.clause}", point=c.point, core=c.core, slot=True))
        top = max((pv.point.weight for pv in f.points), default=1.0)
        weight = {pv.point.id.split("/")[-1]: pv.point.weight for pv in f.points}
        for s in f.slots:
            if s.wrong and s.span is not None:
                out.append(Finding(text=answer[s.span[0]:s.span[1]], claim=s.slot.wrong[0] if s.slot.wrong else "",
                                   why=s.slot.why, point=s.slot.point, core=weight.get(s.slot.point, 1.0) >= top,
                                   slot=True))
        return out

    @staticmethod
    def _point_result(pv: PointView, answer: str) -> KeyPointResult:
        verdict = "covered" if pv.coverage >= 0.5 else "partial" if pv.coverage >= 0.25 else "missed"
        evidence = answer[pv.evidence[0]:pv.evidence[1]] if pv.evidence and verdict != "missed" else ""
        return KeyPointResult(id=pv.point.id, text=pv.point.text, verdict=verdict, evidence=evidence,
                              source=pv.point.source)

    def _no_reference_score(self, answer: str, q_tokens: frozenset[str], a_tokens: frozenset[str]) -> float:
        """No reference to check facts against: a rough, low-confidence estimate from the answer's form —
        substance (length), engagement with the question's words, and depth markers. Flagged `no_reference`."""
        overlap = len(q_tokens & a_tokens) / max(len(q_tokens), 1) if q_tokens else 0.5
        size = min(content_chars(answer) / 150, 1.0)
        return round(2.5 + 3.5 * size + 1.0 * min(overlap * 2, 1.0) + (1.0 if has_depth(answer) else 0.0), 1)

    @staticmethod
    def _missed(pt: object) -> KeyPointResult:
        return KeyPointResult(id=pt.id, text=pt.text, verdict="missed", source=pt.source)  # type: ignore[attr-defined]

    def _finish(self, score: float, results: list[KeyPointResult], pitfalls: Iterable[str], flags: list[str],
                ctx: GradingContext, item: QuestionItem | None, confidence: float,
                wrong: Sequence[Finding] = ()) -> Grade:
        score = round(min(10.0, max(0.0, score)), 1)
        flags = list(dict.fromkeys(flags))
        grade = Grade(score=score, verdict=verdict_for(score), key_points=tuple(results), pitfalls_hit=tuple(pitfalls),
                      flags=tuple(flags), grader=self.name, grader_version=VERSION, confidence=round(confidence, 2),
                      item_id=item.id if item else None, references=ctx.sources, misconceptions=tuple(wrong))
        return grade.model_copy(update={"feedback": write_feedback(grade, item)})


def restates_reference(f: Features, ctx: GradingContext, question: str, p: RubricParams) -> bool:
    """The answer is the item's own reference, said again: its reference features (agent/grading/reference.py's
    unit overlap) and the share of its claims word for word in it. Not for retrieved passages or a reference the
    material marks wrong in places."""
    if (ctx.retrieved or ctx.reference_errors or not ctx.reference_text
            or reference_units(ctx.reference_text, question) < p.restated_min_units):
        return False
    v = f.values
    return (v["ref_recall"] >= p.restated_recall and v["ref_clause_min"] >= p.restated_clause_min
            and f.verbatim_share >= p.restated_verbatim)


def _interp(x: float, curve: tuple[tuple[float, float], ...]) -> float:
    xs, ys = zip(*curve, strict=True)
    return float(np.interp(x, xs, ys))
