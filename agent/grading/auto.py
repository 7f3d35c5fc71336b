"""AutoGrader: the offline grade first; the LLM only for answers the offline grader is unsure of.

The default when an endpoint is configured (``--grader auto``): most answers cost no call, and the
ones flagged `uncertain` get the LLM's verdict-bound grade (which itself falls back to the offline
grade, flagged `llm_fallback`, when the call fails).
"""

from __future__ import annotations

from agent.grading.model import Grade, Grader, GradingContext
from knowledge.schema import QuestionItem


class AutoGrader:
    name = "auto"

    def __init__(self, offline: Grader, llm: Grader) -> None:
        self.offline = offline
        self.llm = llm

    def grade(self, item: QuestionItem | None, answer: str, context: GradingContext) -> Grade:
        grade = self.offline.grade(item, answer, context)
        if "uncertain" not in grade.flags or "empty" in grade.flags or item is None or not context.points:
            return grade
        return self.llm.grade(item, answer, context)
