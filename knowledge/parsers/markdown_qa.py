"""Generic parser for interview notes users add.

Shapes: `## N. 问题` / `### Q1: 问题` headings with answer paragraphs (004 is this shape, with a
`**回答思路：**` label), `**1. 问题**` bold lines, `1) 问题` and `1. 问题` numbered lines with the
answer below (plain or fenced), `Q:`/`A:` and `问：`/`答：` pairs, and 面试官/候选人 dialogues.

The document's primary style is chosen by counting candidate question lines of each style;
lines inside code fences never start a question. Headings that are not questions set the topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.parsers.base import ItemDraft, ParsedDoc, fenced_lines
from knowledge.schema import LoadWarning
from knowledge.text import clean_title, strip_markdown

NAME = "markdown_qa"

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBERED_Q = re.compile(r"^(?:Q\s*)?(\d{1,3})(?:\s*[.、:：)）]\s*|\s+)(\S.*)$", re.I)
_Q_LABEL = re.compile(r"^Q\s*(\d{0,3})\s*[.:：]\s*(\S.*)$", re.I)
_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*\s*[：:]?\s*$")
_PAREN = re.compile(r"^(\d{1,3})[)）]\s*(\S.*)$")
_DOT = re.compile(r"^(\d{1,3})[.、](?!\d)\s*(\S.*)$")
_QA_Q = re.compile(r"^(?:\*\*)?(?:Q|问|问题)\s*(\d{0,3})\s*[:：](?:\*\*)?\s*(.*)$", re.I)
_QA_A = re.compile(r"^(?:\*\*)?(?:A|答|回答|答案)\s*\d{0,3}\s*[:：](?:\*\*)?\s*(.*)$", re.I)
_DLG_Q = re.compile(r"^(?:\*\*)?(?:面试官|Interviewer)(?:\*\*)?\s*[:：](?:\*\*)?\s*(.+)$", re.I)
_DLG_A = re.compile(r"^(?:\*\*)?(?:候选人|应聘者|求职者|Candidate)(?:\*\*)?\s*[:：](?:\*\*)?\s*(.*)$", re.I)
_ANSWER_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:回答思路|参考答案|标准答案|满分答案|答案|解答|回答|答)\s*[:：](?:\*\*)?\s*"
)
@dataclass
class _Start:
    index: int
    question: str
    number: str = ""
    level: int = 0  # heading level; 0 when not a heading
    answer_inline: str = ""


def detect(text: str) -> float:
    return 0.1


def _heading_question(text: str) -> tuple[str, str] | None:
    text = strip_markdown(text)
    if m := _Q_LABEL.match(text):
        return m.group(1), m.group(2)
    if m := _NUMBERED_Q.match(text):
        return m.group(1), m.group(2)
    if text.endswith(("？", "?")):
        return "", text
    return None


def _candidates(lines: list[str], fenced: list[bool]) -> dict[str, list[_Start]]:
    styles: dict[str, list[_Start]] = {k: [] for k in ("heading", "qa", "dialogue", "bold", "paren", "dot")}
    for i, raw in enumerate(lines):
        if fenced[i]:
            continue
        line = raw.rstrip()
        if m := _HEADING.match(line):
            if hq := _heading_question(m.group(2)):
                styles["heading"].append(_Start(i, hq[1], hq[0], level=len(m.group(1))))
            continue
        if raw[:1] in (" ", "\t"):
            continue
        if m := _QA_Q.match(line):
            styles["qa"].append(_Start(i, m.group(2), m.group(1)))
        elif m := _DLG_Q.match(line):
            styles["dialogue"].append(_Start(i, m.group(1)))
        elif (m := _BOLD_LINE.match(line)) and (hq := _heading_question(m.group(1))) and (hq[0] or hq[1]):
            styles["bold"].append(_Start(i, hq[1], hq[0]))
        elif m := _PAREN.match(line):
            styles["paren"].append(_Start(i, m.group(2), m.group(1)))
        elif m := _DOT.match(line):
            styles["dot"].append(_Start(i, m.group(2), m.group(1)))
    return styles


def _sequential(starts: list[_Start]) -> list[_Start]:
    """Keep numbered lines that continue the question numbering (answers' own lists restart at 1)."""
    ends_q = [s for s in starts if s.question.rstrip().endswith(("？", "?"))]
    require_q = len(ends_q) >= 0.6 * len(starts) and len(ends_q) >= 2
    kept: list[_Start] = []
    last = 0
    in_answer_list = False  # an answer's own list restarted at 1 since the last question
    for s in starts:
        n = int(s.number)
        is_q = s.question.rstrip().endswith(("？", "?"))
        if not kept or (n == last + 1 and not in_answer_list) or (require_q and is_q and n > last):
            kept.append(s)
            last, in_answer_list = n, False
        elif n == 1:
            in_answer_list = True
    return kept


def _sections_not_questions(starts: list[_Start]) -> list[_Start]:
    """A numbered heading with deeper question headings under it is a section, not a question."""
    kept = []
    for k, s in enumerate(starts):
        nxt = starts[k + 1] if k + 1 < len(starts) else None
        if nxt is not None and nxt.level > s.level and not s.question.endswith(("？", "?")):
            continue
        kept.append(s)
    return kept


def parse(text: str, file: str) -> ParsedDoc:
    doc = ParsedDoc(parser=NAME)
    lines = text.splitlines()
    fenced, unclosed = fenced_lines(lines)
    if unclosed:
        doc.warnings.append(
            LoadWarning(file=file, line=unclosed, message="代码块没有闭合（缺少结尾的 ```）",
                        hint="已把它当作普通文本继续解析；请补上结尾的 ```")
        )
    styles = _candidates(lines, fenced)
    styles["heading"] = _sections_not_questions(styles["heading"])
    styles["paren"] = _sequential(styles["paren"]) if styles["paren"] else []
    styles["dot"] = _sequential(styles["dot"]) if styles["dot"] else []
    order = ["heading", "qa", "dialogue", "bold", "paren", "dot"]
    style = max(order, key=lambda k: (len(styles[k]), -order.index(k)))
    starts = styles[style]
    if not starts:
        return doc
    start_at = {s.index: s for s in starts}
    topic = ""
    current: ItemDraft | None = None
    current_level = 0
    in_question = False  # QA: lines between Q: and A: extend the question
    fence_lang = ""

    def close() -> None:
        nonlocal current
        if current:
            doc.items.append(current.finish(file))
        current = None

    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if i in start_at:
            close()
            s = start_at[i]
            current = ItemDraft(question=s.question.strip(), line=i + 1, number=s.number, section=topic)
            current_level = s.level
            in_question = style == "qa"
            continue
        if not fenced[i] and (m := _HEADING.match(line)):
            level = len(m.group(1))
            if current is None or level <= max(current_level, 1) or style != "heading":
                close()
                topic = clean_title(m.group(2))
                continue
        if current is None:
            continue
        if fenced[i]:
            stripped = line.strip()
            if stripped.startswith(("```", "~~~")):
                if not fence_lang and stripped.strip("`~ "):
                    fence_lang = stripped.strip("`~ ").lower()
                    current.answer_lines.append(line)
                    current.code.append("")
                elif fence_lang:
                    current.answer_lines.append(line)
                    fence_lang = ""
                continue
            current.answer_lines.append(line)
            if fence_lang and current.code:
                current.code[-1] = f"{current.code[-1]}\n{line}".lstrip("\n")
            continue
        if style == "qa" and (m := _QA_A.match(line)):
            in_question = False
            if m.group(1).strip():
                current.answer_lines.append(m.group(1).strip())
            continue
        if style == "dialogue":
            if m := _DLG_A.match(line):
                if m.group(1).strip():
                    current.answer_lines.append(m.group(1).strip())
                continue
            if _DLG_Q.match(line):
                continue
        if in_question and line.strip():
            current.question = f"{current.question} {line.strip()}"
            continue
        if line.strip() in ("---", "***", "___"):
            continue
        if not current.answer_lines and not line.strip():
            continue
        current.answer_lines.append(_ANSWER_LABEL.sub("", line) if not current.answer_lines else line)
    close()
    for item_index, item in enumerate(doc.items):
        if item.code and any(not c for c in item.code):
            doc.items[item_index] = item.model_copy(update={"code": tuple(c for c in item.code if c)})
    return doc

