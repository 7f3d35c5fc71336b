"""Numbered lists in users' notes: which numbered lines are questions (shared by the generic parser).

A list's numbering tells questions from an answer's own points: numbers that go on are questions, a
restart at 1 is an answer's list, unless a heading comes before it or it is a list of questions without
answers (the next interview round). A list that is mostly not questions (prompt instructions, steps) is
dropped; a numbered list under a question heading is that question's answer; numbered question lines
that continue the headings' numbering are questions; a fence holding a numbered list of questions is read
as a list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.parsers.note_text import junk_reason, prompt_instruction, question_like

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
PAREN = re.compile(r"^(\d{1,3})[)）]\s*(\S.*)$")
DOT = re.compile(r"^(\d{1,3})[.、](?!\d)\s*(\S.*)$")
PROSE_FENCE = ("", "text", "txt", "plain", "plaintext", "markdown", "md")


@dataclass
class Start:
    index: int
    question: str
    number: str = ""
    level: int = 0  # heading level; 0 when not a heading
    skip: str | None = None
    """Why this line starts no question (a placeholder, 自我介绍…): it only ends the one before."""
    run: int = 0


def between_blank(lines: list[str], a: int, b: int) -> bool:
    return all(not lines[k].strip() for k in range(a + 1, b))


def heading_between(lines: list[str], fenced: list[bool], a: int, b: int) -> bool:
    return any(not fenced[k] and HEADING.match(lines[k]) for k in range(a + 1, b))


def question_run(starts: list[Start], k: int, lines: list[str]) -> int:
    """Length of the run of consecutive numbers from starts[k] with nothing between the lines
    (a list of questions without answers), 0 when fewer than two or mostly not questions."""
    n = 1
    while (k + n < len(starts) and int(starts[k + n].number) == int(starts[k + n - 1].number) + 1
           and between_blank(lines, starts[k + n - 1].index, starts[k + n].index)):
        n += 1
    run = starts[k:k + n]
    asks = sum(1 for s in run if question_like(s.question))
    return n if n >= 2 and asks * 2 >= n else 0


def sequential(starts: list[Start], lines: list[str], fenced: list[bool]) -> list[Start]:
    """Keep numbered lines that continue the question numbering (answers' own lists restart at 1).

    A restart at 1 begins a new list of questions (the next interview round) when a heading comes
    before it or when it is a list of questions without answers; each list is one ``run``."""
    ends_q = [s for s in starts if s.question.rstrip().endswith(("？", "?"))]
    require_q = len(ends_q) >= 0.6 * len(starts) and len(ends_q) >= 2
    kept: list[Start] = []
    last = 0
    run = 0
    in_answer_list = False  # an answer's own list restarted at 1 since the last question
    for k, s in enumerate(starts):
        n = int(s.number)
        is_q = s.question.rstrip().endswith(("？", "?"))
        restart = bool(kept) and n == 1 and (
            (heading_between(lines, fenced, kept[-1].index, s.index) and question_like(s.question))
            or question_run(starts, k, lines) > 0)
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


def judge_runs(starts: list[Start]) -> tuple[list[Start], list[Start]]:
    """Drop lists that are not questions (prompt instructions, steps); mark junk items to skip.

    Returns (kept starts, starts of dropped prompt lists)."""
    kept: list[Start] = []
    dropped: list[Start] = []
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


def not_answer_lists(starts: list[Start], headings: list[Start], lines: list[str], fenced: list[bool]) -> list[Start]:
    """Drop numbered lists that start at 1 under a question heading: they are that question's answer."""
    question_headings = {h.index for h in headings}
    kept: list[Start] = []
    for run in sorted({s.run for s in starts}):
        members = [s for s in starts if s.run == run]
        first = members[0]
        above = next((k for k in range(first.index - 1, -1, -1) if not fenced[k] and HEADING.match(lines[k])), None)
        if first.number == "1" and above is not None and above in question_headings:
            continue
        kept.extend(members)
    return kept


def continuations(primary: list[Start], others: list[Start]) -> list[Start]:
    """Numbered question lines that go on with the headings' numbering (`## 3. …` then `4. …？`):
    questions the author stopped writing as headings, never part of the answer above them."""
    numbered = [s for s in primary if s.number.isdigit()]
    if not numbered:
        return []
    added: list[Start] = []
    by_index = sorted(numbered, key=lambda s: s.index)
    for s in sorted(others, key=lambda s: s.index):
        before = [p for p in by_index + added if p.index < s.index]
        if not before or not s.question.endswith(("？", "?")) or junk_reason(s.question):
            continue
        prev = max(before, key=lambda p: p.index)
        if prev.number.isdigit() and int(s.number) == int(prev.number) + 1:
            added.append(Start(s.index, s.question, s.number, run=-1))
    return added


def unwrap_question_fences(lines: list[str], fenced: list[bool]) -> tuple[list[str], list[bool]]:
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
        numbered = [m.group(2) for ln in body if (m := DOT.match(ln) or PAREN.match(ln))]
        if (lang in PROSE_FENCE and len(numbered) >= 3 and len(numbered) >= 0.7 * len(body)
                and sum(1 for q in numbered if question_like(q)) >= 0.6 * len(numbered)):
            for k in range(i, min(end, len(lines) - 1) + 1):
                fenced[k] = False
                lines[k] = lines[k].strip()
            lines[i] = ""
            if end < len(lines):
                lines[end] = ""
        i = end + 1
    return lines, fenced
