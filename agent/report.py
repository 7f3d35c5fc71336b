"""The end-of-interview report: built once from a session, rendered as Markdown, HTML or JSON.

One renderer per format, used by the CLI (``mianshi report``), the web app (the report panel and its
downloads) alike, so every place shows the same content: question text (never ids), the one final
score and verdict per question, the points still missed after the follow-ups, wrong claims with their
correction, strengths, and what to review by question and document title.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Callable

from agent import policy
from agent.domain import HINT_SCORE_CAP, QuestionSummary, Report, SessionState
from agent.grading.model import verdict_for
from agent.phrasing import TemplatePhraser, backend_label, format_score, verdict_label
from knowledge.schema import QuestionItem
from knowledge.topics import topic_label

LABELS: dict[str, tuple[str, str]] = {
    "title": ("模拟面试报告", "Mock interview report"),
    "when": ("时间", "Date"), "examiner": ("考官", "Examiner"), "status": ("状态", "Status"),
    "done": ("已完成", "finished"), "open": ("未完成", "not finished"),
    "summary": ("作答 {answered} 题，平均 {mean} 分（{verdict}）", "{answered} answered, mean {mean} ({verdict})"),
    "by_topic": ("各方向得分", "Score by topic"), "per_question": ("逐题", "Per question"),
    "n": ("#", "#"), "question": ("题目", "Question"), "topic": ("方向", "Topic"), "score": ("得分", "Score"),
    "verdict": ("评级", "Verdict"), "follow_ups": ("追问", "Follow-ups"), "missed": ("还缺的要点", "Still missing"),
    "wrong": ("说错的地方", "Wrong claims"),
    "strengths": ("优势", "Strengths"), "to_study": ("建议复习", "To review"), "skipped": ("跳过", "skipped"),
    "hint": ("（用过提示）", " (hint used)"), "none": ("无", "none"),
    "chart": ("各方向得分图", "Score by topic chart"),
}


def label(key: str, lang: str, **values: object) -> str:
    zh, en = LABELS[key]
    return (en if lang == "en" else zh).format(**values)


def scoring_rule(lang: str) -> str:
    """How a question's one score is made, in the interviewer's own words (prompts/say_*_scoring_rule.md)."""
    return TemplatePhraser().say("scoring_rule", lang, cap=format_score(HINT_SCORE_CAP))


def build_report(state: SessionState, item: Callable[[str], QuestionItem | None] = lambda _id: None) -> Report:
    done = [r for r in state.records if r.final_score is not None]
    questions = []
    by_topic: dict[str, list[float]] = defaultdict(list)
    lang = state.config.language
    for r in done:
        g = r.grade
        it = item(r.item_id)
        topic = topic_label(r.topic_id, lang) if r.topic_id else r.topic
        score = r.final_score or 0.0
        wrong = tuple(f"「{f.text}」——{f.why or f.claim}" for f in g.misconceptions) if g else ()
        questions.append(QuestionSummary(
            item_id=r.item_id, question=r.question, topic=topic, score=score, verdict=verdict_for(score),
            missed=tuple(policy.still_missed(r)), covered=tuple(sorted(policy.covered_points(r))), wrong=wrong,
            follow_ups=len(r.follow_ups), hint_used=r.hint_used, skipped=r.skipped,
            document=it.source.doc if it else "", references=g.references if g else ()))
        by_topic[topic].append(score)
    mean = round(sum(q.score for q in questions) / len(questions), 1) if questions else 0.0
    per_topic = {t: round(sum(v) / len(v), 1) for t, v in by_topic.items()}
    strengths = tuple(f"{q.question}（{format_score(q.score)}）" for q in sorted(questions, key=lambda q: -q.score)
                      if q.score >= policy.STRONG)
    to_study = tuple(dict.fromkeys(
        f"{q.question} — {q.document}" if q.document else q.question
        for q in sorted(questions, key=lambda q: q.score) if q.score < 7.0))
    return Report(session_id=state.id, created_at=state.created_at, finished=state.status == "finished",
                  backend=state.backend, language=lang, answered=len(questions), mean_score=mean, verdict=verdict_for(mean),
                  per_topic=per_topic, questions=tuple(questions), strengths=strengths, to_study=to_study)


def _note(q: QuestionSummary, lang: str) -> str:
    if q.skipped:
        return label("skipped", lang)
    return "；".join(q.missed[:4]) or "-"


def to_markdown(report: Report) -> str:
    lang = report.language
    status = label("done" if report.finished else "open", lang)
    lines = [f"# {label('title', lang)} {report.session_id}", "",
             f"- {label('when', lang)}：{report.created_at}　{label('examiner', lang)}：{backend_label(report.backend, lang)}　"
             f"{label('status', lang)}：{status}",
             "- " + label("summary", lang, answered=report.answered, mean=f"**{format_score(report.mean_score)}**",
                          verdict=verdict_label(report.verdict, lang)),
             f"- {scoring_rule(lang)}", "", f"## {label('by_topic', lang)}", ""]
    lines += [f"- {t}：{format_score(s)}" for t, s in sorted(report.per_topic.items(), key=lambda kv: kv[1])]
    cols = [label(k, lang) for k in ("n", "question", "topic", "score", "verdict", "follow_ups", "missed", "wrong")]
    lines += ["", f"## {label('per_question', lang)}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for n, q in enumerate(report.questions, 1):
        verdict = verdict_label(q.verdict, lang) + (label("hint", lang) if q.hint_used else "")
        lines.append(f"| {n} | {_md(q.question)} | {_md(q.topic)} | {format_score(q.score)} | {verdict} | {q.follow_ups} "
                     f"| {_md(_note(q, lang))} | {_md('；'.join(q.wrong) or '-')} |")
    lines += ["", f"## {label('strengths', lang)}", ""] + ([f"- {_md(s)}" for s in report.strengths] or [f"- {label('none', lang)}"])
    lines += ["", f"## {label('to_study', lang)}", ""] + ([f"- {_md(s)}" for s in report.to_study] or [f"- {label('none', lang)}"])
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _text_width(text: str, font_px: float = 13) -> float:
    """About how wide ``text`` is drawn: a CJK character is one em, anything else about 0.6 em."""
    return sum(font_px if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 0.6 * font_px for ch in text)


def radar_svg(per_topic: dict[str, float], size: int = 420, lang: str = "zh") -> str:
    """Mean score by topic as inline SVG: a radar chart with a 0–10 scale and full labels, or a bar
    chart when there are fewer than 3 topics."""
    e = html.escape
    items = sorted(per_topic.items())
    aria = e(label("chart", lang))
    if len(items) < 3:
        width = 520
        bars = "".join(
            f'<text x="0" y="{34 + 34 * n}" font-size="13">{e(t)}</text>'
            f'<rect x="200" y="{20 + 34 * n}" width="{s * 26:.0f}" height="18" rx="3" fill="#3b6fd8"/>'
            f'<text x="{206 + s * 26:.0f}" y="{34 + 34 * n}" font-size="13">{format_score(s)}</text>'
            for n, (t, s) in enumerate(items))
        scale = "".join(f'<text x="{200 + v * 26}" y="12" font-size="10" text-anchor="middle" fill="#6b7280">{v}</text>'
                        for v in (0, 5, 10))
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {30 + 34 * len(items)}" width="100%" '
                f'style="max-width:{width}px" role="img" aria-label="{aria}">{scale}{bars}</svg>')
    # room beside the circle for the longest label (its name and score), so no label is cut at the edge
    pad = max(120.0, max(_text_width(f"{t} {format_score(v)}") for t, v in items) + 24)
    c, r = size / 2 + pad, size / 2 - 20
    pts, axes, labels = [], [], []
    for n, (t, s) in enumerate(items):
        a = 2 * math.pi * n / len(items) - math.pi / 2
        x, y = c + r * math.cos(a), c + r * math.sin(a)
        axes.append(f'<line x1="{c}" y1="{c}" x2="{x:.1f}" y2="{y:.1f}" stroke="#cbd5e1"/>')
        anchor = "middle" if abs(math.cos(a)) < 0.3 else ("start" if math.cos(a) > 0 else "end")
        lx, ly = c + (r + 14) * math.cos(a), c + (r + 14) * math.sin(a) + 4
        labels.append(f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="13" text-anchor="{anchor}">{e(t)} '
                      f'<tspan font-weight="bold">{format_score(s)}</tspan></text>')
        pts.append(f"{c + r * s / 10 * math.cos(a):.1f},{c + r * s / 10 * math.sin(a):.1f}")
    rings = "".join(f'<circle cx="{c}" cy="{c}" r="{r * k / 5:.1f}" fill="none" stroke="#e2e8f0"/>'
                    f'<text x="{c + 3}" y="{c - r * k / 5 + 11:.1f}" font-size="10" fill="#64748b">{2 * k}</text>'
                    for k in range(1, 6))
    full = 2 * c
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {full:.0f} {full:.0f}" width="100%" '
            f'style="max-width:{full:.0f}px" role="img" aria-label="{aria}">'
            f'{rings}{"".join(axes)}<polygon points="{" ".join(pts)}" fill="rgba(59,111,216,.28)" stroke="#3b6fd8"/>'
            f'{"".join(labels)}</svg>')


def html_body(report: Report) -> str:
    """The report as an HTML fragment (everything escaped) — the web panel and the downloadable page."""
    e = html.escape
    lang = report.language
    status = label("done" if report.finished else "open", lang)
    cols = "".join(f"<th>{e(label(k, lang))}</th>" for k in
                   ("n", "question", "topic", "score", "verdict", "follow_ups", "missed", "wrong"))
    rows = "".join(
        f"<tr><td>{n}</td><td>{e(q.question)}</td><td>{e(q.topic)}</td><td>{format_score(q.score)}</td>"
        f"<td>{e(verdict_label(q.verdict, lang))}{e(label('hint', lang)) if q.hint_used else ''}</td><td>{q.follow_ups}</td>"
        f"<td>{e(_note(q, lang))}</td><td>{e('；'.join(q.wrong) or '-')}</td></tr>"
        for n, q in enumerate(report.questions, 1)) or f'<tr><td colspan="8">{e(label("none", lang))}</td></tr>'
    summary = label("summary", lang, answered=report.answered, mean=f"\x00{format_score(report.mean_score)}\x01",
                    verdict=verdict_label(report.verdict, lang))
    summary = e(summary).replace("\x00", "<b>").replace("\x01", "</b>")

    def items(values: tuple[str, ...]) -> str:
        return "".join(f"<li>{e(s)}</li>" for s in values) or f"<li>{e(label('none', lang))}</li>"

    return (f'<div class="ms-report" id="ms-report-body"><h2>{e(label("title", lang))}</h2>'
            f"<p>{e(report.session_id)} · {e(report.created_at)} · {e(label('examiner', lang))}：{e(backend_label(report.backend, lang))} · {e(status)}</p>"
            f"<p>{summary}</p><p class=\"ms-rule\">{e(scoring_rule(lang))}</p>"
            f"<h3>{e(label('by_topic', lang))}</h3><div class=\"ms-chart\">{radar_svg(report.per_topic, lang=lang) if report.per_topic else '-'}</div>"
            f'<h3>{e(label("per_question", lang))}</h3><table class="ms-table"><thead><tr>{cols}</tr></thead><tbody>{rows}</tbody></table>'
            f"<h3>{e(label('strengths', lang))}</h3><ul>{items(report.strengths)}</ul>"
            f"<h3>{e(label('to_study', lang))}</h3><ul>{items(report.to_study)}</ul></div>")


def to_html(report: Report) -> str:
    e = html.escape
    lang = report.language
    return f"""<!doctype html><html lang="{'en' if lang == 'en' else 'zh-CN'}"><head><meta charset="utf-8">
<title>{e(label('title', lang))} {e(report.session_id)}</title>
<style>body{{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:1080px;margin:2em auto;padding:0 1em;color:#1f2937}}
table{{border-collapse:collapse;width:100%;table-layout:fixed}}td,th{{border:1px solid #e5e7eb;padding:6px;vertical-align:top;overflow-wrap:anywhere}}
th{{background:#f3f6fb}}th:nth-child(1){{width:2em}}th:nth-child(4),th:nth-child(5),th:nth-child(6){{width:5em}}</style>
</head><body>{html_body(report)}</body></html>"""


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=1)
