"""Construct the facades from settings (entry points only) — shared by the CLI and the web app."""

from __future__ import annotations

from functools import lru_cache

from agent.interviewer import Interviewer
from agent.settings import AgentSettings
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings


@lru_cache(maxsize=1)
def interviewer() -> Interviewer:
    return Interviewer(KnowledgeBase(KnowledgeSettings()), AgentSettings())


def fresh_interviewer() -> Interviewer:
    interviewer.cache_clear()
    return interviewer()
