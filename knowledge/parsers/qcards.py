"""Shape of 003: `**QN: question**` cards with `难度：⭐⭐`, `标签：#a #b`, `公司：…` and `**考点**` bullets."""

from __future__ import annotations

import re

from knowledge.parsers.base import ItemDraft, ParsedDoc
from knowledge.text import clean_title

NAME = "qcards"
_CARD = re.compile(r"^\*\*Q(\d+)\s*[:：]\s*(.+?)\*\*\s*$")
_SECTION = re.compile(r"^##\s+(.+)$")
_META = re.compile(r"^\s*[-*]\s*(难度|标签|公司)\s*[：:]\s*(.*)$")
_POINTS = re.compile(r"^\*\*(考点|要点|答题要点)\*\*\s*[：:]?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*]|\d+[.)、）])\s+(.+)$")
_PART = re.compile(r"^第[一二三四五六七八九十\d]+部分\s*[：:]\s*")


def detect(text: str) -> float:
    cards = len(re.findall(r"(?m)^\*\*Q\d+\s*[:：]", text))
    meta = len(re.findall(r"(?m)^\s*[-*]\s*(?:难度|考点)|^\*\*考点\*\*", text))
    return 0.95 if cards >= 2 and meta >= 1 else 0.0


def parse_companies(value: str) -> tuple[list[str], list[str]]:
    """'字节、阿里（高频）' -> (['字节', '阿里'], ['高频'])."""
    notes = re.findall(r"[（(]([^）)]*)[)）]", value)
    bare = re.sub(r"[（(][^）)]*[)）]", "", value)
    companies = [c.strip() for c in re.split(r"[、,，/]", bare) if c.strip()]
    return companies, [n.strip() for n in notes if n.strip()]


def parse(text: str, file: str) -> ParsedDoc:
    doc = ParsedDoc(parser=NAME)
    topic = ""
    current: ItemDraft | None = None
    in_points = False

    def close() -> None:
        nonlocal current
        if current:
            doc.items.append(current.finish(file))
        current = None

    for lineno, line in enumerate(text.splitlines(), start=1):
        if m := _SECTION.match(line):
            close()
            topic = _PART.sub("", clean_title(m.group(1)))
            in_points = False
        elif m := _CARD.match(line):
            close()
            current = ItemDraft(question=m.group(2), line=lineno, number=m.group(1), section=topic)
            in_points = False
        elif current is None:
            continue
        elif m := _META.match(line):
            key, value = m.group(1), m.group(2).strip()
            if key == "难度":
                stars = value.count("⭐") or value.count("★")
                digits = re.findall(r"\d", value)
                level = stars or (int(digits[0]) if digits else 0)
                if level:
                    current.difficulty = max(1, min(5, level))
            elif key == "标签":
                current.tags.extend(t for t in re.split(r"[#\s,，]+", value) if t)
            else:
                companies, notes = parse_companies(value)
                current.companies.extend(companies)
                current.tags.extend(notes)
        elif _POINTS.match(line):
            in_points = True
        elif in_points and (m := _BULLET.match(line)):
            current.key_points.append(m.group(1).strip())
        elif line.strip() == "---":
            in_points = False
    close()
    return doc
