"""The examiner: a question (free text or item id) + an answer -> a Grade, with the bank's references.

Shared by batch evaluation and the interviewer, so both grade the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from agent.grading.context import build_context
from agent.grading.model import Grade, Grader, GradingContext
from agent.grading.rubric import RubricGrader
from agent.grading.vectors import preload_vectors
from knowledge.kb import KnowledgeBase
from knowledge.retrieval import Hit, MatchResult
from knowledge.schema import QuestionItem
from knowledge.text import normalize

GRADE_MATCH_MIN = 0.8
"""Match confidence needed before a bank item's reference is used to grade a free-text question."""


@dataclass(frozen=True)
class Examined:
    item: QuestionItem | None
    match: MatchResult | None
    grade: Grade


class Examiner:
    def __init__(self, kb: KnowledgeBase, grader: Grader | None = None) -> None:
        self.kb = kb
        self._grader = grader

    @cached_property
    def rubric(self) -> RubricGrader:
        items = self.kb.ensure_built().items
        preload_vectors(items, self.kb.embedder)
        return RubricGrader.for_items(items, embedder=self.kb.embedder)

    @property
    def grader(self) -> Grader:
        return self._grader or self.rubric

    @cached_property
    def by_id(self) -> dict[str, QuestionItem]:
        return self.kb.ensure_built().by_id()

    @cached_property
    def by_text(self) -> dict[str, QuestionItem]:
        return {normalize(i.question): i for i in reversed(self.kb.ensure_built().items)}

    def find(self, question: str, item_id: str | None = None) -> tuple[QuestionItem | None, MatchResult | None]:
        """The bank item a question is, with the match behind it. An exact (normalised) wording needs no
        retrieval; otherwise the hybrid matcher's hit is used only above GRADE_MATCH_MIN confidence,
        because grading against the wrong question's reference is worse than grading without one."""
        if item_id and item_id in self.by_id:
            return self.by_id[item_id], None
        exact = self.by_text.get(normalize(question))
        if exact is not None:
            hit = Hit(id=exact.id, question=exact.question, score=1.0, source=exact.source.ref)
            return exact, MatchResult(query=question, confidence=1.0, matched=True, hits=(hit,))
        match = self._search(question)
        ok = match.matched and match.hits and match.confidence >= GRADE_MATCH_MIN
        return (self.by_id[match.hits[0].id] if ok else None), match

    @lru_cache(maxsize=4096)  # noqa: B019 - the examiner lives as long as its bank
    def _search(self, question: str) -> MatchResult:
        return self.kb.search(question, k=3)

    @lru_cache(maxsize=4096)  # noqa: B019
    def _context(self, item_id: str | None) -> GradingContext:
        item = self.by_id.get(item_id) if item_id else None
        return build_context(item, self.by_id, lambda i: self.kb.references(i, k=4))

    def context(self, item: QuestionItem | None, match_confidence: float = 1.0,
                score_cap: float | None = None) -> GradingContext:
        ctx = self._context(item.id if item else None)
        if match_confidence != 1.0 or score_cap is not None:
            ctx = ctx.model_copy(update={"match_confidence": match_confidence, "score_cap": score_cap})
        return ctx

    def examine(self, question: str, answer: str, item_id: str | None = None, grader: Grader | None = None) -> Examined:
        item, match = self.find(question, item_id)
        confidence = match.confidence if match is not None else 1.0
        ctx = self.context(item, confidence)
        grade = (grader or self.grader).grade(item, answer, ctx)
        if match is not None and item is None:
            grade = grade.model_copy(update={"flags": (*grade.flags, "low_match")})
        return Examined(item=item, match=match, grade=grade)
