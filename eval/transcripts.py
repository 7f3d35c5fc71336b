"""Dialogue and Markdown transcripts -> question/answer pairs (pure parsing, no I/O).

Shapes understood:
- dialogue lines with a speaker label: ``Q:``/``A:``, ``问：``/``答：``, ``面试官：``/``候选人：`` (also
  ``Interviewer:``/``Candidate:``, bold or bulleted labels, ASCII or full-width colons); a message runs
  until the next label, heading or ``---``;
- Markdown headings as questions (``## 问题``) with the text below them as the answer.

Each interviewer message followed by one or more candidate messages is one Q/A pair (the candidate's
messages joined); of several interviewer messages in a row the last one is the question (the earlier
ones are small talk such as 「好的，我们开始吧」).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Role = Literal["q", "a"]

QUESTION_ROLES = {"interviewer", "examiner", "assistant", "q", "question", "问", "问题", "面试官", "考官"}
ANSWER_ROLES = {"candidate", "interviewee", "user", "a", "answer", "答", "回答", "候选人", "面试者", "应聘者"}

_LABEL = re.compile(
    r"^\s*(?:[-*+>]\s*)?(?:\*\*|__)?\s*"
    r"(?P<label>Q|A|Question|Answer|Interviewer|Candidate|问|答|面试官|候选人|面试者|考官)"
    r"\s*(?P<num>\d{0,3})\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^\s{0,3}(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}(?:-{3,}|\*{3,}|_{3,})\s*$")
_NUMBERING = re.compile(r"^\s*(?:(?:Q|问题|题目)\s*\d+\s*[.、:：)）]?|\d+\s*[.、:：)）]|[（(]\d+[)）])\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Turn:
    role: Role
    text: str
    line: int


@dataclass(frozen=True)
class Pair:
    question: str
    answer: str
    line: int
    """Line of the question (1-based) in its file."""


@dataclass(frozen=True)
class PairProblem:
    line: int | None
    message: str


def role_of(name: str) -> Role | None:
    key = name.strip().lower()
    if key in QUESTION_ROLES:
        return "q"
    if key in ANSWER_ROLES:
        return "a"
    return None


def pair_turns(turns: Iterable[Turn]) -> Iterator[Pair | PairProblem]:
    """Interviewer message + the candidate messages after it -> one pair."""
    question: Turn | None = None
    answers: list[Turn] = []
    for turn in turns:
        if turn.role == "q":
            if question is not None and answers:
                yield _pair(question, answers)
                answers = []
            question = turn
        elif question is None:
            yield PairProblem(turn.line, "回答前面没有问题，已跳过")
        else:
            answers.append(turn)
    if question is not None:
        if answers:
            yield _pair(question, answers)
        else:
            yield PairProblem(question.line, f"问题「{_clip(question.text)}」后面缺少回答，已跳过")


def _pair(question: Turn, answers: Sequence[Turn]) -> Pair | PairProblem:
    text = clean_question(question.text)
    if not text:
        return PairProblem(question.line, "问题为空，已跳过")
    return Pair(question=text, answer="\n".join(a.text for a in answers).strip(), line=question.line)


def clean_question(text: str) -> str:
    """Drop list numbering (「1.」「Q3:」「（2）」) and Markdown emphasis around a question."""
    text = text.strip().strip("*_").strip()
    return _NUMBERING.sub("", text, count=1).strip()


def _clip(text: str, n: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# Markdown -----------------------------------------------------------------------------------------
def looks_like_dialogue(lines: Sequence[str | None]) -> bool:
    """True when some line starts with a question label (Q:, 问：, 面试官：…)."""
    for text in lines:
        m = _LABEL.match(text) if text else None
        if m and role_of(m.group("label")) == "q":
            return True
    return False


def parse_markdown(lines: Sequence[str | None]) -> Iterator[Pair | PairProblem]:
    """Pairs from Markdown/plain-text lines (``None`` = an undecodable line, already reported)."""
    if looks_like_dialogue(lines):
        yield from pair_turns(dialogue_turns(lines))
        return
    if any(text and _HEADING.match(text) for text in lines):
        yield from heading_pairs(lines)
        return
    yield PairProblem(None, "没有识别出问答：支持 Q:/A:、问：/答：、面试官：/候选人： 对话，或「## 问题」标题 + 回答正文")


def dialogue_turns(lines: Sequence[str | None]) -> Iterator[Turn]:
    role: Role | None = None
    start = 0
    body: list[str] = []

    def flush() -> Iterator[Turn]:
        if role is not None:
            yield Turn(role=role, text="\n".join(body).strip(), line=start)

    for number, text in enumerate(lines, start=1):
        if text is None:
            continue
        m = _LABEL.match(text)
        label_role = role_of(m.group("label")) if m else None
        if m and label_role is not None:
            yield from flush()
            role, start, body = label_role, number, [m.group("rest")]
        elif _HEADING.match(text) or _RULE.match(text):
            yield from flush()
            role, body = None, []
        elif role is not None:
            body.append(text)
    yield from flush()


def heading_pairs(lines: Sequence[str | None]) -> Iterator[Pair | PairProblem]:
    """``## question`` headings with the text under them as the answer. ``#`` is the document title
    unless it is the only heading level. A heading with nothing under it that is followed by a deeper
    heading is a section title, not a question."""
    heads: list[tuple[int, int, str]] = []  # (line index, level, text)
    for index, text in enumerate(lines):
        m = _HEADING.match(text) if text else None
        if m:
            heads.append((index, len(m.group("hashes")), m.group("text")))
    min_level = 2 if any(level >= 2 for _, level, _ in heads) else 1
    for k, (index, level, title) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        if level < min_level:
            continue
        body = [t for t in lines[index + 1:end] if t is not None]
        answer = _strip_answer_label("\n".join(body).strip())
        question = clean_question(title)
        if not answer:
            deeper_next = k + 1 < len(heads) and heads[k + 1][1] > level
            if not deeper_next:
                yield PairProblem(index + 1, f"问题「{_clip(question)}」下面缺少回答，已跳过")
            continue
        if not question:
            yield PairProblem(index + 1, "问题为空，已跳过")
            continue
        yield Pair(question=question, answer=answer, line=index + 1)


def _strip_answer_label(text: str) -> str:
    m = _LABEL.match(text.split("\n", 1)[0]) if text else None
    if m and role_of(m.group("label")) == "a":
        rest = text.split("\n", 1)
        return "\n".join([m.group("rest"), *rest[1:]]).strip()
    return text
