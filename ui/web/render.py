"""Pure rendering of the interview for the browser: chat messages, the scorecard and bank items.

Every piece of text that comes from a user, a document or a model is escaped here (``html.escape``)
before it reaches an HTML component, and chat text is escaped for Markdown too, so an answer such as
``<script>alert(1)</script>`` is shown as text and never runs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from agent.domain import Turn
from agent.grading.model import Grade, KeyPointResult, verdict_for
from agent.phrasing import format_score, grader_label
from knowledge.material import document_titles
from knowledge.schema import QuestionItem
from knowledge.topics import topic_label
from ui.web.i18n import Lang, flag_text, t, verdict_text

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")
RANK = {"covered": 3, "partial": 2, "missed": 1}
MARK = {"covered": "✓", "partial": "△", "missed": "✗"}
VERDICT_CLASS = {"优秀": "ms-v-excellent", "良好": "ms-v-good", "及格": "ms-v-pass", "不及格": "ms-v-fail"}


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def plain_md(text: str) -> str:
    """Text for a Markdown component, shown literally: HTML escaped and Markdown syntax backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


COMMAND_TURNS = ("skip", "hint", "end")


def chat_messages(turns: Sequence[Turn], lang: Lang = "zh") -> list[dict[str, str]]:
    """The chat as Gradio messages: the interviewer speaks as the assistant, the candidate as the user;
    a button press (skip / hint / end) shows as the button's label."""
    out = []
    for turn in turns:
        text = t(turn.text, lang) if turn.kind == "command" and turn.text in COMMAND_TURNS else turn.text
        if text.strip():
            out.append({"role": "assistant" if turn.role == "interviewer" else "user", "content": plain_md(text)})
    return out


# evidence highlighting -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """A run of the answer that is evidence for key points (``start``/``end`` index the answer string)."""

    start: int
    end: int
    verdict: str
    points: tuple[str, ...]


def locate(answer: str, evidence: str) -> tuple[int, int] | None:
    """Where a (verbatim) evidence quote sits in the answer: exact first, then ignoring case."""
    quote = evidence.strip()
    if not quote:
        return None
    at = answer.find(quote)
    if at < 0:
        lowered = answer.lower()
        if len(lowered) == len(answer):  # lower() keeps offsets for this text
            at = lowered.find(quote.lower())
    return (at, at + len(quote)) if at >= 0 else None


def highlight_spans(answer: str, key_points: Sequence[KeyPointResult]) -> list[Span]:
    """Non-overlapping spans of the answer covered by evidence, left to right. Where quotes overlap the
    stronger verdict wins (covered > partial > missed) and the span names every point it supports."""
    found = [(where, k) for k in key_points if k.evidence and (where := locate(answer, k.evidence)) is not None]
    cuts = sorted({p for (s, e), _ in found for p in (s, e)})
    spans: list[Span] = []
    for a, b in pairwise(cuts):
        cover = [k for (s, e), k in found if s <= a and b <= e]
        if not cover:
            continue
        verdict = max(cover, key=lambda k: RANK.get(k.verdict, 0)).verdict
        ids = tuple(dict.fromkeys(k.id for k in cover))
        last = spans[-1] if spans else None
        if last is not None and last.end == a and last.verdict == verdict and last.points == ids:
            spans[-1] = Span(last.start, b, verdict, ids)
        else:
            spans.append(Span(a, b, verdict, ids))
    return spans


def highlighted_answer(answer: str, key_points: Sequence[KeyPointResult], lang: Lang = "zh") -> str:
    """The escaped answer with each evidence span wrapped in ``<mark>`` (class by verdict, title = points)."""
    texts = {k.id: k.text for k in key_points}
    out: list[str] = []
    pos = 0
    for span in highlight_spans(answer, key_points):
        out.append(esc(answer[pos:span.start]))
        title = "；".join(f"{t(span.verdict, lang)}: {texts.get(p, p)}" for p in span.points)
        out.append(f'<mark class="ms-ev ms-{span.verdict}" data-points="{esc(" ".join(span.points))}" '
                   f'title="{esc(title)}">{esc(answer[span.start:span.end])}</mark>')
        pos = span.end
    out.append(esc(answer[pos:]))
    return "".join(out)


# the scorecard -------------------------------------------------------------------------------------------
def empty_scorecard(lang: Lang = "zh") -> str:
    return f'<div class="ms-card ms-empty">{esc(t("no_grade", lang))}</div>'


