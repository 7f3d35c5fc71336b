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
    prompt_instruction,
    question_like,
    strip_trailing_commentary,
)
from knowledge.schema import LoadWarning
from knowledge.text import clean_title

NAME = "markdown_qa"

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBERED_Q = re.compile(r"^(?:Q\s*)?(\d{1,3}(?:\.\d{1,3})*)(?:\s*[.、:：)）]\s*|\s+)(\S.*)$", re.I)
_Q_LABEL = re.compile(r"^Q\s*(\d{0,3})\s*[.:：]\s*(\S.*)$", re.I)
_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*\s*[：:]?\s*$")
_PAREN = re.compile(r"^(\d{1,3})[)）]\s*(\S.*)$")
_DOT = re.compile(r"^(\d{1,3})[.、](?!\d)\s*(\S.*)$")
_BULLET = re.compile(r"^[-*+]\s+(\S.*)$")
_QA_Q = re.compile(r"^(?:\*\*)?(?:Q|问|问题)\s*(\d{0,3})\s*[:：](?:\*\*)?\s*(.*)$", re.I)
_QA_A = re.compile(r"^(?:\*\*)?(?:A|答|回答|答案)\s*\d{0,3}\s*[:：](?:\*\*)?\s*(.*)$", re.I)
_DLG_Q = re.compile(r"^(?:\*\*)?(?:面试官|Interviewer)(?:\*\*)?\s*[:：](?:\*\*)?\s*(.+)$", re.I)
_DLG_A = re.compile(r"^(?:\*\*)?(?:候选人|应聘者|求职者|Candidate|我)(?:\*\*)?\s*[:：](?:\*\*)?\s*(.*)$", re.I)
_ANSWER_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:回答思路|参考答案|标准答案|满分答案|答案|解答|回答|答)\s*[:：](?:\*\*)?\s*"
)
_PLACEHOLDER = re.compile(r"^(?:#{1,6}\s+)?(?:\*\*)?\s*(?:Q|问题?)\s*(\d{1,3})\s*[.:：、]?\s*(?:\*\*)?\s*[:：]?\s*$", re.I)
_PROSE_FENCE = ("", "text", "txt", "plain", "plaintext", "markdown", "md")
STYLES = ("heading", "qa", "dialogue", "bold", "paren", "dot", "bullet")
LIST_STYLES = ("paren", "dot", "bullet")


@dataclass
class _Start:
    index: int
    question: str
    number: str = ""
    level: int = 0  # heading level; 0 when not a heading
    skip: str | None = None
    """Why this line starts no question (a placeholder, 自我介绍…): it only ends the one before."""
    run: int = 0


@dataclass
class _Draft:
    start: _Start
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


def _candidates(lines: list[str], fenced: list[bool]) -> dict[str, list[_Start]]:
    styles: dict[str, list[_Start]] = {k: [] for k in STYLES}
    for i, raw in enumerate(lines):
        if fenced[i]:
            continue
        line = raw.rstrip()
        if m := _HEADING.match(line):
            level = len(m.group(1))
            if hq := _heading_question(m.group(2), level):
                styles["heading"].append(_Start(i, hq[1], hq[0], level=level))
            continue
        if _indented(raw):
            continue
        if m := _QA_Q.match(line):
            styles["qa"].append(_Start(i, clean_question(m.group(2)), m.group(1)))
        elif m := _DLG_Q.match(line):
            styles["dialogue"].append(_Start(i, clean_question(m.group(1))))
        elif (m := _BOLD_LINE.match(line)) and (hq := _heading_question(m.group(1))) and (hq[0] or hq[1]):
            styles["bold"].append(_Start(i, hq[1], hq[0]))
        elif m := _PAREN.match(line):
            styles["paren"].append(_Start(i, clean_question(m.group(2)), m.group(1)))
        elif m := _DOT.match(line):
            styles["dot"].append(_Start(i, clean_question(m.group(2)), m.group(1)))
        elif (m := _BULLET.match(line)) and clean_question(m.group(1)).endswith(("？", "?")):
            styles["bullet"].append(_Start(i, clean_question(m.group(1))))
    return styles


