"""Events → the interviewer's words, in the session's language (templates in prompts/say_{zh,en}_*.md).

This is the only place interviewer text is made. Bank content (question text, a hint's terms, the
candidate's quoted words, the reference shown after a question closes) is inserted as data; every
follow-up is checked with :func:`agent.probes.leaks` so it never reads out the reference or a missed
point (no shared run of 10 characters, not even through a term the question uses) — a follow-up
that would is replaced by one built from the topic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import prompts
from agent.domain import HINT_SCORE_CAP
from agent.events import (
    AlreadyFinished,
    ClarifyAnswered,
    Closed,
    Event,
    FollowUpAsked,
    HintGiven,
    Message,
    NoQuestion,
    Opened,
    QuestionAsked,
    QuestionClosed,
    Skipped,
)
from agent.probes import CJK, display_term, leaks, secrets_of, topic_term
from agent.settings import OFFLINE_EXAMINER
from knowledge.schema import QuestionItem
from knowledge.topics import topic_label

Lang = str
VERDICTS_EN = {"优秀": "excellent", "良好": "good", "及格": "pass", "不及格": "fail"}
QUOTE_LIMIT = 60


MESSAGE_FLAGS: dict[str, tuple[str, str]] = {
    "phrase_fallback": ("大模型的措辞没有通过检查，已改用模板", "the LLM's wording failed validation; the template was used"),
    "phrase_leak": ("它会泄露参考答案", "it would have revealed the reference"),
    "phrase_missing_follow_up": ("它漏掉了要问的追问", "it left out the follow-up question"),
    "phrase_too_long": ("它太长", "it was too long"),
    "phrase_empty": ("它是空的", "it was empty"),
    "phrase_language": ("语言不对", "it was in the wrong language"),
    "phrase_error": ("调用失败", "the call failed"),
    "agent_no_tool": ("大模型没有调用评分工具，本轮由离线引擎评分和措辞", "the LLM called no grading tool; the engine graded and phrased this turn"),
}
"""How an interviewer message was made (Turn.flags), per language."""


def message_flag_text(flags: Sequence[str], lang: Lang) -> str:
    """One line explaining a message's flags, e.g. "大模型的措辞没有通过检查，已改用模板（它会泄露参考答案）"."""
    labels = [MESSAGE_FLAGS[f][1 if lang == "en" else 0] for f in flags if f in MESSAGE_FLAGS]
    if not labels:
        return ""
    head, reasons = labels[0], labels[1:]
    if not reasons:
        return head
    return f"{head} ({', '.join(reasons)})" if lang == "en" else f"{head}（{'、'.join(reasons)}）"


def format_score(score: float) -> str:
    """Every score the user sees, formatted one way: one decimal."""
    return f"{score:.1f}"


def verdict_label(verdict: str, lang: Lang) -> str:
    return VERDICTS_EN.get(verdict, verdict) if lang == "en" else verdict


def backend_label(backend: str, lang: Lang) -> str:
    """The examiner's name in the session's language (settings name it in Chinese)."""
    if lang != "en":
        return backend
    if backend.startswith("离线考官"):  # older sessions recorded other wordings of the offline examiner
        return "Offline examiner (rule-based grading)"
    return "LLM " + backend.removeprefix("大模型 ") if backend.startswith("大模型 ") else backend


def grader_label(name: str, lang: Lang = "zh") -> str:
    """How a grade's grader is named to people: the offline rubric, or the LLM by its model."""
    if name == "rubric":
        return backend_label(OFFLINE_EXAMINER, lang)
    if name.startswith("llm:"):
        return backend_label("大模型 " + name[4:], lang)
    return name


def _join(items: Sequence[str], lang: Lang) -> str:
    return (", " if lang == "en" else "、").join(items)


def _names(group: Sequence[str], lang: Lang) -> list[str]:
    """A glossary group's names for the session's language (English: Latin-script names only)."""
    if lang != "en":
        return list(group)
    return [n for n in group if not CJK.search(n)]


@dataclass(frozen=True)
class PhraseContext:
    lang: Lang
    seed: int
    item: Callable[[str], QuestionItem | None]


