"""Shape of 001: `N) question` with `- 标准答：`, `- 反问点：`, `- 坑位：` and `- 代码：` bullets."""

from __future__ import annotations

import re

from knowledge.parsers.base import ItemDraft, ParsedDoc, fenced_lines
from knowledge.text import clean_title

NAME = "standard_answer"
_QUESTION = re.compile(r"^(\d+)[)）]\s*(.+)$")
_FIELD = re.compile(r"^\s*[-*]\s*(标准答案?|参考答案|反问点|追问|坑位|易错点|代码)\s*[：:]\s*(.*)$")
_SECTION = re.compile(r"^#{1,3}\s+(.+)$")
_SECTION_PREFIX = re.compile(r"^[一二三四五六七八九十]+[、.]\s*")


def detect(text: str) -> float:
    questions = len(re.findall(r"(?m)^\d+[)）]\s*\S", text))
    answers = len(re.findall(r"(?m)^\s*[-*]\s*标准答", text))
    return 0.9 if questions >= 2 and answers >= 1 else 0.0


def parse(text: str, file: str) -> ParsedDoc:
    doc = ParsedDoc(parser=NAME)
    lines = text.splitlines()
    fenced, _ = fenced_lines(lines)
    topic = ""
    current: ItemDraft | None = None
    field = ""
    code: list[str] = []

    def close() -> None:
        nonlocal current
        if current:
            doc.items.append(current.finish(file))
        current = None

    for i, line in enumerate(lines):
        lineno = i + 1
        if fenced[i]:
            if current and field == "代码":
                if line.strip().startswith(("```", "~~~")):
                    if code:
                        current.code.append("\n".join(code))
                        code = []
                else:
                    code.append(line)
            continue
        if m := _SECTION.match(line):
            close()
            topic = _SECTION_PREFIX.sub("", clean_title(m.group(1)))
        elif m := _QUESTION.match(line):
            close()
            current = ItemDraft(question=m.group(2), line=lineno, number=m.group(1), section=topic)
            field = ""
        elif current and (m := _FIELD.match(line)):
            field, value = m.group(1), m.group(2).strip()
            if field.startswith("标准答") or field == "参考答案":
                current.answer_lines.append(value)
            elif field in ("反问点", "追问") and value:
                current.follow_ups.append(value)
            elif field in ("坑位", "易错点") and value:
                current.pitfalls.append(value)
        elif line.strip() in ("---", "***"):
            close()
        elif current and line.strip() and line.startswith((" ", "\t")) and field:
            current.answer_lines.append(line.strip())
    close()
    return doc
