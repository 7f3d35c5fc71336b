"""Follow-up questions that lead toward what is missing without saying it.

An item with authored material has a probe per key point (written so it shares no long run with the
point). Without one, the follow-up is built from the point's *topic*: a term the point and the
question share (so naming it reveals nothing the question did not), or the item's topic. The point's
own text is never spoken. :func:`leaks` is the check every follow-up and every LLM phrasing passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from knowledge.glossary import GROUPS, TermMatcher
from knowledge.schema import KeyPoint, QuestionItem

CJK = re.compile(r"[\u3400-\u9fff]")
"""Chinese characters (CJK unified ideographs and extension A)."""
LEAK_RUN = 10
"""A phrasing that shares a run of this many characters with the reference leaks it."""


def _compact(text: str) -> str:
    return "".join(text.split()).lower()


def shared_run(a: str, b: str, n: int = LEAK_RUN) -> str:
    """The first run of ``n`` characters (whitespace ignored) that ``a`` and ``b`` share, or ''."""
    a, b = _compact(a), _compact(b)
    if len(a) < n or len(b) < n:
        return ""
    grams = {b[i:i + n] for i in range(len(b) - n + 1)}
    return next((a[i:i + n] for i in range(len(a) - n + 1) if a[i:i + n] in grams), "")


def leaks(text: str, secrets: Iterable[str], allowed: Iterable[str] = (), n: int = LEAK_RUN) -> str:
    """A run of ``text`` found in one of ``secrets`` (the reference, key points) and not explained by
    ``allowed`` (the question, the candidate's own words); '' when nothing leaks."""
    allowed = [_compact(a) for a in allowed if a]
    for secret in secrets:
        run = shared_run(text, secret, n)
        while run:
            if not any(run in a for a in allowed):
                return run
            # this run is allowed; look for another one after it
            text = _compact(text).replace(run, "\x00")
            run = shared_run(text, secret, n)
    return ""


def secrets_of(item: QuestionItem) -> list[str]:
    """What a follow-up must never read out: the reference answer and the key points."""
    return [item.reference_answer, *(k.text for k in item.key_points), *item.document_points]


def topic_term(item: QuestionItem, point: KeyPoint) -> str:
    """A term shared by the point and the question (safe to say: the question already said it)."""
    matcher = _matcher()
    for g in sorted(matcher.groups_in(point.text) & matcher.groups_in(item.question)):
        names = GROUPS[g]
        return next((n for n in names if n.lower() in item.question.lower()), names[0])
    return ""


@lru_cache(maxsize=1)
def _matcher() -> TermMatcher:
    return TermMatcher(GROUPS)


def glossary_names(text: str) -> tuple[tuple[str, ...], ...]:
    """The glossary groups a text mentions, each as its names (for clarifying a term)."""
    return tuple(GROUPS[g] for g in sorted(_matcher().groups_in(text)))


def display_term(term: str, lang: str) -> str:
    """A domain term as the session's language prefers it: in English, its first Latin-script name."""
    if lang != "en" or not CJK.search(term):
        return term
    for names in glossary_names(term):
        latin = next((n for n in names if not CJK.search(n)), "")
        if latin:
            return latin
    return term
