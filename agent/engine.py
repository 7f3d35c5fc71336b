"""The interview's decisions, pure over SessionState: ``apply(state, command) -> Step``.

A step is the new state plus typed events (agent/events.py) with no phrasing inside; the phrasing
stage turns events into the interviewer's words and :func:`record` appends them to the state as
interviewer turns. The grader and the question bank are passed in, so tests drive a whole interview
in memory with a fake grader and a handful of items.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agent import policy
from agent.commands import Answer, Clarify, Command, End, Hint, Skip
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
from agent.events import (
    AlreadyFinished,
    ClarifyAnswered,
    Closed,
    Event,
    FollowUpAsked,
    FollowUpKind,
    HintGiven,
    Message,
    NoQuestion,
    Opened,
    QuestionAsked,
    QuestionClosed,
    Skipped,
    Wrong,
)
from agent.grading.model import Grade, GradingContext, ReferencePoint, verdict_for
from agent.probes import glossary_names
from knowledge.schema import QuestionItem

GradeFn = Callable[[QuestionItem, str, GradingContext], Grade]
ContextFn = Callable[[QuestionItem, float | None], GradingContext]


@dataclass(frozen=True)
class Bank:
    items: Sequence[QuestionItem]
    by_id: dict[str, QuestionItem]

    @classmethod
    def of(cls, items: Sequence[QuestionItem]) -> Bank:
        return cls(items=items, by_id={i.id: i for i in items})


@dataclass(frozen=True)
class Step:
    state: SessionState
    events: tuple[Event, ...]
    grade: Grade | None = None


def session_seed(state: SessionState) -> int | str:
    """The question order's seed: the one asked for, else the session id (fresh per session)."""
    return state.config.seed if state.config.seed is not None else state.id


def phrase_seed(state: SessionState) -> int:
    """Which template variant to use: varies along the session, stable on replay."""
    return int(hashlib.sha1(f"{state.id}:{len(state.turns)}".encode()).hexdigest()[:8], 16)


def _heard(state: SessionState, kind: str, text: str, item_id: str | None, grade: Grade | None = None) -> SessionState:
    turn = Turn(role="candidate", kind=kind, text=text, item_id=item_id, grade=grade)  # type: ignore[arg-type]
    return state.model_copy(update={"turns": (*state.turns, turn), "updated_at": now_iso()})


def record(state: SessionState, messages: Sequence[Message]) -> SessionState:
    """Append the interviewer's phrased messages as turns."""
    turns = tuple(Turn(role="interviewer", kind=m.kind, text=m.text, item_id=m.item_id, flags=m.flags)  # type: ignore[arg-type]
                  for m in messages)
    return state.model_copy(update={"turns": (*state.turns, *turns), "updated_at": now_iso()})


def _replace_current(state: SessionState, rec: QuestionRecord) -> SessionState:
    return state.model_copy(update={"records": (*state.records[:-1], rec)})


# starting and asking -----------------------------------------------------------------------------------------
def total_questions(state: SessionState, bank: Bank) -> int:
    if state.config.review:
        return min(state.config.n_questions, len(state.priority))
    return min(state.config.n_questions, len(policy.eligible(bank.items, state.config)))


def start(session_id: str, config: InterviewConfig, bank: Bank, backend: str, priority: Sequence[str] = (),
          avoid: Sequence[str] = ()) -> Step:
    """Open a session. Review mode asks every due question of ``priority`` (in order) and nothing else;
    otherwise ``avoid`` (recently asked) questions come only when nothing else is left."""
    lo, hi = config.difficulty
    priority = tuple(p for p in priority if p in bank.by_id)
    if config.review:
        config = config.model_copy(update={"n_questions": max(1, min(50, len(priority)))})
    state = SessionState(id=session_id, config=config, backend=backend, level=max(lo, min(hi, 3)),
                         priority=priority, avoid=tuple(avoid))
    total = total_questions(state, bank)
    opened = Opened(total=total, topics=config.topics, backend=backend, review=config.review,
                    due=total if config.review else 0)
    step = ask_next(state, bank)
    return Step(step.state, (opened, *step.events))