def open_scorecard(lang: Lang = "zh") -> str:
    """While a question is still open (a follow-up is pending) nothing is scored or revealed yet."""
    return f'<div class="ms-card ms-empty" id="ms-scorecard-open">{esc(t("question_open", lang))}</div>'


def scorecard_html(answer: str, grade: Grade, item: QuestionItem | None, reveal: bool, lang: Lang = "zh",
                   follow_up: bool = False, final_score: float | None = None, won_back: Sequence[str] = ()) -> str:
    """A closed question: its one final score and verdict (``final_score``, main answer + follow-ups; the
    answer's own grade when not given), the main answer with evidence highlighted, key points by verdict
    (points ``won_back`` in a follow-up count as covered), wrong claims, flags, feedback, and the
    reference answer once ``reveal`` (the question is closed)."""
    score = grade.score if final_score is None else final_score
    verdict = verdict_for(score)
    if won_back:
        grade = grade.model_copy(update={"key_points": tuple(
            k.model_copy(update={"verdict": "covered"}) if k.text in won_back else k for k in grade.key_points)})
    verdict_class = VERDICT_CLASS.get(verdict, "")
    parts = [
        '<div class="ms-card" id="ms-scorecard-body">',
        f'<div class="ms-score"><span class="ms-score-label">{esc(t("score", lang))}</span> '
        f'<span class="ms-score-num">{format_score(score)}</span><span class="ms-score-max">/10</span> '
        f'<span class="ms-verdict {verdict_class}">{esc(verdict_text(verdict, lang))}</span></div>',
    ]
    if item is not None:
        parts.append(f'<div class="ms-question">{esc(item.question)}</div>')
    parts.append(f'<h4>{esc(t("follow_up_answer" if follow_up else "your_answer", lang))}</h4>'
                 f'<div class="ms-answer">{highlighted_answer(answer, grade.key_points, lang)}</div>')
    if grade.key_points:
        rows = "".join(
            f'<li class="ms-kp ms-{k.verdict}"><span class="ms-kp-mark">{MARK.get(k.verdict, "")} '
            f'{esc(t(k.verdict, lang))}</span> {esc(k.text)}'
            + (f'<div class="ms-kp-ev">「{esc(k.evidence)}」</div>' if k.evidence else "") + "</li>"
            for k in sorted(grade.key_points, key=lambda k: -RANK.get(k.verdict, 0)))
        counts = " · ".join(f"{t(v, lang)} {sum(1 for k in grade.key_points if k.verdict == v)}"
                            for v in ("covered", "partial", "missed"))
        parts.append(f'<h4>{esc(t("key_points", lang))} <small>{esc(counts)}</small></h4><ul class="ms-kps">{rows}</ul>')
    if grade.misconceptions:
        parts.append(f'<h4>{esc(t("wrong_claims", lang))}</h4><ul class="ms-wrong">'
                     + "".join(f"<li>「{esc(f.text)}」— {esc(f.why or f.claim)}</li>" for f in grade.misconceptions) + "</ul>")
    if grade.pitfalls_hit:
        parts.append(f'<h4>{esc(t("pitfalls", lang))}</h4><ul class="ms-pitfalls">'
                     + "".join(f"<li>{esc(p)}</li>" for p in grade.pitfalls_hit) + "</ul>")
    if grade.flags:
        parts.append(f'<h4>{esc(t("flags", lang))}</h4><div class="ms-flags">'
                     + "".join(f'<span class="ms-flag">{esc(flag_text(f, lang))}</span>' for f in grade.flags) + "</div>")
    if grade.feedback:
        parts.append(f'<h4>{esc(t("feedback", lang))}</h4>'
                     f'<div class="ms-feedback">{esc(readable_references(grade.feedback, item, lang))}</div>')
    parts.append(reference_html(item, reveal, lang))
    if grade.references:
        refs = [readable_references(r, item, lang) for r in grade.references]
        parts.append(f'<div class="ms-refs">{esc(t("references", lang))}：{esc("；".join(dict.fromkeys(refs)))}</div>')
    parts.append(f'<div class="ms-grader">{esc(t("grader", lang))}：{esc(grader_label(grade.grader, lang))} · {esc(grade.grader_version)}</div>')
    parts.append("</div>")
    return "".join(parts)


bundled_titles = cache(document_titles)
_REF = re.compile(r"[\w.-]+[:@]\w+（")
_FILE_LINE = re.compile(r"(?P<file>[\w.-]+\.(?:txt|md|markdown)) 第 (?P<line>\d+) 行")


