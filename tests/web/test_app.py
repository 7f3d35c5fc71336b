"""The Blocks app built in-process (no browser): its layout, and every tab's callbacks called directly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.domain import InterviewConfig
from tests.conftest import DOCS
from ui.web.bank_tab import filter_items, screen_uploads
from ui.web.context import WebContext, valid_session_id
from ui.web.render import plain_md

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def value(update: Any) -> Any:
    return update.get("value") if isinstance(update, dict) else update


def good_answer(ctx: WebContext, sid: str) -> str:
    iv = ctx.interviewer()
    record = iv.state(sid).records[-1]
    item = iv.bank.by_id[record.item_id]
    return item.reference_answer or "；".join(k.text for k in item.key_points)


# layout --------------------------------------------------------------------------------------------------------
def test_app_layout_is_offline_and_complete(web: Any) -> None:
    from ui.web.app import launch_options

    config = web.demo.get_config_file()
    ids = {c["props"].get("elem_id") for c in config["components"]}
    for elem_id in ("ms-start", "ms-chat", "ms-answer", "ms-submit", "ms-skip", "ms-hint", "ms-end", "ms-scorecard",
                    "ms-report", "ms-dl-md", "ms-dl-html", "ms-dl-json", "ms-bank-table", "ms-upload", "ms-sessions",
                    "ms-weak", "ms-batch-files", "ms-batch-run", "ms-test-conn", "ms-lang"):
        assert elem_id in ids, elem_id
    types = {c["type"] for c in config["components"]}
    assert {"browserstate", "chatbot", "downloadbutton", "dataframe", "file"} <= types
    text = json.dumps(config, ensure_ascii=False, default=str)
    assert "googleapis" not in text and "cdn." not in text
    options = launch_options()
    assert options["ssr_mode"] is False
    assert "googleapis" not in json.dumps(options["theme"].to_dict())
    topics = next(c for c in config["components"] if c["props"].get("elem_id") == "ms-topics")["props"]["choices"]
    assert len(topics) > 10


def test_relabel_switches_every_label(web: Any) -> None:
    zh, en = web.relabel.updates("中文"), web.relabel.updates("English")
    assert len(zh) == len(en) == len(web.relabel.components) == len(set(map(id, web.relabel.components)))
    assert {"label": "Interview", "__type__": "update"} in en
    assert {"value": "开始面试", "__type__": "update"} in zh
    assert any(u.get("placeholder", "").startswith("Type your answer (Shift+Enter submits)") for u in en)


# the interview ----------------------------------------------------------------------------------------------------
def test_a_whole_interview_through_the_callbacks(web: Any, ctx: WebContext) -> None:
    tab = web.interview
    out = tab.start([], 1, 5, [], 2, 1, "中文")
    sid = out[tab.sid]
    assert valid_session_id(sid) and out[tab.store] == sid
    assert "第 1/2 题" in out[tab.status]
    assert value(out[tab.submit_btn]) is None and out[tab.submit_btn]["interactive"] is True
    assert [m["role"] for m in out[tab.chat]] == ["assistant", "assistant"]
    assert tab.answer(sid, "   ", "中文") == {tab.notice: "回答是空的：请先输入内容（或点「跳过」）。"}

    out = tab.hint(sid, "中文")
    assert "提示" in out[tab.chat][-2]["content"]
    out = tab.answer(sid, good_answer(ctx, sid), "中文")
    assert out[tab.answer_box] == ""
    state = ctx.interviewer().state(sid)
    if state.pending_follow_up is not None:  # still open: nothing scored or revealed yet
        assert "ms-scorecard-open" in out[tab.scorecard] and "ms-reference" not in out[tab.scorecard]
        out = tab.skip(sid, "中文")
        state = ctx.interviewer().state(sid)
    # closed: its one final score, the evidence and the reference
    rec = state.records[0]
    assert rec.final_score is not None and rec.hint_used and rec.final_score <= 7.0
    assert 'class="ms-ev ms-covered"' in out[tab.scorecard] and "ms-reference" in out[tab.scorecard]
    assert f">{rec.final_score:.1f}<" in out[tab.scorecard]
    assert plain_md(f"本题 {rec.final_score:.1f} 分") in "".join(m["content"] for m in out[tab.chat])

    for _ in range(6):
        if ctx.interviewer().state(sid).status == "finished":
            break
        out = tab.skip(sid, "中文")
    assert out[tab.report_box]["visible"] is True
    assert "ms-report-body" in out[tab.report] and sid in out[tab.report]
    files = {fmt: Path(out[tab.dl[fmt]]["value"]) for fmt in ("md", "html", "json")}
    assert files["md"].read_text(encoding="utf-8").startswith(f"# 模拟面试报告 {sid}")
    assert json.loads(files["json"].read_text(encoding="utf-8"))["finished"] is True
    assert str(files["html"]).startswith(str(ctx.work_dir))
    assert out[tab.submit_btn]["interactive"] is False
    assert tab.answer(sid, "再答一次", "中文") == {tab.notice: "这场面试已经结束；可以下载报告，或开始新的面试。"}

    again = tab.restore(sid, "中文")
    assert again[tab.chat] == out[tab.chat]  # the chat is the saved session
    english = tab.restore(sid, "English")
    assert "finished" in english[tab.status] and {"role": "user", "content": "Hint"} in english[tab.chat]


def test_hostile_answer_is_escaped_in_chat_and_scorecard(web: Any) -> None:
    tab = web.interview
    sid = tab.start([], 1, 5, [], 3, 0, "中文")[tab.sid]
    out = tab.answer(sid, HOSTILE, "中文")  # no follow-ups: the question closes and the scorecard shows it
    assert all("<" not in m["content"] for m in out[tab.chat])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out[tab.scorecard]
    assert "<script" not in out[tab.scorecard] and "<img" not in out[tab.scorecard]


@pytest.mark.parametrize("stored", [None, "", "../../etc/passwd", "<script>", 42, "nosuchsession"])
def test_a_missing_or_forged_session_id_gives_a_fresh_page(web: Any, stored: object) -> None:
    tab = web.interview
    out = tab.restore(stored, "中文")
    assert out[tab.sid] is None and out[tab.chat] == [] and out[tab.status] == "尚未开始面试。"
    answered = tab.answer(stored, "回答", "中文")
    assert tab.notice in answered and answered.get(tab.sid) is None


def test_no_matching_questions_says_so(web: Any) -> None:
    tab = web.interview
    out = tab.start(["根本不存在的方向-xyz"], 1, 5, [], 3, 1, "中文")
    assert out == {tab.notice: "没有符合条件的题目：请放宽方向、难度或公司。"}


def test_two_sessions_are_independent(web: Any) -> None:
    tab = web.interview
    a = tab.start([], 1, 5, [], 3, 0, "中文")[tab.sid]
    b = tab.start([], 1, 5, [], 3, 0, "中文")[tab.sid]
    out_a = tab.answer(a, "甲的回答 ALPHA", "中文")
    out_b = tab.answer(b, "乙的回答 BRAVO", "中文")
    assert a != b
    assert "ALPHA" in str(out_a[tab.chat]) and "BRAVO" not in str(out_a[tab.chat])
    assert "BRAVO" in str(out_b[tab.chat]) and "ALPHA" not in str(tab.restore(b, "中文")[tab.chat])


# history ------------------------------------------------------------------------------------------------------------
def test_history_lists_sessions_and_resumes_and_reviews(web: Any) -> None:
    tab, hist = web.interview, web.history
    sid = tab.start([], 1, 5, [], 3, 0, "中文")[tab.sid]
    tab.answer(sid, "缩放点积注意力", "中文")
    out = hist.refresh("中文")
    rows = value(out[hist.sessions])
    assert sid in [r[-1] for r in rows]  # the session id is the last column (people read the time first)
    assert "<svg" in out[hist.time_chart]
    assert sid in [v for _, v in out[hist.resume_pick]["choices"]]
    jumped = hist.resume(sid, "中文")
    assert jumped[tab.sid] == sid and "缩放点积注意力" in str(jumped[tab.chat])
    assert jumped[hist.tabs].selected == "interview"
    assert hist.resume(None, "中文") == {hist.notice: "请先选择一个会话。"}
    review = hist.review(2, "中文")
    assert review[tab.sid] and "/2" in review[tab.status]
    assert "ms-report-body" in hist.show_report(sid, "中文")
    assert "请先选择" in hist.show_report("../x", "中文")


# the bank ---------------------------------------------------------------------------------------------------------
def test_filter_items(ctx: WebContext) -> None:
    items = ctx.interviewer().kb.ensure_built().items
    assert filter_items(items) == list(items)
    hard = filter_items(items, lo=5, hi=4)
    assert hard and all(4 <= i.difficulty <= 5 for i in hard)
    topic = items[0].topic
    assert all(i.topic == topic for i in filter_items(items, topic=topic))
    assert all("字节" in i.companies for i in filter_items(items, company="字节"))
    found = filter_items(items, query="KV Cache", search=lambda q: ctx.interviewer().kb.search(q, k=10))
    assert found and "kv cache" in found[0].question.lower()
    assert len({i.id for i in found}) == len(found)


def test_bank_search_view_and_select(web: Any, ctx: WebContext) -> None:
    bank = web.bank
    rows = value(bank.search("位置编码", "", "", "", 1, 5, "中文"))
    assert rows and "位置编码" in rows[0][0]
    html = bank.view(rows[0][-1], "中文")
    assert "ms-item-q" in html and rows[0][0] in html
    assert "找不到题目" in bank.view("<script>", "中文") and "<script>" not in bank.view("<script>", "中文")


def test_upload_refuses_binary_and_adds_documents(fresh_context: Callable[[], WebContext], tmp_path: Path) -> None:
    from ui.web.app import create

    ctx = fresh_context()
    web = create(ctx)
    bank = web.bank
    before = len(ctx.interviewer().kb.ensure_built().items)
    junk = tmp_path / "photo.txt"
    junk.write_bytes(bytes(range(256)) * 16)
    empty = tmp_path / "notes.md"
    empty.write_text("随便写点什么，没有问题也没有答案。\n", encoding="utf-8")
    assert screen_uploads([junk, empty], 20.0)[0] == []
    out = bank.add([str(junk), str(empty)], "中文", progress=lambda *a, **k: None)  # type: ignore[arg-type]
    assert "题库未改变" in out[bank.result] and "不是文本文件" in out[bank.result] and "photo.txt" in out[bank.result]
    assert len(ctx.interviewer().kb.ensure_built().items) == before
    assert not (ctx.interviewer().kb.docs_dir / "photo.txt").exists()
    assert bank.add(None, "中文") == {bank.result: '<div class="ms-msg ms-msg-warn">请先选择要上传的文档。</div>'}

    seen: list[tuple[Any, ...]] = []
    out = bank.add([str(DOCS / "qa_zh.txt"), str(junk)], "中文", progress=lambda *a, **k: seen.append(a))  # type: ignore[arg-type]
    after = len(ctx.interviewer().kb.ensure_built().items)
    assert after > before and seen
    assert "已添加 1 个文档" in out[bank.result] and "photo.txt" in out[bank.result]
    assert str(after) in out[bank.count]
    assert len(value(out[bank.table])) == after
    assert out[web.interview.topics]["choices"]
    # the refreshed interviewer asks from the new bank
    assert len(ctx.interviewer().bank.items) == after


# batch grading ---------------------------------------------------------------------------------------------------
def test_batch_tab_grades_and_offers_downloads(web: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = web.batch
    path = tmp_path / "answers.jsonl"
    rows = [{"id": "r1", "question": "为什么 Transformer 需要位置编码？", "answer": "注意力置换不变，需要注入位置信息。"},
            {"id": "r2", "question": "KV Cache 是什么？", "answer": HOSTILE}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{broken\n", encoding="utf-8")
    out = batch.run([str(path)], "auto", "rubric", "中文", progress=lambda *a, **k: None)  # type: ignore[arg-type]
    assert "已评分 2 条" in out[batch.summary] and "输入中的问题" in out[batch.summary]
    assert [r[-1] for r in value(out[batch.table])] == ["r1", "r2"]
    files = {name: Path(out[button]["value"]) for name, button in batch.dl.items()}
    assert set(files) == {"grades.jsonl", "grades.csv", "report.html", "report.md"}
    report = files["report.html"].read_text(encoding="utf-8")
    assert "&lt;script&gt;" in report and "<script>alert" not in report

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    out = batch.run([str(path)], "auto", "llm", "中文", progress=lambda *a, **k: None)  # type: ignore[arg-type]
    assert "未配置大模型" in out[batch.summary]
    nothing = tmp_path / "empty.jsonl"
    nothing.write_text("{}\n", encoding="utf-8")
    out = batch.run([str(nothing)], "auto", "rubric", "中文", progress=lambda *a, **k: None)  # type: ignore[arg-type]
    assert "没有可评分的回答" in out[batch.summary]
    assert "请先选择" in batch.run(None, "auto", "rubric", "中文")[batch.summary]


def test_review_config_is_a_review(web: Any) -> None:
    config = InterviewConfig(n_questions=2, review=True)
    out = web.interview.start_config(config, "zh")
    assert out[web.interview.sid]


def test_a_failing_turn_keeps_the_answer_and_says_why(web: Any, ctx: WebContext, monkeypatch: pytest.MonkeyPatch) -> None:
    tab = web.interview
    sid = tab.start([], 1, 5, [], 3, 0, "中文")[tab.sid]
    iv = ctx.interviewer()

    def boom(session_id: str, text: str) -> None:
        raise RuntimeError("<b>模型超时</b>")

    monkeypatch.setattr(iv, "answer", boom)
    out = tab.answer(sid, "我的回答", "中文")
    assert set(out) == {tab.notice}, "nothing else changes: the typed answer stays in the box"
    assert "出错了" in out[tab.notice] and "&lt;b&gt;模型超时" in out[tab.notice] and "<b>" not in out[tab.notice]
    monkeypatch.undo()
    assert "我的回答" in str(tab.answer(sid, "我的回答", "中文")[tab.chat])