def _placeholders(lines: list[str], fenced: list[bool]) -> list[_Start]:
    """`Q14:` / `**Q5：**` with nothing after them: they end the question before and start none."""
    return [_Start(i, "", m.group(1), skip="空题目（只有编号，没有内容），已跳过")
            for i, raw in enumerate(lines) if not fenced[i] and (m := _PLACEHOLDER.match(raw.strip()))]


def _between_blank(lines: list[str], a: int, b: int) -> bool:
    return all(not lines[k].strip() for k in range(a + 1, b))


def _heading_between(lines: list[str], fenced: list[bool], a: int, b: int) -> bool:
    return any(not fenced[k] and _HEADING.match(lines[k]) for k in range(a + 1, b))


def _question_run(starts: list[_Start], k: int, lines: list[str]) -> int:
    """Length of the run of consecutive numbers from starts[k] with nothing between the lines
    (a list of questions without answers), 0 when fewer than two or mostly not questions."""
    n = 1
    while (k + n < len(starts) and int(starts[k + n].number) == int(starts[k + n - 1].number) + 1
           and _between_blank(lines, starts[k + n - 1].index, starts[k + n].index)):
        n += 1
    run = starts[k:k + n]
    asks = sum(1 for s in run if question_like(s.question))
    return n if n >= 2 and asks * 2 >= n else 0


def _sequential(starts: list[_Start], lines: list[str], fenced: list[bool]) -> list[_Start]:
    """Keep numbered lines that continue the question numbering (answers' own lists restart at 1).

    A restart at 1 begins a new list of questions (the next interview round) when a heading comes
    before it or when it is a list of questions without answers; each list is one ``run``."""
    ends_q = [s for s in starts if s.question.rstrip().endswith(("？", "?"))]
    require_q = len(ends_q) >= 0.6 * len(starts) and len(ends_q) >= 2
    kept: list[_Start] = []
    last = 0
    run = 0
    in_answer_list = False  # an answer's own list restarted at 1 since the last question
    for k, s in enumerate(starts):
        n = int(s.number)
        is_q = s.question.rstrip().endswith(("？", "?"))
        restart = bool(kept) and n == 1 and (
            (_heading_between(lines, fenced, kept[-1].index, s.index) and question_like(s.question))
            or _question_run(starts, k, lines) > 0)
        if not kept or restart:
            run += 1
            s.run = run
            kept.append(s)
            last, in_answer_list = n, False
        elif (n == last + 1 and not in_answer_list) or (require_q and is_q and n > last):
            s.run = run
            kept.append(s)
            last, in_answer_list = n, False
        elif n == 1:
            in_answer_list = True
    return kept


def _judge_runs(starts: list[_Start]) -> tuple[list[_Start], list[_Start]]:
    """Drop lists that are not questions (prompt instructions, steps); mark junk items to skip.

    Returns (kept starts, starts of dropped prompt lists)."""
    kept: list[_Start] = []
    dropped: list[_Start] = []
    for run in sorted({s.run for s in starts}):
        members = [s for s in starts if s.run == run]
        for s in members:
            s.skip = junk_reason(s.question)
        real = [s for s in members if s.skip is None]
        asks = sum(1 for s in real if question_like(s.question))
        if real and asks * 2 >= len(real):
            kept.extend(members)
        elif any(prompt_instruction(s.question) for s in members):
            dropped.extend(members)
    return kept, dropped


def _sections_not_questions(starts: list[_Start]) -> list[_Start]:
    """A numbered heading with deeper question headings under it is a section, not a question."""
    kept = []
    for k, s in enumerate(starts):
        nxt = starts[k + 1] if k + 1 < len(starts) else None
        if nxt is not None and nxt.level > s.level and not s.question.endswith(("？", "?")):
            continue
        kept.append(s)
    return kept


def _not_answer_lists(starts: list[_Start], headings: list[_Start], lines: list[str], fenced: list[bool]) -> list[_Start]:
    """Drop numbered lists that start at 1 under a question heading: they are that question's answer."""
    question_headings = {h.index for h in headings}
    kept: list[_Start] = []
    for run in sorted({s.run for s in starts}):
        members = [s for s in starts if s.run == run]
        first = members[0]
        above = next((k for k in range(first.index - 1, -1, -1) if not fenced[k] and _HEADING.match(lines[k])), None)
        if first.number == "1" and above is not None and above in question_headings:
            continue
        kept.extend(members)
    return kept


