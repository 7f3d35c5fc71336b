"""Reports of a batch run, regenerated from the whole ``grades.jsonl``: summary, CSV and Markdown
(the HTML report is in eval/html_report.py). Rows are streamed from the file, never all held at once."""

from __future__ import annotations

import csv
import heapq
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from agent.grading.model import FLAGS
from agent.phrasing import grader_label
from eval.results import GradedRow
from knowledge.topics import topic_label

VERDICTS = ("优秀", "良好", "及格", "不及格")
UNMATCHED_TOPIC = "（未匹配题库）"
WEAKEST = 10
BINS = 10
POINT_MARK = {"covered": "✓", "partial": "△", "missed": "✗"}


def flag_label(flag: str) -> str:
    """``superficial（回答过于简短空泛）`` for a known flag, the flag itself otherwise."""
    text = FLAGS.get(flag)
    return f"{flag}（{text}）" if text else flag


CSV_COLUMNS = ("id", "source", "score", "verdict", "topic", "question", "matched_question_id", "matched_question",
               "match_confidence", "answer", "covered_points", "missed_points", "pitfalls_hit", "flags", "feedback",
               "grader", "grader_version")


@dataclass(frozen=True)
class Reference:
    """A bank question's reference material, shown next to the weakest answers."""

    answer: str = ""
    key_points: tuple[str, ...] = ()
    ref: str = ""


@dataclass(frozen=True)
class TopicStat:
    topic: str
    count: int
    mean: float


@dataclass
class Summary:
    count: int = 0
    mean: float = 0.0
    median: float = 0.0
    minimum: float = 0.0
    maximum: float = 0.0
    verdicts: dict[str, int] = field(default_factory=dict)
    histogram: list[int] = field(default_factory=lambda: [0] * BINS)
    """Answers per score bin [0,1), [1,2), …, [9,10]."""
    topics: list[TopicStat] = field(default_factory=list)
    """Per topic, weakest first."""
    flags: dict[str, int] = field(default_factory=dict)
    unmatched: int = 0
    graders: list[str] = field(default_factory=list)
    weakest: list[GradedRow] = field(default_factory=list)


def summarize(rows: Iterable[GradedRow], weakest: int = WEAKEST) -> Summary:
    s = Summary()
    scores: list[float] = []
    verdicts: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    graders: Counter[str] = Counter()
    topic_sum: dict[str, float] = {}
    topic_n: Counter[str] = Counter()
    heap: list[tuple[float, int, GradedRow]] = []  # max-heap on (score, index) via negation
    for index, row in enumerate(rows):
        scores.append(row.score)
        verdicts[row.verdict] += 1
        flags.update(row.flags)
        graders[row.grader] += 1
        topic = row.topic or UNMATCHED_TOPIC
        topic_sum[topic] = topic_sum.get(topic, 0.0) + row.score
        topic_n[topic] += 1
        s.unmatched += not row.matched
        s.histogram[min(int(row.score), BINS - 1)] += 1
        item = (-row.score, -index, row)
        if len(heap) < weakest:
            heapq.heappush(heap, item)
        elif item[:2] > heap[0][:2]:
            heapq.heapreplace(heap, item)
    if not scores:
        return s
    s.count = len(scores)
    s.mean = round(statistics.fmean(scores), 2)
    s.median = round(statistics.median(scores), 2)
    s.minimum, s.maximum = min(scores), max(scores)
    s.verdicts = {v: verdicts.get(v, 0) for v in VERDICTS} | {v: n for v, n in verdicts.items() if v not in VERDICTS}
    s.flags = dict(flags.most_common())
    s.graders = [g for g, _ in graders.most_common()]
    s.topics = sorted((TopicStat(t, topic_n[t], round(topic_sum[t] / topic_n[t], 2)) for t in topic_n),
                      key=lambda t: (t.mean, t.topic))
    s.weakest = [row for _, _, row in sorted(heap, key=lambda x: (-x[0], -x[1]))]
    return s


