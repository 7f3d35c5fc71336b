"""Shape of 002: a list of knowledge points (`N. **title**：text`) and a list of questions without answers.

Knowledge points become `KnowledgeNote`s (indexed as reference material for grading); the
questions become items with an empty reference, answered at grading time by retrieval.
"""

from __future__ import annotations

import re

from knowledge.parsers.base import ItemDraft, ParsedDoc
from knowledge.schema import KnowledgeNote, SourceRef, make_id
from knowledge.text import clean_title, strip_markdown

NAME = "knowledge_points"
_H3 = re.compile(r"^###\s+(?!#)(.+)$")
_H4 = re.compile(r"^####\s+(.+)$")
_NUMBERED = re.compile(r"^(\d+)\.\s+(.+?)\s*$")
_NOTE = re.compile(r"^\*\*(.+?)\*\*\s*[：:]\s*(.*)$")


def detect(text: str) -> float:
    headings = re.findall(r"(?m)^#{2,4}\s+.*$", text)
    has_points = any("知识点" in h for h in headings)
    has_questions = any("面试题" in h for h in headings)
    return 0.85 if has_points and has_questions else 0.0


def parse(text: str, file: str) -> ParsedDoc:
    doc = ParsedDoc(parser=NAME)
    mode = ""  # "points" | "questions" | ""
    topic = ""
    note: dict[str, str | int] | None = None

    def close_note() -> None:
        nonlocal note
        if note:
            title, body = str(note["title"]), str(note["text"]).strip()
            doc.notes.append(
                KnowledgeNote(
                    id=make_id("n", file, title + body),
                    title=title,
                    text=body,
                    topic=str(note["topic"]),
                    source=SourceRef(file=file, line=int(note["line"]), number=str(note["number"])),
                )
            )
        note = None

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if m := _H3.match(line):
            close_note()
            heading = clean_title(m.group(1))
            mode = "points" if "知识点" in heading else "questions" if "面试题" in heading else ""
            topic = ""
        elif m := _H4.match(line):
            close_note()
            topic = re.sub(r"^\d+\.\s*", "", clean_title(m.group(1)))
        elif mode and (m := _NUMBERED.match(line)):
            close_note()
            if mode == "points":
                body = m.group(2)
                nm = _NOTE.match(body)
                title = strip_markdown(nm.group(1)) if nm else strip_markdown(body)[:30]
                rest = nm.group(2) if nm else body
                note = {"title": title, "text": rest, "topic": topic, "line": lineno, "number": m.group(1)}
            else:
                draft = ItemDraft(question=m.group(2), line=lineno, number=m.group(1), section=topic)
                doc.items.append(draft.finish(file))
        elif note is not None and line and line != "---":
            note["text"] = f"{note['text']} {strip_markdown(line)}"
        elif line == "---":
            close_note()
    close_note()
    return doc
