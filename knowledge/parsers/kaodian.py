"""Shape of 000: `章节重点 N：topic`, `面试考点 N：question`, `满分答案：answer`."""

from __future__ import annotations

import re

from knowledge.parsers.base import ItemDraft, ParsedDoc
from knowledge.text import clean_title

NAME = "kaodian"
_QUESTION = re.compile(r"^\s*面试考点\s*(\d+)\s*[：:]\s*(.+)$")
_ANSWER = re.compile(r"^\s*(?:满分答案|参考答案|答案)\s*[：:]\s*(.*)$")
_TOPIC = re.compile(r"^\s*章节重点\s*\d*\s*[：:]\s*(.+)$")


def detect(text: str) -> float:
    questions = len(re.findall(r"(?m)^\s*面试考点\s*\d+\s*[：:]", text))
    answers = len(re.findall(r"(?m)^\s*满分答案\s*[：:]", text))
    return 0.95 if questions >= 2 and answers >= 1 else 0.0


def parse(text: str, file: str) -> ParsedDoc:
    doc = ParsedDoc(parser=NAME)
    topic = ""
    current: ItemDraft | None = None
    in_answer = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if m := _TOPIC.match(line):
            topic = clean_title(m.group(1))
            in_answer = False
        elif m := _QUESTION.match(line):
            if current:
                doc.items.append(current.finish(file))
            current = ItemDraft(question=m.group(2), line=lineno, number=m.group(1), section=topic)
            in_answer = False
        elif current and (m := _ANSWER.match(line)):
            current.answer_lines.append(m.group(1))
            in_answer = True
        elif current and in_answer and line.strip():
            current.answer_lines.append(line.strip())
        elif not line.strip():
            in_answer = False
    if current:
        doc.items.append(current.finish(file))
    return doc