# CSV ---------------------------------------------------------------------------------------------
def csv_safe(value: object) -> str:
    """A cell Excel will not run as a formula (cells starting with = + - @ get a leading apostrophe)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_record(row: GradedRow) -> list[str]:
    values: dict[str, object] = {
        **row.model_dump(include={"id", "source", "score", "verdict", "topic", "question", "matched_question_id",
                                  "matched_question", "match_confidence", "answer", "feedback", "grader",
                                  "grader_version"}),
        "covered_points": "；".join(k.text for k in row.key_points if k.verdict == "covered"),
        "missed_points": "；".join(f"{k.text}（部分）" if k.verdict == "partial" else k.text
                                  for k in row.key_points if k.verdict != "covered"),
        "pitfalls_hit": "；".join(row.pitfalls_hit),
        "flags": ",".join(row.flags),
    }
    return [csv_safe(values[c]) for c in CSV_COLUMNS]


def write_csv(path: Path, rows: Iterable[GradedRow]) -> None:
    """UTF-8 with BOM so that Excel opens the Chinese text correctly."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(csv_record(row))


# Markdown ----------------------------------------------------------------------------------------
def md_cell(text: object, limit: int | None = None) -> str:
    """Text safe inside a Markdown table cell: one line, pipes and HTML escaped."""
    value = " ".join(("" if text is None else str(text)).split())
    if limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def md_block(text: str) -> str:
    """Multi-line text as a Markdown quote, HTML escaped."""
    lines = (text or "（空）").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").splitlines()
    return "\n".join("> " + line for line in lines)


def point_lines(row: GradedRow, reference: Reference | None) -> list[str]:
    if row.key_points:
        return [f"- {POINT_MARK.get(k.verdict, '?')} {md_cell(k.text)}" for k in row.key_points]
    if reference and reference.key_points:
        return [f"- {md_cell(k)}" for k in reference.key_points]
    return []


def write_markdown(path: Path, summary: Summary, rows: Iterable[GradedRow],
                   references: Mapping[str, Reference]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("# 批量评分报告\n\n")
        f.write(f"- 回答数：{summary.count}\n- 平均分：{summary.mean:.2f}（中位数 {summary.median:.2f}，"
                f"最低 {summary.minimum:.1f}，最高 {summary.maximum:.1f}）\n")
        f.write("- 等级：" + "，".join(f"{v} {n}" for v, n in summary.verdicts.items()) + "\n")
        f.write(f"- 未匹配到题库的回答：{summary.unmatched}\n- 评分器：{md_cell('、'.join(grader_label(g) for g in summary.graders))}\n\n")
        f.write("## 分数分布\n\n| 分数段 | 回答数 |\n|---|---|\n")
        for k, n in enumerate(summary.histogram):
            f.write(f"| {k}–{k + 1} | {n} |\n")
        f.write("\n## 各主题平均分（从低到高）\n\n| 主题 | 回答数 | 平均分 |\n|---|---|---|\n")
        for t in summary.topics:
            f.write(f"| {md_cell(topic_label(t.topic))} | {t.count} | {t.mean:.2f} |\n")
        if summary.flags:
            f.write("\n## 标记\n\n| 标记 | 次数 |\n|---|---|\n")
            for flag, n in summary.flags.items():
                f.write(f"| {md_cell(flag_label(flag))} | {n} |\n")
        f.write("\n## 最薄弱的回答\n")
        for row in summary.weakest:
            ref = references.get(row.matched_question_id or "")
            f.write(f"\n### {md_cell(row.question, 120)}（{row.score:.1f} 分，{row.verdict}）\n\n")
            f.write(f"来源：{md_cell(row.source)} · ID：{md_cell(row.id)}")
            if row.matched:
                f.write(f" · 题库：{md_cell(row.bank_ref)} {md_cell(row.matched_question, 80)}")
            f.write("\n\n**回答**\n\n" + md_block(row.answer) + "\n\n")
            points = point_lines(row, ref)
            if points:
                f.write("**考点**（✓ 答到 △ 部分 ✗ 未答到）\n\n" + "\n".join(points) + "\n\n")
            if ref and ref.answer:
                f.write("**参考答案**\n\n" + md_block(ref.answer) + "\n\n")
            if row.feedback:
                f.write("**反馈**\n\n" + md_block(row.feedback) + "\n")
        f.write("\n## 逐条结果\n\n| # | ID | 来源 | 分数 | 等级 | 题目 | 标记 |\n|---|---|---|---|---|---|---|\n")
        for k, row in enumerate(rows, start=1):
            f.write(f"| {k} | {md_cell(row.id)} | {md_cell(row.source)} | {row.score:.1f} | {row.verdict} | "
                    f"{md_cell(row.question, 60)} | {md_cell(','.join(row.flags))} |\n")