def ask_next(state: SessionState, bank: Bank) -> Step:
    answered = len(state.records)
    if answered >= state.config.n_questions:
        return finish(state)
    item = policy.next_question(bank.items, state.config, [r.item_id for r in state.records], state.level,
                                bank.by_id, state.priority, state.avoid, session_seed(state))
    if item is None:
        return finish(state)
    total = max(total_questions(state, bank), answered + 1)
    rec = QuestionRecord(item_id=item.id, question=item.question, topic=item.topic_label, topic_id=item.topic.value,
                         difficulty=item.difficulty, asked_text=item.question)
    state = state.model_copy(update={"records": (*state.records, rec), "pending_follow_up": None})
    return Step(state, (QuestionAsked(n=answered + 1, total=total, item_id=item.id, question=item.question,
                                      topic=item.topic.value, review=state.config.review),))


def finish(state: SessionState) -> Step:
    # an unanswered current question is dropped from the record, not scored
    records = tuple(r for r in state.records if r.final_score is not None)
    mean = round(sum(r.final_score or 0 for r in records) / len(records), 1) if records else 0.0
    state = state.model_copy(update={"records": records, "status": "finished", "pending_follow_up": None})
    return Step(state, (Closed(answered=len(records), mean=mean, verdict=verdict_for(mean)),))


# closing a question -----------------------------------------------------------------------------------------
def closed_event(rec: QuestionRecord, item: QuestionItem | None) -> QuestionClosed:
    score = rec.final_score or 0.0
    g = rec.grade
    wrong = tuple(Wrong(quote=f.text, correction=f.why or f.claim) for f in g.misconceptions) if g else ()
    reference = ""
    if item is not None:
        reference = item.reference_answer.strip() or "\n".join(f"- {k.text}" for k in item.key_points)
    echoed = any(fu.grade is not None and "echo" in fu.grade.flags for fu in rec.follow_ups)
    return QuestionClosed(item_id=rec.item_id, question=rec.question, score=score, verdict=verdict_for(score),
                          covered=tuple(sorted(policy.covered_points(rec), key=_order(g))) if g else (),
                          missed=tuple(policy.still_missed(rec)), wrong=wrong, reference=reference,
                          skipped=rec.skipped, hint_used=rec.hint_used, follow_ups=len(rec.follow_ups), echoed=echoed)


def _order(g: Grade | None) -> Callable[[str], int]:
    index = {k.text: n for n, k in enumerate(g.key_points)} if g else {}
    return lambda text: index.get(text, len(index))


def _close_question(state: SessionState, rec: QuestionRecord, bank: Bank) -> Step:
    score = policy.final_score(rec, HINT_SCORE_CAP)
    rec = rec.model_copy(update={"final_score": score})
    state = _replace_current(state, rec)
    state = state.model_copy(update={"level": policy.adjust_level(state.level, score, state.config.difficulty),
                                     "pending_follow_up": None})
    closed = closed_event(rec, bank.by_id.get(rec.item_id))
    nxt = ask_next(state, bank)
    return Step(nxt.state, (closed, *nxt.events))


# the candidate's commands -----------------------------------------------------------------------------------
def apply(state: SessionState, command: Command, bank: Bank, grade: GradeFn, context: ContextFn) -> Step:
    """One turn: the candidate's command → the new state and what happened."""
    if state.status != "active":
        return Step(state, (AlreadyFinished(),))
    if isinstance(command, End):
        return on_end(state)
    if state.current is None:
        return Step(state, (NoQuestion(),))
    if isinstance(command, Answer):
        return on_answer(state, command.text, bank, grade, context)
    if isinstance(command, Clarify):
        return on_clarify(state, command.text, bank)
    if isinstance(command, Skip):
        return on_skip(state, bank)
    if isinstance(command, Hint):
        return on_hint(state, bank)
    raise TypeError(f"unknown command {command!r}")


def follow_up_context(item: QuestionItem, plan: FollowUpPlan, base: GradingContext, echo_of: Sequence[str] = ()) -> GradingContext:
    """A follow-up answer is graded against the follow-up's own targets (a counter question — about
    the candidate's practice — against the item's whole reference); what the interviewer said to
    prompt it is ``echo_of``, so restating it earns nothing."""
    update: dict[str, object] = {"echo_of": tuple(e for e in echo_of if e)}
    if plan.targets:
        by_text = {p.text: p for p in base.points}
        update["points"] = tuple(
            by_text[t].model_copy(update={"id": f"fu{n + 1}"}) if t in by_text
            else ReferencePoint(id=f"fu{n + 1}", text=t, source=item.source.ref)
            for n, t in enumerate(plan.targets))
    return base.model_copy(update=update)


