"""`mianshi chat` scripted through stdin, `history --json`, `report`, and resume after a real SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXE = [sys.executable, "-m", "ui.cli"]


def run(args: list[str], home: Path, stdin: str = "", timeout: int = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIANSHI_HOME": str(home), "MIANSHI_BACKEND": "offline", "COLUMNS": "120"}
    return subprocess.run([*EXE, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=Path(__file__).resolve().parent.parent)


def test_scripted_chat_completes_and_history_and_report_keep_their_contracts(home_copy: Path) -> None:
    answers = "\n".join([
        "多头注意力把表示投影到多个子空间，不同的头关注不同的关系模式，提升表达能力",
        "我觉得是为了让计算更快",
        "跳过",
        "不知道",
        "结束",
    ]) + "\n"
    res = run(["chat", "-n", "3", "--seed", "11"], home_copy, answers)
    assert res.returncode == 0, res.stderr
    assert "第 1/3 题" in res.stdout and "本题结果" in res.stdout and "参考答案" in res.stdout and "面试结束" in res.stdout
    hist = run(["history", "--json"], home_copy)
    sessions = json.loads(hist.stdout)
    assert len(sessions) == 1
    s = sessions[0]
    assert s["finished"] is True and s["answered"] == 3
    for t in s["turns"]:
        assert {"role", "kind", "text", "item_id", "score"} <= set(t)
    assert {t["kind"] for t in s["turns"]} >= {"opening", "question", "answer", "feedback", "closing"}
    candidate = [t for t in s["turns"] if t["role"] == "candidate"]
    assert [t["text"] for t in candidate][:2] == answers.splitlines()[:2]
    # one number per question: the feedback turn that closes it carries the question's final score
    feedback = [t for t in s["turns"] if t["kind"] == "feedback"]
    report = json.loads(run(["report", s["id"], "--format", "json"], home_copy).stdout)
    assert [q["score"] for q in report["questions"]] == [t["score"] for t in feedback]
    for q in report["questions"]:
        assert {"item_id", "question", "score", "verdict", "missed"} <= set(q)
        assert not q["question"].startswith("q-")  # question text, never an id
        assert f"本题 {q['score']:.1f} 分（{q['verdict']}）" in res.stdout or q["score"] == 0.0
    md = run(["report", s["id"]], home_copy)
    assert "模拟面试报告" in md.stdout
    html = run(["report", s["id"], "--format", "html", "-o", str(home_copy / "r.html")], home_copy)
    assert html.returncode == 0 and (home_copy / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    missing = run(["report", "nope"], home_copy)
    assert missing.returncode == 1 and "找不到会话" in missing.stderr


def _session(home: Path, sid: str | None = None) -> dict:  # type: ignore[type-arg]
    sessions = json.loads(run(["history", "--json"], home).stdout)
    return next(s for s in sessions if sid is None or s["id"] == sid) if sid else sessions[0]


def test_follow_ups_do_not_read_out_the_reference_and_echoing_them_earns_nothing(home_copy: Path) -> None:
    from agent.probes import shared_run
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    by_id = KnowledgeBase(KnowledgeSettings(home=home_copy)).ensure_built().by_id()
    checked = 0
    for seed in (3, 14, 27):
        # a partial answer (the first key point only), then stop: the follow-up is pending
        first = run(["chat", "-n", "1", "--seed", str(seed)], home_copy, "结束\n")
        item = by_id[_session(home_copy)["turns"][1]["item_id"]]
        partial = item.key_points[0].text
        res = run(["chat", "-n", "1", "--seed", str(seed)], home_copy, partial + "\n")
        assert first.returncode == 0 and res.returncode == 0, res.stderr
        s = _session(home_copy)
        follow = [t for t in s["turns"] if t["kind"] == "follow_up"]
        if not follow:
            continue
        text = follow[0]["text"]
        for secret in [item.reference_answer, *(k.text for k in item.key_points)]:
            assert not shared_run(text, secret, 10), (text, secret)
        # the same script, answering the follow-up with its own words ...
        echoed = run(["chat", "--resume", s["id"]], home_copy, text + "\n")
        assert echoed.returncode == 0, echoed.stderr
        echo_score = json.loads(run(["report", s["id"], "--format", "json"], home_copy).stdout)["questions"][0]["score"]
        # ... scores no higher than without that answer
        run(["chat", "-n", "1", "--seed", str(seed)], home_copy, partial + "\n")
        s2 = _session(home_copy)
        run(["chat", "--resume", s2["id"]], home_copy, "跳过\n")
        skip_score = json.loads(run(["report", s2["id"], "--format", "json"], home_copy).stdout)["questions"][0]["score"]
        assert echo_score <= skip_score, (text, echo_score, skip_score)
        checked += 1
    assert checked >= 2


def test_three_default_sessions_do_not_all_start_with_the_same_question(home_copy: Path) -> None:
    firsts = []
    for _ in range(3):
        assert run(["chat", "-n", "1"], home_copy, "结束\n").returncode == 0
        firsts.append(_session(home_copy)["turns"][1]["text"])
    assert len(set(firsts)) > 1, firsts


def _turns(home: Path) -> list[tuple[str, str]]:
    db = home / "history.sqlite"
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT role, text FROM turns ORDER BY session_id, idx").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_mid_interview_then_resume_loses_no_turn(home_copy: Path) -> None:
    env = {**os.environ, "MIANSHI_HOME": str(home_copy), "MIANSHI_BACKEND": "offline"}
    proc = subprocess.Popen([*EXE, "chat", "-n", "3", "--seed", "5", "--follow-ups", "0"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=Path(__file__).resolve().parent.parent)
    assert proc.stdin is not None
    proc.stdin.write("第一题我的回答是残差和归一化让训练更稳定\n")
    proc.stdin.flush()
    deadline = time.time() + 120
    while time.time() < deadline and not any(t == ("candidate", "第一题我的回答是残差和归一化让训练更稳定") for t in _turns(home_copy)):
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)  # no chance to clean up
    proc.wait(timeout=30)
    before = _turns(home_copy)
    assert ("candidate", "第一题我的回答是残差和归一化让训练更稳定") in before
    sid = json.loads(run(["history", "--json"], home_copy).stdout)[0]["id"]
    res = run(["chat", "--resume", sid], home_copy, "第二题的回答\n第三题的回答\n")
    assert res.returncode == 0, res.stderr
    after = json.loads(run(["history", "--json"], home_copy).stdout)[0]
    texts = [t["text"] for t in after["turns"]]
    assert texts[: len(before)] == [t for _, t in before], "turns saved before the kill are kept, in order"
    assert "第二题的回答" in texts and "第三题的回答" in texts
    assert after["finished"] is True and after["answered"] == 3
