"""``report.html``: one self-contained file — inline CSS and SVG charts, no scripts, fonts or links to
fetch (a Content-Security-Policy forbids them too). Every piece of user or bank text goes through
:func:`esc`, so a hostile answer is shown, never run."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from agent.phrasing import grader_label
from eval.report import BINS, POINT_MARK, Reference, Summary, TopicStat, flag_label
from eval.results import GradedRow
from knowledge.topics import topic_label

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
BAND_COLORS = {"优秀": "#2e7d32", "良好": "#1565c0", "及格": "#ef6c00", "不及格": "#c62828"}
STYLE = """
body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:2em auto;max-width:1100px;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.cards{display:flex;flex-wrap:wrap;gap:.8em}.card{border:1px solid #ddd;border-radius:6px;padding:.5em 1em}
.card b{display:block;font-size:1.4em}table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border:1px solid #ddd;padding:.35em .5em;vertical-align:top;text-align:left}th{background:#f5f5f5}
.txt{white-space:pre-wrap;word-break:break-word}.muted{color:#777;font-size:.9em}
.v-优秀{color:#2e7d32}.v-良好{color:#1565c0}.v-及格{color:#ef6c00}.v-不及格{color:#c62828}
ul.points{margin:0;padding-left:1.1em}details summary{cursor:pointer}svg text{font-size:12px}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def verdict_color(score: float) -> str:
    if score >= 8.5:
        return BAND_COLORS["优秀"]
    if score >= 7.0:
        return BAND_COLORS["良好"]
    if score >= 6.0:
        return BAND_COLORS["及格"]
    return BAND_COLORS["不及格"]


def histogram_svg(counts: list[int]) -> str:
    """Answers per score bin as vertical bars."""
    width, height, left, bottom, top = 640, 240, 40, 30, 20
    plot_h = height - bottom - top
    bar_w = (width - left - 10) / BINS
    peak = max(counts) or 1
    parts = [f'<svg role="img" aria-label="分数分布" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             "<title>分数分布</title>",
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#999"/>']
    for k, n in enumerate(counts):
        h = plot_h * n / peak
        x = left + k * bar_w
        y = height - bottom - h
        parts.append(f'<rect x="{x + 3:.1f}" y="{y:.1f}" width="{bar_w - 6:.1f}" height="{h:.1f}" '
                     f'fill="{verdict_color(k + 0.5 if k < BINS - 1 else 10)}"><title>{k}–{k + 1} 分：{n}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{n}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">{k}–{k + 1}</text>')
    parts.append("</svg>")
    return "".join(parts)


def topics_svg(topics: list[TopicStat]) -> str:
    """Mean score per topic as horizontal bars on a 0–10 scale, weakest first."""
    row_h, label_w, bar_max, width = 24, 260, 360, 720
    height = row_h * len(topics) + 30
    parts = [f'<svg role="img" aria-label="各主题平均分" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             "<title>各主题平均分</title>"]
    for k, t in enumerate(topics):
        y = 10 + k * row_h
        w = bar_max * max(0.0, min(t.mean, 10.0)) / 10
        name = topic_label(t.topic)
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{esc(clip(name, 20))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{verdict_color(t.mean)}">'
                     f"<title>{esc(name)}：平均 {t.mean:.2f}，{t.count} 条</title></rect>")
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{t.mean:.2f}（{t.count} 条）</text>')
    x6 = label_w + bar_max * 0.6
    parts.append(f'<line x1="{x6:.1f}" y1="5" x2="{x6:.1f}" y2="{height - 20}" stroke="#999" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{x6:.1f}" y="{height - 6}" text-anchor="middle" class="muted">及格线 6</text>')
    parts.append("</svg>")
    return "".join(parts)


def points_html(row: GradedRow, reference: Reference | None) -> str:
    if row.key_points:
        items = "".join(f"<li>{POINT_MARK.get(k.verdict, '?')} {esc(k.text)}</li>" for k in row.key_points)
    elif reference and reference.key_points:
        items = "".join(f"<li>{esc(k)}</li>" for k in reference.key_points)
    else:
        return '<span class="muted">（无）</span>'
    return f'<ul class="points">{items}</ul>'


def _cards(f: TextIO, s: Summary) -> None:
    cards = [("回答数", str(s.count)), ("平均分", f"{s.mean:.2f}"), ("中位数", f"{s.median:.2f}"),
             ("最低 / 最高", f"{s.minimum:.1f} / {s.maximum:.1f}")]
    cards += [(v, str(n)) for v, n in s.verdicts.items()]
    cards.append(("未匹配题库", str(s.unmatched)))
    f.write('<div class="cards">')
    for title, value in cards:
        f.write(f'<div class="card">{esc(title)}<b>{esc(value)}</b></div>')
    f.write("</div>")
    f.write(f'<p class="muted">评分器：{esc("、".join(grader_label(g) for g in s.graders))}</p>')


def _weakest(f: TextIO, s: Summary, references: Mapping[str, Reference]) -> None:
    f.write("<h2>最薄弱的回答</h2><table><tr><th>分数</th><th>题目</th><th>回答</th>"
            "<th>考点（✓ 答到 △ 部分 ✗ 未答到）</th><th>参考答案</th><th>反馈</th></tr>")
    for row in s.weakest:
        ref = references.get(row.matched_question_id or "")
        bank = (f'<div class="muted">题库 {esc(row.bank_ref)}：{esc(row.matched_question)}</div>' if row.matched
                else '<div class="muted">未匹配到题库题目</div>')
        f.write(f'<tr><td class="v-{esc(row.verdict)}"><b>{row.score:.1f}</b><br>{esc(row.verdict)}</td>'
                f'<td>{esc(row.question)}{bank}<div class="muted">{esc(row.source)}</div></td>'
                f'<td class="txt">{esc(row.answer) or "（空）"}</td><td>{points_html(row, ref)}</td>'
                f'<td class="txt">{esc(ref.answer) if ref and ref.answer else "（题库无参考答案）"}</td>'
                f'<td class="txt">{esc(row.feedback)}</td></tr>')
    f.write("</table>")


def write_html(path: Path, summary: Summary, rows: Iterable[GradedRow], references: Mapping[str, Reference]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
                '<meta name="viewport" content="width=device-width,initial-scale=1">'
                f"<title>批量评分报告</title><style>{STYLE}</style></head><body><h1>批量评分报告</h1>")
        _cards(f, summary)
        f.write("<h2>分数分布</h2>" + histogram_svg(summary.histogram))
        f.write("<h2>各主题平均分（从低到高）</h2>" + topics_svg(summary.topics))
        if summary.flags:
            f.write("<h2>标记</h2><table><tr><th>标记</th><th>次数</th></tr>")
            for flag, n in summary.flags.items():
                f.write(f"<tr><td>{esc(flag_label(flag))}</td><td>{n}</td></tr>")
            f.write("</table>")
        _weakest(f, summary, references)
        f.write("<h2>逐条结果</h2><table><tr><th>#</th><th>ID / 来源</th><th>分数</th><th>题目</th>"
                "<th>回答与反馈</th><th>标记</th></tr>")
        for k, row in enumerate(rows, start=1):
            f.write(f"<tr><td>{k}</td><td>{esc(row.id)}<div class=\"muted\">{esc(row.source)}</div></td>"
                    f'<td class="v-{esc(row.verdict)}">{row.score:.1f} {esc(row.verdict)}</td>'
                    f"<td>{esc(row.question)}</td><td><details><summary>{esc(clip(row.answer, 60)) or '（空）'}"
                    f'</summary><div class="txt">{esc(row.answer)}</div><div class="txt muted">{esc(row.feedback)}'
                    f"</div></details></td><td>{esc(', '.join(row.flags))}</td></tr>")
        f.write("</table></body></html>\n")