def last_interviewer_words(state: SessionState, item_id: str) -> tuple[str, ...]:
    """Everything the interviewer said about this question so far (question, follow-ups, hints, clarifications)."""
    return tuple(t.text for t in state.turns if t.role == "interviewer" and t.item_id == item_id
                 and t.kind in ("question", "follow_up", "hint", "clarify"))


def answer_context(state: SessionState, item: QuestionItem, context: ContextFn) -> GradingContext:
    """What the current answer is graded against: the item's reference (capped after a hint) for the
    main answer, the follow-up's targets for a follow-up answer; with everything the interviewer said
    about this question as ``echo_of``."""
    rec = state.current
    pending = state.pending_follow_up
    said = last_interviewer_words(state, item.id)
    if pending is None:
        ctx = context(item, HINT_SCORE_CAP if rec is not None and rec.hint_used else None)
        return ctx.model_copy(update={"echo_of": said})
    return follow_up_context(item, pending, context(item, None), (*said, pending.text, pending.quote))


def on_answer(state: SessionState, text: str, bank: Bank, grade: GradeFn, context: ContextFn) -> Step:
    rec = state.current
    if rec is None:
        return Step(state, (NoQuestion(),))
    item = bank.by_id[rec.item_id]
    pending = state.pending_follow_up
    g = grade(item, text, answer_context(state, item, context))
    if pending is None:
        rec = rec.model_copy(update={"grade": g})
    else:
        rec = rec.model_copy(update={"follow_ups": (*rec.follow_ups, FollowUpRecord(plan=pending, grade=g))})
    state = _heard(state, "answer", text, item.id, g)
    state = _replace_current(state, rec)
    budget_left = state.config.follow_up_budget - len(rec.follow_ups)
    latest = g if pending is not None else rec.grade
    assert latest is not None
    nxt = policy.plan_follow_up(item, latest, budget_left, [f.plan for f in rec.follow_ups], policy.covered_points(rec))
    if nxt is not None:
        state = state.model_copy(update={"pending_follow_up": nxt})
        return Step(state, (FollowUpAsked(item_id=item.id, kind=_kind(nxt), text=nxt.text, quote=nxt.quote),), g)
    step = _close_question(state, rec, bank)
    return Step(step.state, step.events, g)


def _kind(plan: FollowUpPlan) -> FollowUpKind:
    return "probe" if plan.kind == "missed" else plan.kind


def on_skip(state: SessionState, bank: Bank) -> Step:
    rec = state.current
    if rec is None:
        return Step(state, (NoQuestion(),))
    state = _heard(state, "command", "skip", rec.item_id)
    follow_up = state.pending_follow_up is not None and rec.grade is not None
    skipped = Skipped(item_id=rec.item_id, follow_up=follow_up)
    # skipping a follow-up keeps the main grade; skipping the question scores 0
    step = _close_question(state, rec if follow_up else rec.model_copy(update={"skipped": True}), bank)
    return Step(step.state, (skipped, *step.events))


def on_hint(state: SessionState, bank: Bank) -> Step:
    rec = state.current
    if rec is None:
        return Step(state, (NoQuestion(),))
    item = bank.by_id[rec.item_id]
    state = _heard(state, "command", "hint", rec.item_id)
    state = _replace_current(state, rec.model_copy(update={"hint_used": True}))
    return Step(state, (HintGiven(item_id=item.id, terms=tuple(policy.hint_terms(item)), cap=HINT_SCORE_CAP),))


def on_clarify(state: SessionState, text: str, bank: Bank) -> Step:
    """Answer a question about the question from its wording, topic and the glossary — never the
    reference. Not graded: the question stays open as it was."""
    rec = state.current
    if rec is None:
        return Step(state, (NoQuestion(),))
    item = bank.by_id[rec.item_id]
    state = _heard(state, "clarify", text, item.id)
    pending = state.pending_follow_up
    asked = pending.text if pending and pending.text else item.question
    terms = glossary_names(text) or glossary_names(item.question)
    return Step(state, (ClarifyAnswered(item_id=item.id, question=asked, topic=item.topic.value, terms=terms[:3]),))


def on_end(state: SessionState) -> Step:
    state = _heard(state, "command", "end", state.current.item_id if state.current else None)
    return finish(state)

