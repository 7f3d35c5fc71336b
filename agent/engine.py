"""The interview's state transitions, pure over SessionState (the LangGraph nodes call these).

Every function takes the state and returns the new state plus the interviewer's messages; the
grader and the question bank are passed in, so tests can drive a whole interview in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import prompts
from agent import policy
from agent.domain import (
    HINT_SCORE_CAP,
    FollowUpPlan,
    FollowUpRecord,
    InterviewConfig,
    QuestionRecord,
    SessionState,
    Turn,
    now_iso,
)
from agent.grading.model import Grade, GradingContext, ReferencePoint, verdict_for
from knowledge.schema import QuestionItem

GradeFn = Callable[[QuestionItem, str, GradingContext], Grade]
ContextFn = Callable[[QuestionItem, float | None], GradingContext]


@dataclass(frozen=True)
class Bank:
    items: Sequence[QuestionItem]
    by_id: dict[str, QuestionItem]


@dataclass(frozen=True)
class Step:
    state: SessionState
    messages: tuple[str, ...]
    grade: Grade | None = None


def _seed(state: SessionState) -> int:
    return int(hashlib.sha1(f"{state.id}:{len(state.turns)}".encode()).hexdigest()[:8], 16)


def _say(state: SessionState, kind: str, text: str, item_id: str | None = None) -> SessionState:
    turn = Turn(role="interviewer", kind=kind, text=text, item_id=item_id)  # type: ignore[arg-type]
    return state.model_copy(update={"turns": (*state.turns, turn), "updated_at": now_iso()})


def _heard(state: SessionState, kind: str, text: str, item_id: str | None, grade: Grade | None = None) -> SessionState:
    turn = Turn(role="candidate", kind=kind, text=text, item_id=item_id, grade=grade)  # type: ignore[arg-type]
    return state.model_copy(update={"turns": (*state.turns, turn), "updated_at": now_iso()})


def _replace_current(state: SessionState, record: QuestionRecord) -> SessionState:
    return state.model_copy(update={"records": (*state.records[:-1], record)})


def start(session_id: str, config: InterviewConfig, bank: Bank, backend: str, priority: Sequence[str] = ()) -> Step:
    lo, hi = config.difficulty
    state = SessionState(id=session_id, config=config, backend=backend, level=max(lo, min(hi, 3)))
    pool = policy.eligible(bank.items, config)
    topics = "、".join(config.topics) if config.topics else "全部题库"
    opening = prompts.render("opening", total=min(config.n_questions, len(pool)), topics=topics, backend=backend)
    state = _say(state, "opening", opening)
    step = ask_next(state, bank, priority)
    return Step(step.state, (opening, *step.messages))


def ask_next(state: SessionState, bank: Bank, priority: Sequence[str] = ()) -> Step:
    answered = len(state.records)
    if answered >= state.config.n_questions:
        return finish(state)
    item = policy.next_question(bank.items, state.config, [r.item_id for r in state.records], state.level,
                                bank.by_id, priority)
    if item is None:
        return finish(state)
    total = min(state.config.n_questions, len(policy.eligible(bank.items, state.config)))
    text = prompts.render("ask_question", seed=_seed(state), n=answered + 1, total=max(total, answered + 1),
                          topic=item.topic_label, question=item.question)
    record = QuestionRecord(item_id=item.id, question=item.question, topic=item.topic_label,
                            difficulty=item.difficulty, asked_text=text)
    state = state.model_copy(update={"records": (*state.records, record), "pending_follow_up": None})
    return Step(_say(state, "question", text, item.id), (text,))


def finish(state: SessionState) -> Step:
    done = [r for r in state.records if r.final_score is not None]
    mean = round(sum(r.final_score or 0 for r in done) / len(done), 1) if done else 0.0
    text = prompts.render("closing", answered=len(done), mean=mean, verdict=verdict_for(mean))
    # an unanswered current question is dropped from the record, not scored
    records = tuple(r for r in state.records if r.final_score is not None)
    state = state.model_copy(update={"records": records, "status": "finished", "pending_follow_up": None})
    return Step(_say(state, "closing", text), (text,))


def _close_question(state: SessionState, record: QuestionRecord, bank: Bank) -> Step:
    score = policy.final_score(record, HINT_SCORE_CAP)
    record = record.model_copy(update={"final_score": score})
    state = _replace_current(state, record)
    state = state.model_copy(update={"level": policy.adjust_level(state.level, score, state.config.difficulty),
                                     "pending_follow_up": None})
    if record.skipped:
        msgs: tuple[str, ...] = ()
    else:
        verdict = record.grade.verdict if record.grade else "不及格"
        msg = prompts.render("move_on", seed=_seed(state), score=score, verdict=verdict)
        state = _say(state, "feedback", msg, record.item_id)
        msgs = (msg,)
    nxt = ask_next(state, bank)
    return Step(nxt.state, msgs + nxt.messages)


def on_answer(state: SessionState, text: str, bank: Bank, grade: GradeFn, context: ContextFn) -> Step:
    record = state.current
    if record is None:
        return Step(state, ())
    item = bank.by_id[record.item_id]
    plan = state.pending_follow_up
    cap = HINT_SCORE_CAP if record.hint_used else None
    if plan is None:
        ctx = context(item, cap)
        g = grade(item, text, ctx)
        state = _heard(state, "answer", text, item.id, g)
        record = record.model_copy(update={"grade": g})
    else:
        ctx = follow_up_context(item, plan, context(item, None))
        g = grade(item, text, ctx)
        state = _heard(state, "answer", text, item.id, g)
        record = record.model_copy(update={"follow_ups": (*record.follow_ups, FollowUpRecord(plan=plan, grade=g))})
    state = _replace_current(state, record)
    main = record.grade
    assert main is not None
    budget_left = state.config.follow_up_budget - len(record.follow_ups)
    latest = g if plan is not None else main
    nxt = policy.plan_follow_up(item, latest, budget_left, [f.plan for f in record.follow_ups])
    if nxt is not None:
        covered = next((k.text for k in latest.key_points if k.verdict == "covered"), "")
        msg = phrase_follow_up(nxt, covered, _seed(state))
        state = state.model_copy(update={"pending_follow_up": nxt})
        state = _say(state, "follow_up", msg, item.id)
        return Step(state, (msg,), g)
    step = _close_question(state, record, bank)
    return Step(step.state, step.messages, g)


def follow_up_context(item: QuestionItem, plan: FollowUpPlan, base: GradingContext) -> GradingContext:
    """A follow-up answer is graded against the follow-up's own targets; a counter question (反问点,
    about the candidate's practice) against the item's whole reference."""
    if not plan.targets:
        return base
    points = tuple(ReferencePoint(id=f"fu{n + 1}", text=t, source=item.source.ref) for n, t in enumerate(plan.targets))
    return base.model_copy(update={"points": points})


def phrase_follow_up(plan: FollowUpPlan, covered: str, seed: int) -> str:
    if plan.kind == "pitfall":
        return prompts.render("follow_up_pitfall", seed=seed, pitfall=plan.text)
    if plan.kind == "counter":
        return prompts.render("follow_up_counter", seed=seed, counter=plan.text)
    if covered:
        return prompts.render("follow_up_missed", seed=seed, covered=_short(covered), missing=_short(plan.text))
    return prompts.render("follow_up_missed_plain", seed=seed, missing=_short(plan.text))


def _short(text: str, limit: int = 28) -> str:
    text = text.strip("。；; ")
    return text if len(text) <= limit else text[:limit] + "…"


def on_skip(state: SessionState, bank: Bank) -> Step:
    record = state.current
    if record is None:
        return Step(state, ())
    state = _heard(state, "command", "跳过", record.item_id)
    msg = prompts.render("skip")
    state = _say(state, "skip", msg, record.item_id)
    if state.pending_follow_up is not None and record.grade is not None:
        step = _close_question(state, record, bank)  # skipping a follow-up keeps the main grade
    else:
        step = _close_question(state, record.model_copy(update={"skipped": True}), bank)
    return Step(step.state, (msg, *step.messages))


def on_hint(state: SessionState, bank: Bank) -> Step:
    record = state.current
    if record is None:
        return Step(state, ())
    item = bank.by_id[record.item_id]
    state = _heard(state, "command", "提示", record.item_id)
    terms = policy.hint_terms(item) or [item.topic_label]
    msg = prompts.render("hint", hints="、".join(terms), cap=HINT_SCORE_CAP)
    state = _replace_current(state, record.model_copy(update={"hint_used": True}))
    return Step(_say(state, "hint", msg, item.id), (msg,))


def on_clarify(state: SessionState, text: str, bank: Bank) -> Step:
    """Answer a question about the question from the knowledge base — its wording, topic and tags,
    never the reference answer."""
    record = state.current
    if record is None:
        return Step(state, ())
    item = bank.by_id[record.item_id]
    state = _heard(state, "clarify", text, item.id)
    asked = state.pending_follow_up.text if state.pending_follow_up else item.question
    parts = [f"它属于「{item.topic_label}」方向"]
    if item.tags:
        parts.append("关键词：" + "、".join(t for t in item.tags if len(t) <= 12)[:60])
    msg = prompts.render("clarify", question=asked, context="；".join(p for p in parts if p) + "。")
    return Step(_say(state, "clarify", msg, item.id), (msg,))


def on_end(state: SessionState) -> Step:
    state = _heard(state, "command", "结束", state.current.item_id if state.current else None)
    return finish(state)