class TemplatePhraser:
    """The offline phrasing: instant, deterministic per session and turn."""

    name = "template"

    def say(self, name: str, lang: Lang, seed: int = 0, **values: object) -> str:
        return prompts.render(f"say_{'en' if lang == 'en' else 'zh'}_{name}", seed=seed, **values)

    def phrase(self, events: Sequence[Event], pc: PhraseContext) -> list[Message]:
        return [m for n, e in enumerate(events) for m in self.message(e, pc, pc.seed + n)]

    def message(self, event: Event, pc: PhraseContext, seed: int) -> list[Message]:
        lang = pc.lang
        if isinstance(event, Opened):
            rule = self.say("scoring_rule", lang, cap=format_score(HINT_SCORE_CAP))
            if event.review:
                head = self.say("opening_review", lang, total=event.total, backend=backend_label(event.backend, lang))
            else:
                topics = _join([topic_label(t, lang) for t in event.topics], lang) if event.topics else (
                    "the whole question bank" if lang == "en" else "全部题库")
                head = self.say("opening", lang, total=event.total, topics=topics, backend=backend_label(event.backend, lang))
            return [Message("opening", f"{head}\n{rule}")]
        if isinstance(event, QuestionAsked):
            text = self.say("question", lang, seed, n=event.n, total=event.total, topic=topic_label(event.topic, lang),
                            question=event.question)
            return [Message("question", text, event.item_id, must_contain=event.question)]
        if isinstance(event, FollowUpAsked):
            return [self.follow_up(event, pc, seed)]
        if isinstance(event, HintGiven):
            hints = list(dict.fromkeys(display_term(x, lang) for x in event.terms))
            text = (self.say("hint", lang, hints=_join(hints, lang), cap=format_score(event.cap)) if hints
                    else self.say("hint_plain", lang, cap=format_score(event.cap)))
            return [Message("hint", text, event.item_id)]
        if isinstance(event, ClarifyAnswered):
            terms = "".join(self.say("clarify_term", lang, term=names[0], names=_join(names[1:4], lang))
                            for names in (_names(g, lang) for g in event.terms) if len(names) > 1)
            text = self.say("clarify", lang, question=event.question, topic=topic_label(event.topic, lang), terms=terms)
            return [Message("clarify", text, event.item_id)]
        if isinstance(event, Skipped):
            return [Message("skip", self.say("skip_follow_up" if event.follow_up else "skip", lang), event.item_id)]
        if isinstance(event, QuestionClosed):
            return [Message("feedback", self.closed(event, lang), event.item_id)]
        if isinstance(event, Closed):
            return [Message("closing", self.say("closing", lang, answered=event.answered, mean=format_score(event.mean),
                                                verdict=verdict_label(event.verdict, lang)))]
        if isinstance(event, AlreadyFinished):
            return [Message("notice", self.say("finished", lang))]
        if isinstance(event, NoQuestion):
            return [Message("notice", self.say("no_question", lang))]
        raise TypeError(f"no phrasing for {event!r}")

    def follow_up(self, event: FollowUpAsked, pc: PhraseContext, seed: int) -> Message:
        lang = pc.lang
        item = pc.item(event.item_id)
        must = ""
        if event.kind == "challenge":
            quote = event.quote if len(event.quote) <= QUOTE_LIMIT else event.quote[:QUOTE_LIMIT] + "…"
            text, must = self.say("challenge", lang, seed, quote=quote), quote
        elif event.kind == "counter":
            text, must = self.say("counter", lang, seed, counter=event.text), event.text
        elif event.kind == "pitfall":
            text = self.say("pitfall", lang, seed, pitfall=event.text)
        elif event.text:
            text, must = self.say("probe", lang, seed, probe=event.text), event.text
        else:
            text = self.built_probe(item, lang, seed)
        if item is not None and event.kind != "challenge" and leaks(text, secrets_of(item)):
            text, must = self.built_probe(item, lang, seed), ""
        return Message("follow_up", text, event.item_id, must_contain=must)

    def built_probe(self, item: QuestionItem | None, lang: Lang, seed: int) -> str:
        """A follow-up from the missed point's topic: a term the question already uses, else the topic.
        Strict: even a term of the question is dropped when it would repeat 10 characters of the reference."""
        if item is not None:
            for k in item.key_points:
                term = topic_term(item, k)
                text = self.say("probe_term", lang, seed, term=display_term(term, lang)) if term else ""
                if text and not leaks(text, secrets_of(item)):
                    return text
        return self.say("probe_topic", lang, seed, topic=topic_label(item.topic if item else "open", lang))

    def closed(self, event: QuestionClosed, lang: Lang) -> str:
        if event.skipped:
            lines = [self.say("closed_skipped", lang)]
        else:
            lines = [self.say("closed", lang, score=format_score(event.score), verdict=verdict_label(event.verdict, lang))]
            if event.covered:
                lines.append(self.say("closed_covered", lang, points=_join(event.covered, lang)))
            if event.missed:
                lines.append(self.say("closed_missed", lang, points=_join(event.missed, lang)))
            lines += [self.say("closed_wrong", lang, quote=w.quote, correction=w.correction) for w in event.wrong]
            if event.echoed:
                lines.append(self.say("closed_echo", lang))
            if event.hint_used:
                lines.append(self.say("closed_hint", lang, cap=format_score(HINT_SCORE_CAP)))
        if event.reference:
            lines.append(self.say("closed_reference", lang, reference=event.reference))
        return "\n".join(lines)
