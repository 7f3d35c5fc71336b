"""Generic parser for interview notes users add.

Shapes: `## N. 问题` / `### Q1: 问题` headings with answer paragraphs (004 is this shape, with a
`**回答思路：**` label), `**1. 问题**` bold lines, `1) 问题` and `1. 问题` / `1、问题` numbered lines with
the answer below (plain, fenced, ```` ```text ```` fences, or indented sub-lists), `- **问题？**` bullets with
indented answers, `Q:`/`A:` and `问：`/`答：` pairs, and 面试官/候选人 (or 我) dialogues.

Real notes also hold interview logs (numbered questions without answers, numbering restarting per
round, remarks after the list), question lists pasted into a code fence, prompt instructions and
tutorial headings; see ``note_text`` for what counts as a question and what is stripped from an
answer. The document's primary style is chosen by counting question lines of each style; lines
inside code fences never start a question (except a fenced list of questions); headings that are
not questions set the topic. Everything skipped that looked like a question is reported in
``ParsedDoc.skipped`` with its line and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.parsers.base import ItemDraft, ParsedDoc, fenced_lines
from knowledge.parsers.note_text import (
    clean_answer,
    clean_question,
    is_link_only,
    junk_reason,
    question_like,
    strip_trailing_commentary,
)
from knowledge.parsers.numbered_lists import (
    DOT,
    HEADING,
    PAREN,
    PROSE_FENCE,
    Start,
    continuations,
    judge_runs,
    not_answer_lists,
    sequential,
    unwrap_question_fences,
)
from knowledge.schema import LoadWarning
from knowledge.text import clean_title

NAME = "markdown_qa"

_NUMBERED_Q = re.compile(r"^(?:Q\s*)?(\d{1,3}(?:\.\d{1,3})*)(?:\s*[.、:：)）]\s*|\s+)(\S.*)$", re.I)
_Q_LABEL = re.compile(r"^Q\s*(\d{0,3})\s*[.:：]\s*(\S.*)$", re.I)
_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*\s*[：:]?\s*$")
_BULLET = re.compile(r"^[-*+]\s+(\S.*)$")
_QA_Q = re.compile(r"^(?:\*\*)?(?:Q|问|问题)\s*(\d{0,3})\s*[:：](?:\*\*)?\s*(.*)$", re.I)
_QA_A = re.compile(r"^(?:\*\*)?(?:A|答|回答|答案)\s*\d{0,3}\s*[:：](?:\*\*)?\s*(.*)$", re.I)
_DLG_Q = re.compile(r"^(?:\*\*)?(?:面试官|Interviewer)(?:\*\*)?\s*[:：](?:\*\*)?\s*(.+)$", re.I)
_DLG_A = re.compile(r"^(?:\*\*)?(?:候选人|应聘者|求职者|Candidate|我)(?:\*\*)?\s*[:：](?:\*\*)?\s*(.*)$", re.I)
_ANSWER_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:回答思路|参考答案|标准答案|满分答案|答案|解答|回答|答)\s*[:：](?:\*\*)?\s*"
)
_PLACEHOLDER = re.compile(r"^(?:#{1,6}\s+)?(?:\*\*)?\s*(?:Q|问题?)\s*(\d{1,3})\s*[.:：、]?\s*(?:\*\*)?\s*[:：]?\s*$", re.I)
STYLES = ("heading", "qa", "dialogue", "bold", "paren", "dot", "bullet")
LIST_STYLES = ("paren", "dot", "bullet")


@dataclass
class _Draft:
    start: Start
    draft: ItemDraft
    run: int
    lines: list[str] = field(default_factory=list)


def detect(text: str) -> float:
    return 0.1


def _heading_question(text: str, level: int = 0) -> tuple[str, str] | None:
    """(number, question) when a heading or bold line is a question; None for a title or section."""
    text = clean_question(text)
    if m := _Q_LABEL.match(text):
        return m.group(1), m.group(2)
    asks = text.endswith(("？", "?"))
    if level == 1 and not asks:
        return None  # a document title
    if m := _NUMBERED_Q.match(text):
        rest = m.group(2)
        if rest.endswith(("？", "?")) or (question_like(rest) and len(rest) >= 4):
            return m.group(1), rest
        return None
    if asks:
        return "", text
    return None


def _indented(raw: str) -> bool:
    return raw[:1] in (" ", "\t")


def _candidates(lines: list[str], fenced: list[bool]) -> dict[str, list[Start]]:
    styles: dict[str, list[Start]] = {k: [] for k in STYLES}
    for i, raw in enumerate(lines):
        if fenced[i]:
            continue
        line = raw.rstrip()
        if m := HEADING.match(line):
            level = len(m.group(1))
            if hq := _heading_question(m.group(2), level):
                styles["heading"].append(Start(i, hq[1], hq[0], level=level))
            continue
        if _indented(raw):
            continue
        if m := _QA_Q.match(line):
            styles["qa"].append(Start(i, clean_question(m.group(2)), m.group(1)))
        elif m := _DLG_Q.match(line):
            styles["dialogue"].append(Start(i, clean_question(m.group(1))))
        elif (m := _BOLD_LINE.match(line)) and (hq := _heading_question(m.group(1))) and (hq[0] or hq[1]):
            styles["bold"].append(Start(i, hq[1], hq[0]))
        elif m := PAREN.match(line):
            styles["paren"].append(Start(i, clean_question(m.group(2)), m.group(1)))
        elif m := DOT.match(line):
            styles["dot"].append(Start(i, clean_question(m.group(2)), m.group(1)))
        elif (m := _BULLET.match(line)) and clean_question(m.group(1)).endswith(("？", "?")):
            styles["bullet"].append(Start(i, clean_question(m.group(1))))
    return styles


def _placeholders(lines: list[str], fenced: list[bool]) -> list[Start]:
    """`Q14:` / `**Q5：**` with nothing after them: they end the question before and start none."""
    return [Start(i, "", m.group(1), skip="空题目（只有编号，没有内容），已跳过")
            for i, raw in enumerate(lines) if not fenced[i] and (m := _PLACEHOLDER.match(raw.strip()))]


def _sections_not_questions(starts: list[Start]) -> list[Start]:
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
    lines, fenced = unwrap_question_fences(lines, fenced)
    styles = _candidates(lines, fenced)
    styles["heading"] = _sections_not_questions(styles["heading"])
    numbered_lines = [Start(s.index, s.question, s.number) for k in ("dot", "paren") for s in styles[k]]
    dropped: list[Start] = []
    for name in ("paren", "dot"):
        if styles[name]:
            runs = sequential(styles[name], lines, fenced)
            styles[name], lost = judge_runs(not_answer_lists(runs, styles["heading"], lines, fenced))
            dropped.extend(lost)
    for name in ("heading", "qa", "dialogue", "bold", "bullet"):
        for s in styles[name]:
            s.skip = junk_reason(s.question)
    style = max(STYLES, key=lambda k: (sum(1 for s in styles[k] if s.skip is None), -STYLES.index(k)))
    starts = list(styles[style])
    if not any(s.skip is None for s in starts):
        return doc
    if style in ("heading", "bold"):
        starts += continuations(starts, numbered_lines)
    taken = {s.index for s in starts}
    starts += [p for p in _placeholders(lines, fenced) if p.index not in taken]
    starts.sort(key=lambda s: s.index)
    for s in dropped:
        doc.skipped.append(LoadWarning(file=file, line=s.index + 1, message=f"「{s.question[:24]}」像提示词里的要求，不是题目"))
    drafts = _collect(lines, fenced, starts, style, file, doc)
    _drop_list_remarks(drafts, file, doc)
    for d in drafts:
        d.draft.answer_lines = _finish_answer(d, file, doc)
        doc.items.append(d.draft.finish(file))
    return doc


def _collect(lines: list[str], fenced: list[bool], starts: list[Start], style: str, file: str,
             doc: ParsedDoc) -> list[_Draft]:
    start_at = {s.index: s for s in starts}
    qa_labels = style == "qa" and sum(1 for ln in lines if _QA_A.match(ln.strip())) * 2 >= sum(
        1 for s in starts if s.skip is None)
    topic = ""
    drafts: list[_Draft] = []
    current: _Draft | None = None
    current_level = 0
    section = 0  # counts section headings: items of one list/section form a run
    in_question = False
    outside = False  # list item with indented answers: unindented text after it is not its answer
    children: bool | None = None
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if i in start_at:
            s = start_at[i]
            if s.skip:
                doc.skipped.append(LoadWarning(file=file, line=i + 1, message=s.skip))
                current = None
                continue
            run = s.run if style in ("paren", "dot") and s.run > 0 else (10_000 + section if s.run >= 0 else -1)
            current = _Draft(s, ItemDraft(question=s.question.strip(), line=i + 1, number=s.number, section=topic),
                             run)
            drafts.append(current)
            current_level = s.level
            in_question = qa_labels
            outside, children = False, None
            continue
        if not fenced[i] and (m := HEADING.match(line)):
            level = len(m.group(1))
            if current is None or level <= max(current_level, 1) or style != "heading":
                current = None
                section += 1
                topic = clean_title(m.group(2))
                continue
        if current is None or outside:
            continue
        if style in LIST_STYLES and line.strip():
            if children is None:
                children = _indented(raw)
            elif children and not _indented(raw) and not fenced[i]:
                outside = True
                continue
        if style == "qa" and (m := _QA_A.match(line)):
            in_question = False
            if m.group(1).strip():
                current.lines.append(m.group(1).strip())
            continue
        if style == "dialogue":
            if m := _DLG_A.match(line):
                if m.group(1).strip():
                    current.lines.append(m.group(1).strip())
                continue
            if _DLG_Q.match(line):
                continue
        if in_question and line.strip() and not fenced[i]:
            current.draft.question = f"{current.draft.question} {line.strip()}".strip()
            continue
        in_question = False
        if not fenced[i] and line.strip() in ("---", "***", "___"):
            continue
        if not current.lines and not line.strip():
            continue
        current.lines.append(line if fenced[i] else _ANSWER_LABEL.sub("", line) if not current.lines else line)
    if style in LIST_STYLES:
        _mark_children_runs(drafts)
    return drafts


def _mark_children_runs(drafts: list[_Draft]) -> None:
    """In a list whose answers are indented under their questions, an item whose text after it is
    not indented has no answer (that text is the author's, e.g. remarks after the last question)."""
    indented_runs = {d.run for d in drafts if d.lines and _indented(d.lines[0])}
    for d in drafts:
        if d.run in indented_runs and d.lines and not _indented(d.lines[0]):
            d.lines = []


def _drop_list_remarks(drafts: list[_Draft], file: str, doc: ParsedDoc) -> None:
    """A list of three or more questions of which only the last has text after it: that text is the
    author's closing remark (面试感受, 总结), not the last question's answer."""
    for run in {d.run for d in drafts}:
        members = [d for d in drafts if d.run == run]
        if len(members) >= 3 and all(not _has_text(d.lines) for d in members[:-1]) and _has_text(members[-1].lines):
            last = members[-1]
            doc.skipped.append(LoadWarning(file=file, line=last.start.index + 2,
                                           message=f"题目列表后的文字不是「{last.draft.question[:20]}」的答案（如面试感受），已忽略"))
            last.lines = []


def _has_text(lines: list[str]) -> bool:
    return any(ln.strip() for ln in lines)


def _finish_answer(d: _Draft, file: str, doc: ParsedDoc) -> list[str]:
    """The answer's lines: prose fences unwrapped into plain fences, code kept as code, images and
    HTML cleaned, trailing remarks dropped; an answer that is only links is no answer."""
    out: list[str] = []
    fence_lang = ""
    in_fence = False
    for line in d.lines:
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            if not in_fence:
                in_fence = True
                fence_lang = stripped.strip("`~ ").lower()
                if fence_lang not in PROSE_FENCE:
                    out.append(line)
                    d.draft.code.append("")
            else:
                in_fence = False
                if fence_lang not in PROSE_FENCE:
                    out.append(line)
                fence_lang = ""
            continue
        if in_fence and fence_lang not in PROSE_FENCE:
            out.append(line)
            if d.draft.code:
                d.draft.code[-1] = f"{d.draft.code[-1]}\n{line}".lstrip("\n")
            continue
        out.append(line)
    d.draft.code = [c for c in d.draft.code if c]
    cleaned = clean_answer(out)
    kept, dropped = strip_trailing_commentary(cleaned)
    if dropped and kept:
        doc.skipped.append(LoadWarning(file=file, line=d.draft.line,
                                       message=f"「{d.draft.question[:20]}」答案末尾的评论或引导语（点赞收藏、面试感受、「下面几道…：」等）已忽略"))
        cleaned = kept
    elif dropped:
        cleaned = []
    if cleaned and is_link_only(cleaned):
        doc.skipped.append(LoadWarning(file=file, line=d.draft.line,
                                       message=f"「{d.draft.question[:20]}」的答案只有链接，按无参考答案的题目收录"))
        cleaned = []
        d.draft.code = []
    return cleaned
