"""Pure rendering of reports and progress charts (inline SVG, everything escaped, nothing fetched)."""

from __future__ import annotations

from collections.abc import Sequence

from agent.domain import Report
from agent.report import html_body
from ui.web.i18n import Lang, t
from ui.web.render import esc


def report_html(report: Report, lang: Lang = "zh") -> str:
    """The end-of-interview report (the one renderer in agent.report), in the UI's language."""
    return html_body(report.model_copy(update={"language": lang}))


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
