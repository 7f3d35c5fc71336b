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


def line_chart_svg(points: Sequence[tuple[str, float]], width: int = 460, height: int = 200) -> str:
    """Scores (0–10) in order as a line chart; each point's label (e.g. a date) is in its tooltip."""
    if not points:
        return ""
    left, right, top, bottom = 32, 12, 12, 28
    w, h = width - left - right, height - top - bottom
    step = w / max(len(points) - 1, 1)

    def xy(n: int, score: float) -> tuple[float, float]:
        return left + (n * step if len(points) > 1 else w / 2), top + h * (1 - max(0.0, min(10.0, score)) / 10)

    grid = "".join(f'<line x1="{left}" x2="{left + w}" y1="{top + h * (1 - v / 10):.1f}" y2="{top + h * (1 - v / 10):.1f}" '
                   f'stroke="#e5e7eb"/><text x="{left - 6}" y="{top + h * (1 - v / 10) + 4:.1f}" font-size="12" '
                   f'text-anchor="end" fill="#6b7280">{v}</text>' for v in (0, 6, 8, 10))
    coords = [xy(n, s) for n, (_, s) in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#4f7cff"><title>{esc(label)}：{score:g}</title></circle>'
                   for (x, y), (label, score) in zip(coords, points, strict=True))
    first, last = esc(points[0][0]), esc(points[-1][0])
    axis = (f'<text x="{left}" y="{height - 8}" font-size="12" fill="#6b7280">{first}</text>'
            f'<text x="{left + w}" y="{height - 8}" font-size="12" text-anchor="end" fill="#6b7280">{last}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'style="max-width:{width}px" role="img" class="ms-line-chart">'
            f'{grid}<polyline points="{line}" fill="none" stroke="#4f7cff" stroke-width="2"/>{dots}{axis}</svg>')


BAND_COLORS = ((8.5, "#15803d"), (7.0, "#2563eb"), (6.0, "#a16207"), (0.0, "#dc2626"))


def band_color(score: float) -> str:
    return next(color for low, color in BAND_COLORS if score >= low)


def bar_chart_svg(per_topic: dict[str, float], lang: Lang = "zh") -> str:
    """Mean score by topic as horizontal bars, weakest first: the full topic name, the score at the end
    of the bar, a 0–10 scale with grid lines and the pass line (6) dashed. Scales to its container."""
    if not per_topic:
        return ""
    rows = sorted(per_topic.items(), key=lambda kv: (kv[1], kv[0]))
    label_w, bar_w, row_h, top = 170, 230, 30, 26
    width, height = label_w + bar_w + 48, top + row_h * len(rows) + 8

    def x(score: float) -> float:
        return label_w + bar_w * max(0.0, min(10.0, score)) / 10

    grid = "".join(
        f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top - 6}" y2="{height - 8}" stroke="#94a3b8" stroke-opacity=".35"'
        + (' stroke-dasharray="4 3"' if v == 6 else "") + f'/><text x="{x(v):.1f}" y="{top - 10}" font-size="11" '
        f'text-anchor="middle" fill="currentColor" opacity=".7">{v}</text>' for v in (0, 2, 4, 6, 8, 10))
    bars = "".join(
        f'<text x="{label_w - 10}" y="{top + row_h * n + 19}" font-size="13" text-anchor="end" fill="currentColor">'
        f'{esc(name)}</text><rect x="{label_w}" y="{top + row_h * n + 6}" width="{x(score) - label_w:.1f}" height="18" '
        f'rx="3" fill="{band_color(score)}"><title>{esc(name)}：{score:g}</title></rect>'
        f'<text x="{x(score) + 6:.1f}" y="{top + row_h * n + 19}" font-size="12" font-weight="600" fill="currentColor">'
        f"{score:g}</text>" for n, (name, score) in enumerate(rows))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'style="max-width:{width}px" role="img" aria-label="{esc(t("scores_by_topic_chart", lang))}" '
            f'class="ms-bar-chart">{grid}{bars}</svg>')
