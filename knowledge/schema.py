"""Pure data of the knowledge base: question items and what they are made of."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.topics import Topic, topic_label

DEFAULT_DIFFICULTY = 3
"""Difficulty (1-5) of an item whose document gives none (only 003's ⭐ cards carry one)."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(Frozen):
    file: str
    line: int = Field(ge=1)
    title: str = ""
    """The document's readable title (shown instead of the file name)."""
    number: str = ""
    """The document's own number for the question ("21" for **Q21:**), empty when it has none."""

    @property
    def doc(self) -> str:
        """What a user sees for the document: its title, else the file name."""
        return self.title or self.file

    @property
    def ref(self) -> str:
        """Short reference such as ``003:21`` (file prefix before the first '_' or '.')."""
        stem = self.file.split("_")[0].split(".")[0]
        return f"{stem}:{self.number}" if self.number else f"{stem}@{self.line}"


class KeyPoint(Frozen):
    id: str
    text: str
    weight: float = Field(default=1.0, ge=0.5, le=3.0)
    aliases: tuple[str, ...] = ()
    """Other ways to say it: synonyms, the English form, a formula (authored material)."""
    probe: str = ""
    """An interviewer's follow-up leading toward the point without stating it (authored material)."""


class Slot(Frozen):
    """A value that decides correctness (4-bit, O(n²), B 初始化为 0), checked deterministically:
    an answer that states a ``wrong`` form and no ``right`` form has the point wrong."""

    id: str = Field(pattern=r"^s[0-9]+$")
    point: str = Field(pattern=r"^k[0-9]+$")
    right: tuple[str, ...] = Field(min_length=1)
    wrong: tuple[str, ...] = ()
    why: str = Field(min_length=4)


class Misconception(Frozen):
    id: str = Field(pattern=r"^m[0-9]+$")
    text: str = Field(min_length=4, max_length=160)
    """The wrong claim, as candidates state it."""
    why: str = Field(min_length=4, max_length=300)
    """Why it is wrong, and what is right (quoted in the feedback)."""
    aliases: tuple[str, ...] = ()
    point: str | None = Field(default=None, pattern=r"^k[0-9]+$")
    """The key point it contradicts, if one."""


ExemplarKind = Literal[
    "excellent",  # complete, correct, natural wording
    "own_words",  # correct, worded far from the reference
    "good",  # right but missing a minor point / shallow
    "partial",  # about half the points, or right points plus one clear error
    "one_error",  # mostly right with one clear error in the core
    "superficial",  # one vague line
    "fluent_wrong",  # fluent, reuses the reference's words for a wrong mechanism
    "wrong",  # plainly wrong
]


class Exemplar(Frozen):
    score: float = Field(ge=0, le=10)
    kind: ExemplarKind
    answer: str = Field(min_length=2, max_length=2000)


MaterialOrigin = Literal["authored", "generated", "derived"]
"""Where an item's grading material comes from: shipped and reviewed (bundled documents), written by
an LLM with ``kb enrich`` and validated, or derived from the reference text alone (no misconceptions,
no exemplars: the grader is less sure)."""


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
    slots: tuple[Slot, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()
    exemplars: tuple[Exemplar, ...] = ()
    material: MaterialOrigin = "derived"
    document_points: tuple[str, ...] = ()
    """The document's own key points (考点, 标准答 …) when authored material replaced them."""
    reference_errors: tuple[str, ...] = ()
    """Passages of the document's reference the grading material marks as wrong (knowledge/material.py)."""
    topic: Topic = Topic.OPEN
    """The canonical topic (knowledge.topics); the document's own heading is ``section``."""
    section: str = ""
    difficulty: int = Field(default=DEFAULT_DIFFICULTY, ge=1, le=5)
    tags: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    source: SourceRef
    related: tuple[str, ...] = ()

    def document_reference(self) -> str:
        """The document's own reference: its answer text, else its own key points joined (003's 考点)."""
        return self.reference_answer or "；".join(self.document_points or [k.text for k in self.key_points])

    @property
    def topic_label(self) -> str:
        return topic_label(self.topic)

    def matches_topic(self, query: str) -> bool:
        """A topic filter: the canonical topic (id, Chinese or English name), the document's section or a tag."""
        q = query.strip().lower()
        names = [self.topic.value, topic_label(self.topic, "zh"), topic_label(self.topic, "en"), self.section, *self.tags]
        return bool(q) and any(q in n.lower() for n in names)

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
    """The document's heading for the note."""
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