def readable_references(text: str, item: QuestionItem | None, lang: Lang = "zh") -> str:
    """Source references in a grade's text as people read them: the document's title and the line,
    never a short code or a stored file name — ``001:30（面试高频问答（…） 第 107 行）`` becomes
    ``面试高频问答（…） · 第 107 行`` and ``000_61e2….txt 第 86 行`` becomes ``Week 1 … · 第 86 行``."""
    out, pos = [], 0
    while (m := _REF.search(text, pos)) is not None:
        depth, end = 1, m.end()
        while end < len(text) and depth:
            depth += {"（": 1, "）": -1}.get(text[end], 0)
            end += 1
        inner = text[m.end():end - 1] if depth == 0 else ""
        cited = re.fullmatch(r"(?P<doc>.+) 第 (?P<line>\d+) 行", inner)
        if cited is None:
            out.append(text[pos:m.end()])
            pos = m.end()
            continue
        out.append(text[pos:m.start()] + f"{cited['doc']} · {t('line_of', lang, line=cited['line'])}")
        pos = end
    text = "".join(out) + text[pos:]
    titles = {**bundled_titles(), **({item.source.file: item.source.doc} if item else {})}
    return _FILE_LINE.sub(lambda f: f"{titles.get(f['file'], f['file'])} · {t('line_of', lang, line=f['line'])}", text)


def reference_html(item: QuestionItem | None, reveal: bool, lang: Lang = "zh") -> str:
    title = f'<h4>{esc(t("reference", lang))}</h4>'
    if not reveal:
        return f'{title}<div class="ms-ref-hidden">{esc(t("reference_later", lang))}</div>'
    if item is None or not item.has_reference:
        return f'{title}<div class="ms-ref-none">{esc(t("no_reference", lang))}</div>'
    if item.reference_answer.strip():
        body = f'<div class="ms-ref-text">{esc(item.reference_answer.strip())}</div>'
    else:
        body = '<ol class="ms-ref-points">' + "".join(f"<li>{esc(k.text)}</li>" for k in item.key_points) + "</ol>"
    return f'{title}<div class="ms-reference">{body}</div>'


# bank items ----------------------------------------------------------------------------------------------
def item_html(item: QuestionItem, lang: Lang = "zh") -> str:
    meta = [f'{esc(t("col_id", lang))} <code>{esc(item.id)}</code>',
            f'{esc(t("topic", lang))}：{esc(topic_label(item.topic, lang))}',
            f'{esc(t("difficulty", lang))}：{item.difficulty}',
            f'{esc(t("source", lang))}：{esc(item.source.doc)} · {esc(t("line_of", lang, line=item.source.line))}'
            f'（{esc(item.source.ref)}）']
    if item.companies:
        meta.append(f'{esc(t("company", lang))}：{esc("、".join(item.companies))}')
    parts = ['<div class="ms-item">', f'<h3 class="ms-item-q">{esc(item.question)}</h3>',
             '<div class="ms-meta">' + " · ".join(meta) + "</div>"]
    if item.tags:
        parts.append('<div class="ms-tags">' + "".join(f'<span class="ms-tag">{esc(x)}</span>' for x in item.tags) + "</div>")
    parts.append(reference_html(item, True, lang))
    if item.key_points and item.reference_answer.strip():  # otherwise the reference above is the key points
        parts.append(f'<h4>{esc(t("key_points", lang))}</h4><ol class="ms-ref-points">'
                     + "".join(f"<li>{esc(k.text)}</li>" for k in item.key_points) + "</ol>")
    sections = ((t("follow_ups", lang), [f.text for f in item.follow_ups]), (t("pitfalls", lang), [p.text for p in item.pitfalls]))
    for title, texts in sections:
        if texts:
            parts.append(f"<h4>{esc(title)}</h4><ul>" + "".join(f"<li>{esc(x)}</li>" for x in texts) + "</ul>")
    if item.code:
        parts.append(f'<h4>{esc(t("code", lang))}</h4>' + "".join(f"<pre><code>{esc(c)}</code></pre>" for c in item.code))
    parts.append("</div>")
    return "".join(parts)


def message_html(text: str, kind: str = "info") -> str:
    """A short status line (escaped) for an HTML component."""
    return f'<div class="ms-msg ms-msg-{esc(kind)}">{esc(text)}</div>'
