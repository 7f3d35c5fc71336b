"""Pure decisions of the interview: which question next, follow up or move on, difficulty, commands.

No I/O and no randomness beyond a seed; the candidate's text only steers the flow through the
explicit whole-message commands below.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Sequence

from agent.domain import FollowUpPlan, InterviewConfig, QuestionRecord
from agent.grading.model import Grade
from knowledge.schema import QuestionItem

STRONG = 8.0
WEAK = 5.0
WELL_ENOUGH = 8.5
"""A main answer at or above this with nothing missed needs no repair follow-up (a counter question may still come)."""
RECENT_SESSIONS = 3
"""Questions asked in this many recent sessions are avoided (unless reviewing or nothing else is left)."""


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


def _tiebreak(seed: int | str, item_id: str) -> str:
    return hashlib.sha1(f"{seed}:{item_id}".encode()).hexdigest()


def next_question(items: Sequence[QuestionItem], config: InterviewConfig, asked: Sequence[str], level: int,
                  by_id: dict[str, QuestionItem] | None = None, priority: Sequence[str] = (),
                  avoid: Collection[str] = (), seed: int | str = 0) -> QuestionItem | None:
    """The next item: never one already asked nor the same question from another document.

    Review mode (``config.review``): the ``priority`` ids in order, whatever the filters, and nothing
    else. Otherwise: not one of ``avoid`` (asked in recent sessions) while others remain; the topic asked
    least so far; difficulty closest to ``level``; ties broken by the session's seed."""
    by_id = by_id or {i.id: i for i in items}
    blocked = set(asked)
    for a in asked:
        if a in by_id:
            blocked.update(by_id[a].related)
    if config.review:
        return next((by_id[p] for p in priority if p in by_id and p not in blocked), None)
    pool = [i for i in eligible(items, config) if i.id not in blocked]
    if not pool:
        return None
    for pid in priority:
        if pid in by_id and by_id[pid] in pool:
            return by_id[pid]
    fresh = [i for i in pool if i.id not in avoid and not (set(i.related) & set(avoid))]
    pool = fresh or pool
    topic_count = Counter(by_id[a].topic for a in asked if a in by_id)
    return min(pool, key=lambda i: (topic_count[i.topic], abs(i.difficulty - level), _tiebreak(seed, i.id)))


def adjust_level(level: int, score: float, bounds: tuple[int, int]) -> int:
    lo, hi = bounds
    if score >= STRONG:
        level += 1
    elif score < WEAK:
        level -= 1
    return max(lo, min(hi, level))


def plan_follow_up(item: QuestionItem, grade: Grade, budget_left: int, asked: Sequence[FollowUpPlan] = (),
                   covered: Collection[str] = ()) -> FollowUpPlan | None:
    """What to follow up on, in this order: a wrong claim the answer made (challenge it), a pitfall it
    fell into, a missed key point (probe toward it without saying it), else — answered well — one of the
    document's counter-question points (反问点). Never a point already ``covered`` (in this answer or an
    earlier one) nor one already followed up. None when the budget is spent, the answer was
    empty/off-topic/injected/an echo, or nothing is left to ask."""
    if budget_left <= 0 or {"empty", "off_topic", "injection", "echo"} & set(grade.flags):
        return None
    done = {t for p in asked for t in p.targets} | {p.text for p in asked} | {p.quote for p in asked if p.quote}
    points = {k.id: k for k in item.key_points}
    by_text = {k.text: k for k in item.key_points}
    for finding in grade.misconceptions:
        if not finding.text or finding.text in done:
            continue
        point = points.get(finding.point or "") or by_text.get(finding.point or "")
        return FollowUpPlan(kind="challenge", text=finding.why or finding.claim, quote=finding.text,
                            targets=(point.text,) if point else ())
    if grade.pitfalls_hit:
        pit = next((p for p in grade.pitfalls_hit if p not in done), None)
        if pit:
            return FollowUpPlan(kind="pitfall", text=pit, targets=tuple(k.text for k in grade.missed)[:2] or (pit,))
    missed = [k for k in grade.key_points if k.verdict != "covered" and k.text not in done and k.text not in covered]
    if missed and grade.score < WELL_ENOUGH:
        ordered = sorted(missed, key=lambda k: -(by_text[k.text].weight if k.text in by_text else 1.0))
        target = ordered[0]
        point = by_text.get(target.text)
        probe = point.probe if point and point.probe else ""
        return FollowUpPlan(kind="probe", text=probe, targets=(target.text,))
    counter = next((f.text for f in item.follow_ups if f.text not in done), None)
    if counter:
        return FollowUpPlan(kind="counter", text=counter, targets=())
    return None


FOLLOW_UP_WEIGHT = 0.4
"""Share of the remaining headroom a fully answered repair follow-up wins back."""


NO_CREDIT = frozenset({"echo", "empty", "off_topic", "injection", "misconception"})
"""A follow-up answer with one of these flags wins nothing back."""


def final_score(record: QuestionRecord, hint_cap: float) -> float:
    """The question's one score: the main answer's grade, plus for each repair follow-up (probe,
    challenge, pitfall) up to FOLLOW_UP_WEIGHT of the remaining headroom in proportion to its own score,
    and 0.5 for a good answer to a counter question. A follow-up answer that echoes the interviewer, is
    empty or off topic, or repeats a wrong claim wins nothing. Skipped = 0; a hint caps the result."""
    if record.skipped or record.grade is None:
        return 0.0
    score = record.grade.score
    for fu in record.follow_ups:
        if fu.grade is None or NO_CREDIT & set(fu.grade.flags):
            continue
        if fu.plan.kind == "counter":
            score += 0.5 if fu.grade.score >= 6.0 else 0.0
        else:
            score += FOLLOW_UP_WEIGHT * (fu.grade.score / 10.0) * (10.0 - score)
    if record.hint_used:
        score = min(score, hint_cap)
    return round(min(10.0, score), 1)


def hint_terms(item: QuestionItem, limit: int = 4) -> list[str]:
    """Directions to think in: the domain terms the key points use that the question does not
    (whole terms from the glossary, never a clause of the reference), else nothing."""
    from agent.probes import glossary_names

    question = item.question.lower()
    out: list[str] = []
    for kp in sorted(item.key_points, key=lambda k: -k.weight):
        for names in glossary_names(kp.text):
            if any(n.lower() in question for n in names):
                continue
            term = next((n for n in names if n.lower() in kp.text.lower()), names[0])
            if term not in out:
                out.append(term)
    return out[:limit]


def covered_points(record: QuestionRecord) -> set[str]:
    """Key-point texts covered by the main answer or won back in a follow-up (credited ones only)."""
    done = {k.text for k in record.grade.key_points if k.verdict == "covered"} if record.grade else set()
    for fu in record.follow_ups:
        if fu.grade is None or NO_CREDIT & set(fu.grade.flags):
            continue
        done.update(k.text for k in fu.grade.key_points if k.verdict == "covered")
    return done


def still_missed(record: QuestionRecord) -> list[str]:
    """Key points of the main answer not covered there nor won back in a follow-up."""
    if record.grade is None:
        return []
    done = covered_points(record)
    return [k.text for k in record.grade.key_points if k.text not in done]
