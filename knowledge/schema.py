"""Pure data of the knowledge base: question items and what they are made of."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_DIFFICULTY = 3
"""Difficulty (1-5) of an item whose document gives none (only 003's ⭐ cards carry one)."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(Frozen):
    file: str
    line: int = Field(ge=1)
    number: str = ""
    """The document's own number for the question ("21" for **Q21:**), empty when it has none."""

    @property
    def ref(self) -> str:
        """Short reference such as ``003:21`` (file prefix before the first '_' or '.')."""
        stem = self.file.split("_")[0].split(".")[0]
        return f"{stem}:{self.number}" if self.number else f"{stem}@{self.line}"


class KeyPoint(Frozen):
    id: str
    text: str


class FollowUp(Frozen):
    text: str
    kind: Literal["counter_question", "open"] = "counter_question"


class Pitfall(Frozen):
    text: str


class QuestionItem(Frozen):
    id: str
    question: str
    reference_answer: str = ""
    key_points: tuple[KeyPoint, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    pitfalls: tuple[Pitfall, ...] = ()
    code: tuple[str, ...] = ()
    topic: str = ""
    difficulty: int = Field(default=DEFAULT_DIFFICULTY, ge=1, le=5)
    tags: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    source: SourceRef
    related: tuple[str, ...] = ()

    @property
    def has_reference(self) -> bool:
        return bool(self.reference_answer.strip() or self.key_points)

    def content_hash(self) -> str:
        """Hash of everything that is embedded; a rebuild re-embeds an item only when it changes."""
        payload = self.model_dump_json(exclude={"related"})
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]


class KnowledgeNote(Frozen):
    """Reference knowledge that is not a question (002's knowledge points); retrieved for grading."""

    id: str
    title: str
    text: str
    topic: str = ""
    source: SourceRef

    def content_hash(self) -> str:
        return hashlib.sha1(self.model_dump_json().encode("utf-8")).hexdigest()[:16]


class LoadWarning(Frozen):
    file: str
    line: int | None = None
    message: str
    hint: str = ""

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tail = f" — {self.hint}" if self.hint else ""
        return f"{where}: {self.message}{tail}"


def make_id(prefix: str, file: str, text: str) -> str:
    """Stable id from the file name and the normalised text (content hash)."""
    norm = "".join(text.split()).lower()
    digest = hashlib.sha1(f"{file}\x00{norm}".encode()).hexdigest()[:10]
    return f"{prefix}-{digest}"