def _continuations(primary: list[_Start], others: list[_Start]) -> list[_Start]:
    """Numbered question lines that go on with the headings' numbering (`## 3. …` then `4. …？`):
    questions the author stopped writing as headings, never part of the answer above them."""
    numbered = [s for s in primary if s.number.isdigit()]
    if not numbered:
        return []
    added: list[_Start] = []
    by_index = sorted(numbered, key=lambda s: s.index)
    for s in sorted(others, key=lambda s: s.index):
        before = [p for p in by_index + added if p.index < s.index]
        if not before or not s.question.endswith(("？", "?")) or junk_reason(s.question):
            continue
        prev = max(before, key=lambda p: p.index)
        if prev.number.isdigit() and int(s.number) == int(prev.number) + 1:
            added.append(_Start(s.index, s.question, s.number, run=-1))
    return added


def _unwrap_question_fences(lines: list[str], fenced: list[bool]) -> tuple[list[str], list[bool]]:
    """A fenced block (no language, or text) that is a numbered list of questions is read as a list."""
    lines, fenced = list(lines), list(fenced)
    i = 0
    while i < len(lines):
        if not fenced[i]:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not (fenced[end] and lines[end].strip().startswith(("```", "~~~"))):
            end += 1
        lang = lines[i].strip().strip("`~ ").lower()
        body = [ln.strip() for ln in lines[i + 1:end] if ln.strip()]
        numbered = [m.group(2) for ln in body if (m := _DOT.match(ln) or _PAREN.match(ln))]
        if (lang in _PROSE_FENCE and len(numbered) >= 3 and len(numbered) >= 0.7 * len(body)
                and sum(1 for q in numbered if question_like(q)) >= 0.6 * len(numbered)):
            for k in range(i, min(end, len(lines) - 1) + 1):
                fenced[k] = False
                lines[k] = lines[k].strip()
            lines[i] = ""
            if end < len(lines):
                lines[end] = ""
        i = end + 1
    return lines, fenced


def parse(text: str, file: str) -> ParsedDoc:
    doc = ParsedDoc(parser=NAME)
    lines = text.splitlines()
    fenced, unclosed = fenced_lines(lines)
    if unclosed:
        doc.warnings.append(
            LoadWarning(file=file, line=unclosed, message="代码块没有闭合（缺少结尾的 ```）",
                        hint="已把它当作普通文本继续解析；请补上结尾的 ```")
        )
    lines, fenced = _unwrap_question_fences(lines, fenced)
    styles = _candidates(lines, fenced)
    styles["heading"] = _sections_not_questions(styles["heading"])
    numbered_lines = [_Start(s.index, s.question, s.number) for k in ("dot", "paren") for s in styles[k]]
    dropped: list[_Start] = []
    for name in ("paren", "dot"):
        if styles[name]:
            runs = _sequential(styles[name], lines, fenced)
            styles[name], lost = _judge_runs(_not_answer_lists(runs, styles["heading"], lines, fenced))
            dropped.extend(lost)
    for name in ("heading", "qa", "dialogue", "bold", "bullet"):
        for s in styles[name]:
            s.skip = junk_reason(s.question)
    style = max(STYLES, key=lambda k: (sum(1 for s in styles[k] if s.skip is None), -STYLES.index(k)))
    starts = list(styles[style])
    if not any(s.skip is None for s in starts):
        return doc
    if style in ("heading", "bold"):
        starts += _continuations(starts, numbered_lines)
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


def _collect(lines: list[str], fenced: list[bool], starts: list[_Start], style: str, file: str,
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
        if not fenced[i] and (m := _HEADING.match(line)):
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
                if fence_lang not in _PROSE_FENCE:
                    out.append(line)
                    d.draft.code.append("")
            else:
                in_fence = False
                if fence_lang not in _PROSE_FENCE:
                    out.append(line)
                fence_lang = ""
            continue
        if in_fence and fence_lang not in _PROSE_FENCE:
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
