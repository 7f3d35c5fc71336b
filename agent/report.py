"""Build a Report from a session, and render it as Markdown, HTML (escaped, self-contained) or JSON."""

from __future__ import annotations

import html
import math
from collections import defaultdict

from agent.domain import QuestionSummary, Report, SessionState
from agent.grading.model import verdict_for


def build_report(state: SessionState) -> Report:
    done = [r for r in state.records if r.final_score is not None]
    questions = []
    by_topic: dict[str, list[float]] = defaultdict(list)
    for r in done:
        g = r.grade
        missed = tuple(k.text for k in g.key_points if k.verdict != "covered") if g else ()
        questions.append(QuestionSummary(item_id=r.item_id, question=r.question, topic=r.topic, score=r.final_score or 0.0,
                                         verdict=verdict_for(r.final_score or 0.0), missed=missed,
                                         follow_ups=len(r.follow_ups), hint_used=r.hint_used, skipped=r.skipped,
                                         references=g.references if g else ()))
        by_topic[r.topic].append(r.final_score or 0.0)
    mean = round(sum(q.score for q in questions) / len(questions), 1) if questions else 0.0
    per_topic = {t: round(sum(v) / len(v), 1) for t, v in by_topic.items()}
    strengths = tuple(f"{q.topic}：{q.question}" for q in questions if q.score >= 8.0)
    to_study = tuple(dict.fromkeys(ref for q in sorted(questions, key=lambda q: q.score) if q.score < 7.0 for ref in q.references[:1]))
    return Report(session_id=state.id, created_at=state.created_at, finished=state.status == "finished",
                  backend=state.backend, answered=len(questions), mean_score=mean, verdict=verdict_for(mean),
                  per_topic=per_topic, questions=tuple(questions), strengths=strengths, to_study=to_study)


def to_markdown(report: Report) -> str:
    lines = [f"# 模拟面试报告 {report.session_id}", "",
             f"- 时间：{report.created_at}　考官：{report.backend}　状态：{'已完成' if report.finished else '未完成'}",
             f"- 作答 {report.answered} 题，平均 **{report.mean_score}** 分（{report.verdict}）", "", "## 各方向得分", ""]
    lines += [f"- {t}：{s}" for t, s in sorted(report.per_topic.items(), key=lambda kv: kv[1])]
    lines += ["", "## 逐题", "", "| # | 题目 | 方向 | 得分 | 评级 | 追问 | 遗漏要点 |", "|---|---|---|---|---|---|---|"]
    for n, q in enumerate(report.questions, 1):
        note = "跳过" if q.skipped else "；".join(q.missed[:3]) or "-"
        lines.append(f"| {n} | {_md(q.question)} | {_md(q.topic)} | {q.score} | {q.verdict}{'（用过提示）' if q.hint_used else ''} "
                     f"| {q.follow_ups} | {_md(note)} |")
    if report.strengths:
        lines += ["", "## 优势", ""] + [f"- {_md(s)}" for s in report.strengths]
    if report.to_study:
        lines += ["", "## 建议复习", ""] + [f"- {_md(s)}" for s in report.to_study]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def radar_svg(per_topic: dict[str, float], size: int = 360) -> str:
    """A radar chart (inline SVG) of mean score by topic; a bar chart when there are fewer than 3 topics."""
    items = sorted(per_topic.items())
    if len(items) < 3:
        bars = "".join(
            f'<text x="4" y="{24 + 28 * n}" font-size="12">{html.escape(t)}</text>'
            f'<rect x="140" y="{12 + 28 * n}" width="{s * 16:.0f}" height="16" fill="#4f7cff"/>'
            f'<text x="{146 + s * 16:.0f}" y="{24 + 28 * n}" font-size="12">{s}</text>'
            for n, (t, s) in enumerate(items))
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="340" height="{20 + 28 * len(items)}">{bars}</svg>'
    c, r = size / 2, size / 2 - 80
    pts, axes, labels = [], [], []
    for n, (t, s) in enumerate(items):
        a = 2 * math.pi * n / len(items) - math.pi / 2
        x, y = c + r * math.cos(a), c + r * math.sin(a)
        axes.append(f'<line x1="{c}" y1="{c}" x2="{x:.1f}" y2="{y:.1f}" stroke="#ccc"/>')
        labels.append(f'<text x="{c + (r + 18) * math.cos(a):.1f}" y="{c + (r + 18) * math.sin(a):.1f}" font-size="11" '
                      f'text-anchor="middle">{html.escape(t if len(t) <= 12 else t[:11] + "…")} {s}</text>')
        pts.append(f"{c + r * s / 10 * math.cos(a):.1f},{c + r * s / 10 * math.sin(a):.1f}")
    rings = "".join(f'<circle cx="{c}" cy="{c}" r="{r * k / 5:.1f}" fill="none" stroke="#eee"/>' for k in range(1, 6))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" role="img" aria-label="各方向得分雷达图">'
            f'{rings}{"".join(axes)}<polygon points="{" ".join(pts)}" fill="rgba(79,124,255,.35)" stroke="#4f7cff"/>'
            f'{"".join(labels)}</svg>')


def to_html(report: Report) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{n}</td><td>{e(q.question)}</td><td>{e(q.topic)}</td><td>{q.score}</td><td>{e(q.verdict)}</td>"
        f"<td>{'跳过' if q.skipped else e('；'.join(q.missed[:3]) or '-')}</td></tr>"
        for n, q in enumerate(report.questions, 1))
    study = "".join(f"<li>{e(s)}</li>" for s in report.to_study) or "<li>-</li>"
    strengths = "".join(f"<li>{e(s)}</li>" for s in report.strengths) or "<li>-</li>"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>模拟面试报告 {e(report.session_id)}</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:960px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ddd;padding:6px;vertical-align:top}}th{{background:#f4f6fb}}</style>
</head><body><h1>模拟面试报告</h1>
<p>会话 {e(report.session_id)} · {e(report.created_at)} · 考官：{e(report.backend)} · {'已完成' if report.finished else '未完成'}</p>
<p>作答 {report.answered} 题，平均 <b>{report.mean_score}</b> 分（{e(report.verdict)}）</p>
<h2>各方向得分</h2>{radar_svg(report.per_topic)}
<h2>逐题</h2><table><tr><th>#</th><th>题目</th><th>方向</th><th>得分</th><th>评级</th><th>遗漏要点</th></tr>{rows}</table>
<h2>优势</h2><ul>{strengths}</ul><h2>建议复习</h2><ul>{study}</ul></body></html>"""


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=1)
