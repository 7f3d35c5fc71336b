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


def test_scripted_chat_completes_and_history_shows_it(home_copy: Path) -> None:
    answers = "\n".join([
        "多头注意力把表示投影到多个子空间，不同的头关注不同的关系模式，提升表达能力",
        "我觉得是为了让计算更快",
        "跳过",
        "不知道",
        "结束",
    ]) + "\n"
    res = run(["chat", "-n", "3", "--seed", "11"], home_copy, answers)
    assert res.returncode == 0, res.stderr
    assert "第 1/3 题" in res.stdout and "评分" in res.stdout and "面试结束" in res.stdout
    hist = run(["history", "--json"], home_copy)
    sessions = json.loads(hist.stdout)
    assert len(sessions) == 1
    s = sessions[0]
    assert s["finished"] is True and s["answered"] == 3
    candidate = [t for t in s["turns"] if t["role"] == "candidate"]
    assert [t["text"] for t in candidate][:2] == answers.splitlines()[:2]
    assert any(t["score"] is not None for t in candidate)
    md = run(["report", s["id"]], home_copy)
    assert "模拟面试报告" in md.stdout
    html = run(["report", s["id"], "--format", "html", "-o", str(home_copy / "r.html")], home_copy)
    assert html.returncode == 0 and (home_copy / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    missing = run(["report", "nope"], home_copy)
    assert missing.returncode == 1 and "找不到会话" in missing.stderr


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
