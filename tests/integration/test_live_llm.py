"""Opt-in: a real remote endpoint. Deselected by default (pytest -m live runs it, with OPENAI_API_KEY set)."""

from __future__ import annotations

import os

import pytest

from agent.llm import check_endpoint
from agent.settings import AgentSettings

pytestmark = pytest.mark.live


def test_live_endpoint_grades_an_answer(home_copy) -> None:  # type: ignore[no-untyped-def]
    assert os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"), "set OPENAI_API_KEY to run live tests"
    settings = AgentSettings(home=home_copy)
    ok, message = check_endpoint(settings)
    assert ok, message
    from agent.examiner import Examiner
    from agent.grading.llm import LLMGrader
    from agent.llm import make_chat_model
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    ex = Examiner(KnowledgeBase(KnowledgeSettings(home=home_copy)))
    grader = LLMGrader(make_chat_model(settings), ex.rubric, model_name=settings.llm_model)
    good = ex.examine("为什么要除以 √d？", "点积方差随维度线性增长，softmax 会饱和、梯度变小，除以 √d 把方差拉回 1。", grader=grader)
    bad = ex.examine("为什么要除以 √d？", "为了让计算更快。", grader=grader)
    assert "llm_fallback" not in good.grade.flags
    assert good.grade.score > bad.grade.score
