"""What happened in a turn, as typed events with no phrasing inside.

The engine decides and returns these; the phrasing stage (agent/phrasing.py, or a validated LLM
phraser) turns them into the interviewer's words in the session's language. Bank content (question
text, a hint's terms, the candidate's own words quoted back) travels as data, never as a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FollowUpKind = Literal["probe", "challenge", "pitfall", "counter"]
"""probe: leads toward a missed key point without stating it; challenge: questions a wrong claim the
candidate made; pitfall: a common trap the answer fell into; counter: the document's 反问点."""


@dataclass(frozen=True)
class Opened:
    total: int
    topics: tuple[str, ...]
    """Topic ids (knowledge.topics) or the user's free filter strings; empty = the whole bank."""
    backend: str
    review: bool = False
    due: int = 0
    """Review mode: how many due weak questions will be asked."""


@dataclass(frozen=True)
class QuestionAsked:
    n: int
    total: int
    item_id: str
    question: str
    topic: str
    review: bool = False


@dataclass(frozen=True)
class FollowUpAsked:
    item_id: str
    kind: FollowUpKind
    text: str
    """The probe or counter question, the pitfall, or the correction the challenge leads to (never shown)."""
    quote: str = ""
    """challenge: the candidate's own words being questioned."""


@dataclass(frozen=True)
class HintGiven:
    item_id: str
    terms: tuple[str, ...]
    cap: float


@dataclass(frozen=True)
class ClarifyAnswered:
    item_id: str
    question: str
    """What is being asked right now (the question or the pending follow-up)."""
    topic: str
    terms: tuple[tuple[str, ...], ...] = ()
    """Terms the candidate asked about, each with its other names (glossary), e.g. (RoPE, 旋转位置编码)."""


@dataclass(frozen=True)
class Skipped:
    item_id: str
    follow_up: bool
    """A follow-up was skipped (the main answer's grade stands) rather than the whole question."""


@dataclass(frozen=True)
class Wrong:
    quote: str
    """The candidate's words."""
    correction: str
    """Why it is wrong / what is right (authored material)."""


@dataclass(frozen=True)
class QuestionClosed:
    item_id: str
    question: str
    score: float
    verdict: str
    covered: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()
    """Key points still missed after the follow-ups."""
    wrong: tuple[Wrong, ...] = ()
    reference: str = ""
    skipped: bool = False
    hint_used: bool = False
    follow_ups: int = 0
    echoed: bool = False
    """A follow-up answer mostly repeated the interviewer's words and earned nothing."""


@dataclass(frozen=True)
class Closed:
    answered: int
    mean: float
    verdict: str


@dataclass(frozen=True)
class AlreadyFinished:
    pass


@dataclass(frozen=True)
class NoQuestion:
    """A command that needs an open question arrived when none is open."""


Event = Opened | QuestionAsked | FollowUpAsked | HintGiven | ClarifyAnswered | Skipped | QuestionClosed | Closed | \
    AlreadyFinished | NoQuestion


@dataclass(frozen=True)
class Message:
    """One interviewer message: what the phrasing stage made of some events."""

    kind: str
    """Turn kind: opening, question, follow_up, hint, clarify, skip, feedback, closing, notice."""
    text: str
    item_id: str | None = None
    flags: tuple[str, ...] = field(default=())
    """e.g. ``phrase_fallback`` (an LLM phrasing was rejected and the template used)."""
    must_contain: str = ""
    """Text the phrasing must carry verbatim (the follow-up question, the next question)."""
