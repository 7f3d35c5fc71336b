"""Pure data of an interview: configuration, turns, per-question records, session state, report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.grading.model import Grade

Role = Literal["interviewer", "candidate"]
TurnKind = Literal["opening", "question", "follow_up", "answer", "hint", "clarify", "feedback", "skip", "closing", "command",
                   "notice"]
FollowUpKind = Literal["probe", "challenge", "pitfall", "counter", "missed"]
"""``missed`` is the pre-redesign name of ``probe`` (kept so old sessions still load)."""

HINT_SCORE_CAP = 7.0
"""A question answered after asking for a hint scores at most this much (documented in README)."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class InterviewConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    topics: tuple[str, ...] = ()
    """Topic/section/tag substrings to draw from; empty = the whole bank."""
    difficulty: tuple[int, int] = (1, 5)
    companies: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    n_questions: int = Field(default=5, ge=1, le=50)
    follow_up_budget: int = Field(default=1, ge=0, le=3)
    language: Literal["zh", "en"] = "zh"
    review: bool = False
    seed: int | None = None
    """Question order; None = a fresh random order per session (derived from the session id)."""


class Turn(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    kind: TurnKind
    text: str
    item_id: str | None = None
    grade: Grade | None = None
    flags: tuple[str, ...] = ()
    """How the message was made, e.g. ``phrase_fallback`` / ``agent_no_tool`` (interviewer turns)."""
    at: str = Field(default_factory=now_iso)


class FollowUpPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: FollowUpKind
    text: str
    """What the interviewer asks (probe / counter question / pitfall); for a challenge, the correction."""
    targets: tuple[str, ...]
    """The reference points the follow-up answer is graded against (empty for a counter question)."""
    quote: str = ""
    """challenge: the candidate's words being questioned."""


class FollowUpRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan: FollowUpPlan
    grade: Grade | None = None


class QuestionRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: str
    question: str
    topic: str
    difficulty: int
    topic_id: str = ""
    asked_text: str
    grade: Grade | None = None
    follow_ups: tuple[FollowUpRecord, ...] = ()
    hint_used: bool = False
    skipped: bool = False
    final_score: float | None = None


class SessionState(BaseModel):
    """Everything needed to continue an interview; checkpointed after every turn."""

    model_config = ConfigDict(frozen=True)

    id: str
    config: InterviewConfig
    backend: str = "离线考官"
    status: Literal["active", "finished"] = "active"
    records: tuple[QuestionRecord, ...] = ()
    turns: tuple[Turn, ...] = ()
    pending_follow_up: FollowUpPlan | None = None
    level: int = 3
    """Current target difficulty (adaptive)."""
    priority: tuple[str, ...] = ()
    """Review mode: the due weak questions, in the order they are asked."""
    avoid: tuple[str, ...] = ()
    """Questions asked in recent sessions, avoided while others remain."""
    created_at: str = Field(default_factory=now_iso)
    updated_at: str = Field(default_factory=now_iso)

    @property
    def current(self) -> QuestionRecord | None:
        if self.status != "active" or not self.records:
            return None
        last = self.records[-1]
        return last if last.final_score is None else None

    @property
    def asked_ids(self) -> set[str]:
        return {r.item_id for r in self.records}

    @property
    def last_interviewer_message(self) -> str:
        return next((t.text for t in reversed(self.turns) if t.role == "interviewer"), "")


class QuestionSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: str
    question: str
    topic: str
    score: float
    """The question's one final score (main answer + follow-ups, see agent.policy.final_score)."""
    verdict: str
    missed: tuple[str, ...]
    """Key points still missed after the follow-ups."""
    follow_ups: int
    hint_used: bool
    skipped: bool
    references: tuple[str, ...]
    covered: tuple[str, ...] = ()
    wrong: tuple[str, ...] = ()
    """Wrong claims quoted from the answer, each with its correction."""
    document: str = ""
    """The title of the document the question comes from."""


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)

    session_id: str
    created_at: str
    finished: bool
    backend: str
    language: str = "zh"
    answered: int
    mean_score: float
    verdict: str
    per_topic: dict[str, float]
    questions: tuple[QuestionSummary, ...]
    strengths: tuple[str, ...]
    to_study: tuple[str, ...]
