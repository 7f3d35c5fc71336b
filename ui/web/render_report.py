"""Pure rendering of reports and progress charts (inline SVG, everything escaped, nothing fetched)."""

from __future__ import annotations

from collections.abc import Sequence

from agent.domain import Report
from agent.report import radar_svg
from ui.web.i18n import Lang, t, verdict_text
from ui.web.render import VERDICT_CLASS, esc


def report_html(report: Report, lang: Lang = "zh") -> str:
    """The end-of-interview report: summary, radar chart by topic, per-question table, strengths, to study."""
    summary = t("report_summary", lang, answered=report.answered, mean=report.mean_score,
                verdict=verdict_text(report.verdict, lang), backend=report.backend)
    head = "".join(f"<th>{esc(t(k, lang))}</th>" for k in
                   ("col_n", "col_question", "col_topic", "col_score", "col_verdict", "col_follow_ups", "col_missed"))
    rows = []
    for n, q in enumerate(report.questions, 1):
        note = t("skipped", lang) if q.skipped else "；".join(q.missed[:3]) or "-"
        hint = t("hint_used", lang) if q.hint_used else ""
        rows.append(f'<tr><td>{n}</td><td>{esc(q.question)}</td><td>{esc(q.topic)}</td><td>{q.score:g}</td>'
                    f'<td class="{VERDICT_CLASS.get(q.verdict, "")}">{esc(verdict_text(q.verdict, lang))}{esc(hint)}</td>'
                    f"<td>{q.follow_ups}</td><td>{esc(note)}</td></tr>")
    body = "".join(rows) or f'<tr><td colspan="7">{esc(t("none", lang))}</td></tr>'
    return (f'<div class="ms-report" id="ms-report-body"><h3>{esc(t("report", lang))} <code>{esc(report.session_id)}</code></h3>'
            f"<p>{_bold(summary)}</p>"
            f'<h4>{esc(t("by_topic", lang))}</h4><div class="ms-chart">{radar_svg(report.per_topic) if report.per_topic else "-"}</div>'
            f'<h4>{esc(t("per_question", lang))}</h4><table class="ms-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            f'<h4>{esc(t("strengths", lang))}</h4>{_list(report.strengths, lang)}'
            f'<h4>{esc(t("to_study", lang))}</h4>{_list(report.to_study, lang)}</div>')


def _bold(text: str) -> str:
    """Escape, then turn the one ``**…**`` of a summary line into <b>."""
    parts = esc(text).split("**")
    return "".join(f"<b>{p}</b>" if n % 2 else p for n, p in enumerate(parts))


def _list(values: Sequence[str], lang: Lang) -> str:
    items = "".join(f"<li>{esc(v)}</li>" for v in values) or f"<li>{esc(t('none', lang))}</li>"
    return f"<ul>{items}</ul>"


def line_chart_svg(points: Sequence[tuple[str, float]], width: int = 560, height: int = 220) -> str:
    """Scores (0–10) in order as a line chart; each point's label (e.g. a date) is in its tooltip."""
    if not points:
        return ""
    left, right, top, bottom = 32, 12, 12, 28
    w, h = width - left - right, height - top - bottom
    step = w / max(len(points) - 1, 1)

    def xy(n: int, score: float) -> tuple[float, float]:
        return left + (n * step if len(points) > 1 else w / 2), top + h * (1 - max(0.0, min(10.0, score)) / 10)

    grid = "".join(f'<line x1="{left}" x2="{left + w}" y1="{top + h * (1 - v / 10):.1f}" y2="{top + h * (1 - v / 10):.1f}" '
                   f'stroke="#e5e7eb"/><text x="{left - 6}" y="{top + h * (1 - v / 10) + 4:.1f}" font-size="10" '
                   f'text-anchor="end" fill="#6b7280">{v}</text>' for v in (0, 6, 8, 10))
    coords = [xy(n, s) for n, (_, s) in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#4f7cff"><title>{esc(label)}：{score:g}</title></circle>'
                   for (x, y), (label, score) in zip(coords, points, strict=True))
    first, last = esc(points[0][0]), esc(points[-1][0])
    axis = (f'<text x="{left}" y="{height - 8}" font-size="10" fill="#6b7280">{first}</text>'
            f'<text x="{left + w}" y="{height - 8}" font-size="10" text-anchor="end" fill="#6b7280">{last}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" class="ms-line-chart">'
            f'{grid}<polyline points="{line}" fill="none" stroke="#4f7cff" stroke-width="2"/>{dots}{axis}</svg>')
