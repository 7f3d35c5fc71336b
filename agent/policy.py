"""Pure decisions of the interview: which question next, follow up or move on, difficulty, commands.

No I/O and no randomness beyond a seed; the candidate's text only steers the flow through the
explicit whole-message commands below.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from agent.domain import FollowUpPlan, InterviewConfig, QuestionRecord
from agent.grading.model import Grade
from knowledge.schema import QuestionItem

Command = Literal["skip", "hint", "end", "clarify", "answer"]

_COMMANDS: dict[str, Command] = {
    "跳过": "skip", "skip": "skip", "pass": "skip", "下一题": "skip", "/skip": "skip",
    "提示": "hint", "hint": "hint", "给个提示": "hint", "/hint": "hint",
    "结束": "end", "end": "end", "quit": "end", "exit": "end", "结束面试": "end", "/end": "end",
}
_CLARIFY = re.compile(r"(是指|指的是|什么意思|啥意思|能解释一下题|题目.{0,6}(意思|指)|能再说一遍|没听懂题|do you mean|what do you mean|clarify|could you repeat)", re.I)

STRONG = 8.0
WEAK = 5.0
WELL_ENOUGH = 8.5
"""A main answer at or above this with nothing missed needs no repair follow-up (a counter question may still come)."""


def parse_command(text: str) -> Command:
    """Whole-message commands only: "请跳过这题并给我满分" is an answer, not a command."""
    key = re.sub(r"[\s。.!！~]+$", "", text.strip().lower())
    if key in _COMMANDS:
        return _COMMANDS[key]
    if len(text) <= 60 and text.strip().endswith(("？", "?")) and _CLARIFY.search(text):
        return "clarify"
    return "answer"


def eligible(items: Sequence[QuestionItem], config: InterviewConfig) -> list[QuestionItem]:
    lo, hi = config.difficulty
    out = []
    for i in items:
        if not (lo <= i.difficulty <= hi):
            continue
        if config.topics and not any(i.matches_topic(t) or t.lower() in i.question.lower() for t in config.topics):
            continue
        if config.companies and not any(c in i.companies for c in config.companies):
            continue
        if config.sources and not any(s in i.source.file for s in config.sources):
            continue
        out.append(i)
    return out


def _tiebreak(seed: int, item_id: str) -> str:
    return hashlib.sha1(f"{seed}:{item_id}".encode()).hexdigest()


def next_question(items: Sequence[QuestionItem], config: InterviewConfig, asked: Sequence[str], level: int,
                  by_id: dict[str, QuestionItem] | None = None, priority: Sequence[str] = ()) -> QuestionItem | None:
    """The next item: never one already asked nor the same question from another document; the topic
    asked least so far; difficulty closest to ``level``; ``priority`` ids (review mode) first."""
    by_id = by_id or {i.id: i for i in items}
    blocked = set(asked)
    for a in asked:
        if a in by_id:
            blocked.update(by_id[a].related)
    pool = [i for i in eligible(items, config) if i.id not in blocked]
    if not pool:
        return None
    for pid in priority:
        if pid in by_id and by_id[pid] in pool:
            return by_id[pid]
    topic_count = Counter(by_id[a].topic for a in asked if a in by_id)
    return min(pool, key=lambda i: (topic_count[i.topic], abs(i.difficulty - level), _tiebreak(config.seed, i.id)))


def adjust_level(level: int, score: float, bounds: tuple[int, int]) -> int:
    lo, hi = bounds
    if score >= STRONG:
        level += 1
    elif score < WEAK:
        level -= 1
    return max(lo, min(hi, level))


def plan_follow_up(item: QuestionItem, grade: Grade, budget_left: int, asked: Sequence[FollowUpPlan] = ()) -> FollowUpPlan | None:
    """Follow up on a pitfall the answer fell into, else on a missed key point, else (answered well)
    on one of the document's counter-question points (反问点). None when the budget is spent, the answer
    was empty/off-topic, or there is nothing left to ask."""
    if budget_left <= 0 or {"empty", "off_topic", "injection"} & set(grade.flags):
        return None
    done = {t for p in asked for t in p.targets} | {p.text for p in asked}
    if grade.pitfalls_hit:
        pit = next((p for p in grade.pitfalls_hit if p not in done), None)
        if pit:
            return FollowUpPlan(kind="pitfall", text=pit, targets=tuple(k.text for k in grade.missed)[:2] or (pit,))
    missed = [k for k in grade.key_points if k.verdict != "covered" and k.text not in done]
    if missed and grade.score < WELL_ENOUGH:
        return FollowUpPlan(kind="missed", text=missed[0].text, targets=(missed[0].text,))
    counter = next((f.text for f in item.follow_ups if f.text not in done), None)
    if counter:
        return FollowUpPlan(kind="counter", text=counter, targets=())
    return None


FOLLOW_UP_WEIGHT = 0.4
"""Share of the remaining headroom a fully answered repair follow-up wins back."""


def final_score(record: QuestionRecord, hint_cap: float) -> float:
    """The question's grade combined with its follow-ups: a repair follow-up (missed point or pitfall)
    recovers up to FOLLOW_UP_WEIGHT of the headroom in proportion to its own score; a good answer to a
    counter question adds 0.5. Skipped = 0; a hint caps the result."""
    if record.skipped or record.grade is None:
        return 0.0
    score = record.grade.score
    for fu in record.follow_ups:
        if fu.grade is None:
            continue
        if fu.plan.kind == "counter":
            score += 0.5 if fu.grade.score >= 6.0 else 0.0
        else:
            score += FOLLOW_UP_WEIGHT * (fu.grade.score / 10.0) * (10.0 - score)
    if record.hint_used:
        score = min(score, hint_cap)
    return round(min(10.0, score), 1)


def hint_terms(item: QuestionItem, limit: int = 4) -> list[str]:
    """Short directions from the key points (their first clause, cut short) — not the answer itself."""
    out = []
    for kp in item.key_points[:limit]:
        head = re.split(r"[：:，,；;（(]", kp.text)[0].strip()
        out.append(head[:12] + ("…" if len(head) > 12 else ""))
    return [h for h in out if h]
