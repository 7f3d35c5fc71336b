"""--resume after a real SIGKILL: nothing finished is regraded or lost, order and JSON lines intact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from eval.batch import open_kb
from tests.conftest import ROOT
from ui.cli import app

ROWS = 300
KILL_AT = 10


def big_input(path: Path) -> list[str]:
    """ROWS answers to 30 bank questions, three variants each (so grading after the kill stays quick)."""
    items = [i for i in open_kb().bank().items if i.reference_answer][:30]
    ids: list[str] = []
    with path.open("w", encoding="utf-8") as f:
        for k in range(ROWS):
            item = items[k % len(items)]
            variant = (k // len(items)) % 3
            answer = item.reference_answer[: len(item.reference_answer) * (variant + 1) // 3]
            ids.append(f"big-{k:04d}")
            f.write(json.dumps({"id": ids[-1], "question": item.question, "answer": answer}, ensure_ascii=False) + "\n")
    return ids


def complete_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_resume_after_sigkill(home_copy: Path, tmp_path: Path) -> None:
    src, out = tmp_path / "big.jsonl", tmp_path / "out"
    ids = big_input(src)
    grades = out / "grades.jsonl"
    with (tmp_path / "child.log").open("wb") as log:
        child = subprocess.Popen([sys.executable, "-m", "ui.cli", "eval", "run", str(src), "--out", str(out)],
                                 cwd=ROOT, env={**os.environ, "MIANSHI_HOME": str(home_copy)},
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while complete_lines(grades) < KILL_AT and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            assert child.poll() is None, "the run finished before it could be killed: " + \
                (tmp_path / "child.log").read_text(encoding="utf-8", errors="replace")[-2000:]
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    data = grades.read_bytes()
    finished = data[: data.rfind(b"\n") + 1]
    done = finished.count(b"\n")
    assert KILL_AT <= done < ROWS
    with grades.open("ab") as f:  # a torn write on top of whatever the kill left
        f.write(b'{"id": "big-9999", "question": "\xe4\xbd')

    res = CliRunner().invoke(app, ["eval", "run", str(src), "--out", str(out), "--resume"])
    assert res.exit_code == 0, res.output
    final = grades.read_bytes()
    assert final.startswith(finished)  # the rows finished before the kill are untouched
    rows = [json.loads(line) for line in final.decode("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ids  # each input once, in input order
    assert f"本次评分 {ROWS - done} 条" in res.stdout and f"沿用已完成的 {done} 条" in res.stdout
    assert "没写完" in res.stderr
    assert (out / "report.html").exists() and (out / "grades.csv").exists()
