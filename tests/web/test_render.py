"""Pure rendering: escaping everywhere, evidence highlighting at the right positions, reports and charts."""

from __future__ import annotations

import re

from agent.domain import QuestionSummary, Report, Turn
from agent.grading.model import Grade, KeyPointResult
from knowledge.schema import FollowUp, KeyPoint, Pitfall, QuestionItem, SourceRef
from ui.web.render import (
    chat_messages,
    highlight_spans,
    highlighted_answer,
    item_html,
    locate,
    plain_md,
    readable_references,
    scorecard_html,
)
from ui.web.render_report import line_chart_svg, report_html

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def kp(id: str, verdict: str, evidence: str = "", text: str = "要点") -> KeyPointResult:
    return KeyPointResult(id=id, text=text, verdict=verdict, evidence=evidence)  # type: ignore[arg-type]


def grade(*points: KeyPointResult, score: float = 7.5, **extra: object) -> Grade:
    return Grade(score=score, verdict="良好", key_points=points, grader="rubric", grader_version="t", **extra)  # type: ignore[arg-type]


def item(**extra: object) -> QuestionItem:
    data: dict[str, object] = {"id": "q-1", "question": "为什么要除以根号 d_k？", "source": SourceRef(file="003_x.txt", line=5, number="7"),
                               "reference_answer": "防止点积过大导致 softmax 饱和。",
                               "key_points": (KeyPoint(id="k1", text="点积方差随维度增大"),),
                               "follow_ups": (FollowUp(text="你在项目里遇到过梯度消失吗？"),),
                               "pitfalls": (Pitfall(text="以为是为了归一化长度"),), "topic": "attention", "difficulty": 3}
    data.update(extra)
    return QuestionItem(**data)  # type: ignore[arg-type]


def no_raw_tags(html: str) -> None:
    assert "<script" not in html and "<img" not in html and "onerror=" not in html.replace("onerror=&quot;", "")


# plain text for the chat --------------------------------------------------------------------------------
def test_plain_md_escapes_html_and_markdown() -> None:
    out = plain_md(HOSTILE)
    assert "<" not in out and "&lt;script&gt;" in out
    assert plain_md("a*b_c `d` [x](y) # h") == r"a\*b\_c \`d\` \[x\]\(y\) \# h"
    assert plain_md("普通中文回答") == "普通中文回答"


def test_chat_messages_roles_and_escaping() -> None:
    turns = [Turn(role="interviewer", kind="question", text="第 1 题：Q*K？"),
             Turn(role="candidate", kind="answer", text=HOSTILE), Turn(role="interviewer", kind="feedback", text="  ")]
    msgs = chat_messages(turns)
    assert [m["role"] for m in msgs] == ["assistant", "user"]
    assert msgs[0]["content"] == r"第 1 题：Q\*K？"
    assert "<" not in msgs[1]["content"]


# evidence highlighting ------------------------------------------------------------------------------------
def test_locate_exact_then_case_insensitive() -> None:
    answer = "Softmax 会饱和，所以要缩放。"
    assert locate(answer, "会饱和") == (8, 11)
    assert locate(answer, "softmax") == (0, 7)
    assert locate(answer, "  所以要缩放 ") == (12, 17)
    assert locate(answer, "不在回答里") is None
    assert locate(answer, "") is None


def test_highlight_spans_positions_overlaps_and_merging() -> None:
    answer = "0123456789abcdef"
    spans = highlight_spans(answer, [kp("k1", "partial", "23456"), kp("k2", "covered", "456789"), kp("k3", "missed"),
                                     kp("k4", "covered", "zzz"), kp("k5", "covered", "cde")])
    assert [(s.start, s.end, s.verdict, s.points) for s in spans] == [
        (2, 4, "partial", ("k1",)), (4, 7, "covered", ("k1", "k2")), (7, 10, "covered", ("k2",)),
        (12, 15, "covered", ("k5",))]
    # the same point quoted twice in a row merges into one span
    assert [(s.start, s.end) for s in highlight_spans("aaabbb", [kp("k1", "covered", "aaa"), kp("k1", "covered", "aabbb")])] == [(0, 6)]


def test_highlighted_answer_escapes_text_and_marks_evidence() -> None:
    answer = f"前面 {HOSTILE} 缩放点积 <b>防止饱和</b>"
    html = highlighted_answer(answer, [kp("k1", "covered", "缩放点积", text='要点 "<i>"'), kp("k2", "partial", "<b>防止")])
    no_raw_tags(html)
    assert '<mark class="ms-ev ms-covered" data-points="k1" title="答到: 要点 &quot;&lt;i&gt;&quot;">缩放点积</mark>' in html
    assert '<mark class="ms-ev ms-partial" data-points="k2"' in html and ">&lt;b&gt;防止</mark>" in html
    text = re.sub(r"<[^>]+>", "", html)
    assert text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#x27;", "'") == answer


def test_scorecard_escapes_everything_and_reveals_reference_only_when_closed() -> None:
    g = grade(kp("k1", "covered", "饱和", text=HOSTILE), kp("k2", "missed", text="点积方差"), pitfalls_hit=(HOSTILE,),
              flags=("injection", HOSTILE), feedback=HOSTILE, references=(HOSTILE,))
    hostile_item = item(question=HOSTILE, reference_answer=HOSTILE)
    shown = scorecard_html(f"softmax 饱和 {HOSTILE}", g, hostile_item, reveal=True)
    no_raw_tags(shown)
    assert "7.5" in shown and "良好" in shown and "ms-reference" in shown
    assert "答到 1 · 部分 0 · 缺失 1" in shown
    assert "回答中含有试图操纵评分的内容" in shown
    hidden = scorecard_html("softmax 饱和", g, item(), reveal=False)
    assert "防止点积过大" not in hidden and "本题结束后显示" in hidden
    english = scorecard_html("softmax", g, None, reveal=True, lang="en", follow_up=True)
    assert "Follow-up answer" in english and "no reference answer" in english and "good" in english
    assert "评分器：离线考官（规则评分） · t" in shown and "Grader：Offline examiner (rule-based grading)" in english


