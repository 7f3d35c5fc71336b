"""What every parser produces, and the mutable draft it fills while reading lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.parsers.note_text import IMAGE_NOTE
from knowledge.schema import (
    DEFAULT_DIFFICULTY,
    FollowUp,
    KeyPoint,
    KnowledgeNote,
    LoadWarning,
    Pitfall,
    QuestionItem,
    SourceRef,
    make_id,
)
from knowledge.text import split_claims, strip_markdown
from knowledge.topics import guess_topic


@dataclass
class ParsedDoc:
    items: list[QuestionItem] = field(default_factory=list)
    notes: list[KnowledgeNote] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)
    parser: str = ""
    skipped: list[LoadWarning] = field(default_factory=list)
    """Blocks that looked like questions or answers and were left out, with their line and why."""


@dataclass
class ItemDraft:
    question: str
    line: int
    number: str = ""
    section: str = ""
    """The document's heading above the question."""
    answer_lines: list[str] = field(default_factory=list)
    key_points: list[str] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)
    pitfalls: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    difficulty: int = DEFAULT_DIFFICULTY
    tags: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)

    def finish(self, file: str) -> QuestionItem:
        answer = "\n".join(self.answer_lines).strip()
        points = [strip_markdown(p) for p in self.key_points if p.strip()]
        if not points and answer:
            points = split_claims(strip_code_fences(answer).replace(IMAGE_NOTE, "\n"))
        question = strip_markdown(self.question).strip()
        return QuestionItem(
            id=make_id("q", file, question),
            question=question,
            reference_answer=answer,
            key_points=tuple(KeyPoint(id=f"kp{i + 1}", text=t) for i, t in enumerate(points)),
            follow_ups=tuple(FollowUp(text=strip_markdown(t)) for t in self.follow_ups),
            pitfalls=tuple(Pitfall(text=strip_markdown(t)) for t in self.pitfalls),
            code=tuple(self.code),
            topic=guess_topic(f"{question} {self.section} {' '.join(self.tags)}"),
            section=self.section,
            difficulty=self.difficulty,
            tags=tuple(dict.fromkeys(self.tags)),
            companies=tuple(dict.fromkeys(self.companies)),
            source=SourceRef(file=file, line=self.line, number=self.number),
        )


_CODE_FENCE = re.compile(r"^(```|~~~)\s*[A-Za-z+#]+[^\n]*\n.*?^\1\s*$", re.M | re.S)


def strip_code_fences(text: str) -> str:
    """Drop fenced blocks that declare a language (code); plain fences keep their text."""
    text = _CODE_FENCE.sub("", text)
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith(("```", "~~~")))


def fenced_lines(lines: list[str]) -> tuple[list[bool], int | None]:
    """Mark lines inside ``` / ~~~ fences (fence lines included).

    Returns (mask, line number of an unclosed fence or None). An unclosed fence is not honoured:
    its marker is treated as text so the rest of the document still parses.
    """
    mask = [False] * len(lines)
    open_at: int | None = None
    marker = ""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if open_at is None:
            if stripped.startswith(("```", "~~~")):
                open_at, marker = i, stripped[:3]
        elif stripped.startswith(marker) and stripped.strip("`~ ") == "":
            for j in range(open_at, i + 1):
                mask[j] = True
            open_at = None
    return mask, (open_at + 1 if open_at is not None else None)
