"""RubricGrader: the offline, deterministic examiner (eval/datasets/RUBRIC.md turned into code).

Steps, as a careful human grades: strip text aimed at the grader (flag `injection`; the score
is the lower of the grades with and without it, so an injection can never raise it) → empty or
"不知道" → 0 → judge every reference key point covered / partial / missed with a verbatim
evidence span → map weighted coverage to a base score → depth bonus → caps for keyword lists,
short answers, pitfalls and contradictions → off-topic → feedback in Chinese with the sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from agent.grading.coverage import IdfTable, canonical_tokens, point_coverage
from agent.grading.feedback import write_feedback
from agent.grading.model import Grade, GradingContext, KeyPointResult, verdict_for
from agent.grading.signals import (
    MAX_GRADED_CHARS,
    cjk_ratio,
    content_chars,
    has_depth,
    is_empty,
    is_keyword_list,
    segments,
    strip_injection,
)
from knowledge.embeddings import Embedder
from knowledge.schema import QuestionItem

VERSION = "rubric-1.0"


@dataclass(frozen=True)
class RubricParams:
    covered_at: float = 0.45
    partial_at: float = 0.2
    main_point_weight: float = 1.0
    curve: tuple[tuple[float, float], ...] = ((0.0, 1.0), (0.25, 3.0), (0.5, 7.0), (0.75, 7.9), (1.0, 8.8))
    """Weighted key-point coverage -> base score (fitted on the dev split of eval/datasets/gold.jsonl)."""
    depth_bonus: float = 0.5
    long_depth_bonus: float = 1.0
    long_chars: int = 150
    keyword_base: float = 1.5
    keyword_span: float = 2.0
    short_chars: int = 16
    short_cap: float = 4.5
    brief_chars: int = 40
    brief_cap: float = 6.5
    pitfall_at: float = 0.6
    wrong_cap: float = 3.5
    off_topic_cov: float = 0.12
    off_topic_question: float = 0.2
    off_topic_score: float = 0.5
    dense_covered: float = 0.845
    dense_partial: float = 0.82
    no_reference_confidence: float = 0.3


class RubricGrader:
    name = "rubric"

    def __init__(self, idf: IdfTable, embedder: Embedder | None = None, params: RubricParams | None = None) -> None:
        self.idf = idf
        self.embedder = embedder
        self.params = params or RubricParams()

    @classmethod
    def for_items(cls, items: Sequence[QuestionItem], embedder: Embedder | None = None,
                  params: RubricParams | None = None) -> RubricGrader:
        docs: list[str] = []
        for i in items:
            docs.append(i.question)
            docs.extend(kp.text for kp in i.key_points)
        return cls(IdfTable(docs), embedder, params)

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
        if is_empty(answer):
            flags.append("empty")
            return self._finish(0.0, [self._missed(pt) for pt in ctx.points], [], flags, ctx, item, answer, confidence)
        if cjk_ratio(answer) < 0.3:
            flags.append("non_chinese")
        answer_tokens = canonical_tokens(answer)
        question_tokens = canonical_tokens(question) if question else frozenset()
        spans = segments(answer)
        dense = self._dense(answer, ctx) if "non_chinese" in flags and self.embedder else None
        results: list[KeyPointResult] = []
        covs: list[float] = []
        for n, pt in enumerate(ctx.points):
            cov = point_coverage(pt.text, answer, answer_tokens, question_tokens, self.idf, spans)
            for alt in pt.alternates:
                if cov.score >= p.covered_at:
                    break
                if _same_point(pt.text, alt, question_tokens):
                    alt_cov = point_coverage(alt, answer, answer_tokens, question_tokens, self.idf, spans)
                    if alt_cov.score > cov.score:
                        cov = alt_cov
            score = cov.score
            if dense is not None:
                d = float(dense[n])
                score = max(score, 1.0 if d >= p.dense_covered else 0.5 if d >= p.dense_partial else 0.0)
            verdict = "covered" if score >= p.covered_at else "partial" if score >= p.partial_at else "missed"
            evidence = answer[cov.evidence[0]:cov.evidence[1]] if cov.evidence and verdict != "missed" else ""
            results.append(KeyPointResult(id=pt.id, text=pt.text, verdict=verdict, evidence=evidence, source=pt.source))
            covs.append(1.0 if verdict == "covered" else 0.5 if verdict == "partial" else 0.0)
        weights = [p.main_point_weight if n == 0 else 1.0 for n in range(len(covs))] or [1.0]
        coverage = float(np.dot(covs, weights[: len(covs)]) / sum(weights[: len(covs)])) if covs else 0.0
        form = self._no_reference_score(answer, question_tokens, answer_tokens)
        if not ctx.points:
            score = form
        elif ctx.retrieved:
            score = 0.5 * _interp(coverage, p.curve) + 0.5 * form
        else:
            score = _interp(coverage, p.curve)
        if ctx.points and coverage >= 0.75 and has_depth(answer) and content_chars(answer) >= 60:
            score += p.long_depth_bonus if content_chars(answer) >= p.long_chars else p.depth_bonus
        pitfalls = [pf for pf in ctx.pitfalls
                    if point_coverage(pf, answer, answer_tokens, question_tokens, self.idf, spans).score >= p.pitfall_at]
        if pitfalls:
            flags.append("pitfall")
            score = min(score, p.wrong_cap)
        if is_keyword_list(answer):
            flags.append("keyword_list")
            score = p.keyword_base + p.keyword_span * coverage
        chars = content_chars(answer)
        if chars < p.short_chars:
            flags.append("superficial")
            score = min(score, p.short_cap)
        elif chars < p.brief_chars:
            score = min(score, p.brief_cap)
        q_overlap = len(question_tokens & answer_tokens) / max(len(question_tokens), 1) if question_tokens else 1.0
        if ctx.points and coverage < p.off_topic_cov and q_overlap < p.off_topic_question:
            flags.append("off_topic")
            score = min(score, p.off_topic_score)
        if ctx.score_cap is not None:
            score = min(score, ctx.score_cap)
            flags.append("hint_used")
        return self._finish(score, results, pitfalls, flags, ctx, item, answer, confidence)

    def _no_reference_score(self, answer: str, q_tokens: frozenset[str], a_tokens: frozenset[str]) -> float:
        """No reference to check facts against: a rough, low-confidence estimate from the answer's form —
        substance (length), engagement with the question's words, and depth markers. Flagged `no_reference`."""
        overlap = len(q_tokens & a_tokens) / max(len(q_tokens), 1) if q_tokens else 0.5
        size = min(content_chars(answer) / 150, 1.0)
        return round(2.5 + 3.5 * size + 1.0 * min(overlap * 2, 1.0) + (1.0 if has_depth(answer) else 0.0), 1)

    def _dense(self, answer: str, ctx: GradingContext) -> np.ndarray | None:
        if not self.embedder or not ctx.points:
            return None
        words = re.findall(r"[A-Za-z]{2,}", re.sub(r"<[^>]*>", " ", answer))
        if len(words) < 5:  # e5 similarity of very short or markup-only text is inflated (0.84–0.87 to anything)
            return None
        vecs = self.embedder.passages([answer[:600], *[pt.text for pt in ctx.points]])
        return vecs[1:] @ vecs[0]

    @staticmethod
    def _missed(pt: object) -> KeyPointResult:
        return KeyPointResult(id=pt.id, text=pt.text, verdict="missed", source=pt.source)  # type: ignore[attr-defined]

    def _finish(self, score: float, results: list[KeyPointResult], pitfalls: Iterable[str], flags: list[str],
                ctx: GradingContext, item: QuestionItem | None, answer: str, confidence: float) -> Grade:
        score = round(min(10.0, max(0.0, score)), 1)
        flags = list(dict.fromkeys(flags))
        grade = Grade(score=score, verdict=verdict_for(score), key_points=tuple(results), pitfalls_hit=tuple(pitfalls),
                      flags=tuple(flags), grader=self.name, grader_version=VERSION, confidence=round(confidence, 2),
                      item_id=item.id if item else None, references=ctx.sources)
        return grade.model_copy(update={"feedback": write_feedback(grade, item)})


def _same_point(a: str, b: str, question_tokens: frozenset[str]) -> bool:
    """Two key points say the same thing when they share most of their specific (non-question) words."""
    ta, tb = canonical_tokens(a) - question_tokens, canonical_tokens(b) - question_tokens
    if not ta or not tb:
        return False
    return len(ta & tb) / min(len(ta), len(tb)) >= 0.34


def _interp(x: float, curve: tuple[tuple[float, float], ...]) -> float:
    xs, ys = zip(*curve, strict=True)
    return float(np.interp(x, xs, ys))
