"""Token-aware chunks that follow question boundaries and point back to item ids."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from knowledge.schema import KnowledgeNote, QuestionItem
from knowledge.tokens import count_tokens

MAX_CHUNK_TOKENS = 320
"""cl100k tokens per chunk; e5-small reads 512 of its own tokens, and Chinese runs ~1 cl100k token a character."""


class Chunk(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    owner_id: str
    kind: str  # "question" | "note"
    text: str
    file: str
    line: int
    topic: str
    content_hash: str


def item_body(item: QuestionItem) -> str:
    if item.reference_answer.strip():
        return item.reference_answer.strip()
    return "\n".join(f"- {kp.text}" for kp in item.key_points)


def chunk_item(item: QuestionItem, max_tokens: int = MAX_CHUNK_TOKENS) -> list[Chunk]:
    """A question with its reference; a long reference is split on sentences, each piece keeping the question."""
    body = item_body(item)
    extra = [f"追问：{f.text}" for f in item.follow_ups] + [f"坑位：{p.text}" for p in item.pitfalls]
    text = "\n".join([item.question, body, *extra]).strip()
    pieces = _split_tokens(text, item.question, max_tokens)
    h = item.content_hash()
    return [
        Chunk(id=f"{item.id}#{n}", owner_id=item.id, kind="question", text=piece, file=item.source.file,
              line=item.source.line, topic=item.topic, content_hash=h)
        for n, piece in enumerate(pieces)
    ]


def chunk_note(note: KnowledgeNote, max_tokens: int = MAX_CHUNK_TOKENS) -> list[Chunk]:
    text = f"{note.title}：{note.text}"
    h = note.content_hash()
    return [
        Chunk(id=f"{note.id}#{n}", owner_id=note.id, kind="note", text=piece, file=note.source.file,
              line=note.source.line, topic=note.topic, content_hash=h)
        for n, piece in enumerate(_split_tokens(text, note.title, max_tokens))
    ]


def _split_tokens(text: str, heading: str, max_tokens: int) -> list[str]:
    if count_tokens(text) <= max_tokens:
        return [text]
    sentences = [s for s in re.split(r"(?<=[。！？!?；;\n])", text) if s.strip()]
    chunks: list[str] = []
    current = ""
    budget = max_tokens - count_tokens(heading) - 1
    for s in sentences:
        while count_tokens(s) > budget:  # one enormous sentence: hard cut
            cut = len(s) * budget // max(count_tokens(s), 1)
            chunks.append(f"{heading}\n{s[:cut]}")
            s = s[cut:]
        if current and count_tokens(current + s) > budget:
            chunks.append(current)
            current = f"{heading}\n"
        current = (current or "") + s
    if current.strip():
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]