def test_reference_falls_back_to_key_points() -> None:
    html = scorecard_html("x", grade(), item(reference_answer=""), reveal=True)
    assert "点积方差随维度增大" in html


def test_item_html_shows_everything_escaped() -> None:
    html = item_html(item(question=HOSTILE, tags=(HOSTILE,), companies=("字节",)))
    no_raw_tags(html)
    for text in ("防止点积过大", "点积方差随维度增大", "你在项目里遇到过梯度消失吗", "以为是为了归一化长度", "第 5 行", "003:7", "字节"):
        assert text in html


def test_items_and_references_name_documents_by_title() -> None:
    titled = item(source=SourceRef(file="003_2a2bf3b693719338.txt", line=5, number="7", title="大模型基础必考题"))
    html = item_html(titled, "en")
    assert "大模型基础必考题 · line 5" in html and "2a2bf3b6" not in html and "Attention" in html
    cited = "建议复习：001:30（面试高频问答（标准答案 + 反问点 + 坑位） 第 107 行）。"
    assert readable_references(cited, None) == "建议复习：面试高频问答（标准答案 + 反问点 + 坑位） · 第 107 行。"
    retrieved = "002_b4c2bce05fee64d9.txt 第 86 行"
    assert readable_references(retrieved, None, "en") == "Transformer 30 个核心知识点与 20 道高频题 · line 86"
    assert readable_references("003_2a2bf3b693719338.txt 第 9 行", titled) == "大模型基础必考题 · 第 9 行"
    assert readable_references("比值 3:2（不是）", None) == "比值 3:2（不是）"


# reports and charts -----------------------------------------------------------------------------------------
def report(**extra: object) -> Report:
    q = QuestionSummary(item_id="q-1", question=HOSTILE, topic="注意力", score=8.5, verdict="优秀", missed=(HOSTILE,),
                        follow_ups=1, hint_used=True, skipped=False, references=("003:7",))
    data: dict[str, object] = {"session_id": "abc123", "created_at": "2026-01-01T00:00:00+00:00", "finished": True,
                               "backend": "离线考官", "answered": 1, "mean_score": 8.5, "verdict": "优秀",
                               "per_topic": {"注意力": 8.5, HOSTILE: 3.0, "位置编码": 6.0}, "questions": (q,),
                               "strengths": (HOSTILE,), "to_study": ("003:7",)}
    data.update(extra)
    return Report(**data)  # type: ignore[arg-type]


def test_report_html_is_escaped_with_a_radar_chart() -> None:
    html = report_html(report())
    no_raw_tags(html)
    assert html.count("<svg") == 1 and "<polygon" in html
    assert "作答 1 题，平均 <b>8.5</b> 分（优秀）" in html and "（用过提示）" in html
    assert html.count("<tr>") == 2
    empty = report_html(report(questions=(), per_topic={}, strengths=(), to_study=(), answered=0), lang="en")
    assert "<svg" not in empty and "none" in empty and "Per question" in empty


def test_line_chart_svg() -> None:
    assert line_chart_svg([]) == ""
    svg = line_chart_svg([("2026-01-01", 5.0), (HOSTILE, 12.0), ("2026-01-03", -1)])
    no_raw_tags(svg)
    assert svg.count("<circle") == 3 and "<polyline" in svg
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert ys[1] == 12.0 and ys[2] == 172.0  # clamped to 10 (top) and 0 (bottom)
    assert line_chart_svg([("only", 7.0)]).count("<circle") == 1


def test_bar_chart_has_full_names_a_scale_and_the_weakest_first() -> None:
    from ui.web.render_report import bar_chart_svg

    svg = bar_chart_svg({"分布式与显存": 8.8, "Distributed training & memory": 3.0, "<b>x</b>": 6.5}, "en")
    assert svg.startswith("<svg") and 'viewBox="0 0 ' in svg and "Mean score by topic" in svg
    assert svg.index("Distributed training &amp; memory") < svg.index("&lt;b&gt;x&lt;/b&gt;") < svg.index("分布式与显存")
    assert all(f">{v}</text>" in svg for v in (0, 2, 4, 6, 8, 10)), "a 0–10 scale"
    assert "<b>" not in svg and bar_chart_svg({}) == ""


def test_radar_labels_fit_inside_the_chart() -> None:
    """Every label, estimated at its drawn width, stays inside the viewBox (a long English topic was cut)."""
    import html
    import re

    from agent.report import _text_width, radar_svg

    topics = {"Training & optimisation": 9.1, "Attention": 9.2, "Positional encoding": 9.4, "Distributed training & memory": 3.0}
    svg = radar_svg(topics, lang="en")
    full = float(re.search(r'viewBox="0 0 (\d+)', svg).group(1))  # type: ignore[union-attr]
    labels = list(re.finditer(r'<text x="([\d.]+)" y="[\d.]+" font-size="13" text-anchor="(\w+)">([^<]*)<tspan[^>]*>([^<]*)</tspan>', svg))
    assert len(labels) == len(topics)
    for m in labels:
        x, anchor, name, score = float(m.group(1)), m.group(2), html.unescape(m.group(3)), m.group(4)
        w = _text_width(name + score)
        left = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
        assert left >= 0 and left + w <= full, (name, left, w, full)
    assert _text_width("注意力") == 39 and _text_width("abc") < 25
