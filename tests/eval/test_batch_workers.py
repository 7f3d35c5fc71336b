"""--workers N: worker processes write the same grades.jsonl bytes as one process; a SIGKILLed N=2 run
resumes to the single run's file; a crashing worker's rows are retried or reported, never lost or
invented; a bad --workers value gets a Chinese message."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.examiner import Examiner
from eval.batch import BatchOptions, EvalError, open_kb, run_batch
from eval.workers import MAX_WORKERS, WorkerSpec, open_worker_examiner, parse_workers
from knowledge.settings import KnowledgeSettings
from tests.conftest import ROOT
from ui.cli import app

# Every test here spawns worker processes (each imports and warms a grader, ~5 s of CPU); on a machine
# shared with other jobs that takes several times longer, so the per-test limit is raised.
pytestmark = pytest.mark.timeout(1200)
ROWS = 240
KILL_AT = 10
UNMATCHED = "你最喜欢的编程语言是什么？为什么？"
CRASH, CRASH_ONCE, RAISE = "【进程崩溃】", "【崩溃一次】", "【评分出错】"


def write_answers(path: Path, items: list[Any], n: int, extra: tuple[str, ...] = ()) -> list[str]:
    """n answers of every shape the batch meets: exact bank questions, reworded ones (retrieval), an
    item id with an English answer, a question not in the bank; ``extra`` answers are appended."""
    ids: list[str] = []
    with path.open("w", encoding="utf-8") as f:
        for k in range(n + len(extra)):
            item = items[k % len(items)]
            ref = item.reference_answer or "；".join(p.text for p in item.key_points)
            row: dict[str, str] = {"id": f"w-{k:04d}", "question": item.question, "answer": ref[: len(ref) * (k % 3 + 1) // 3]}
            if k % 5 == 1:
                row["question"] = f"面试题：{item.question} 能展开讲讲吗？"
            elif k % 7 == 2:
                row |= {"item_id": item.id, "answer": "It uses attention; I am not sure about the details."}
            elif k % 11 == 3:
                row["question"] = UNMATCHED
            if k >= n:
                row["answer"] = f"{extra[k - n]}{row['answer']}"
            ids.append(row["id"])
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return ids


@pytest.fixture(scope="module")
def home(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("workers") / "home"
    shutil.copytree(built_home, home)
    return home


@pytest.fixture(scope="module")
def examiner(home: Path) -> Examiner:
    return Examiner(open_kb(KnowledgeSettings(home=home)))


@pytest.fixture(scope="module")
def answers(examiner: Examiner, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("answers") / "answers.jsonl"
    items = [i for i in examiner.kb.bank().items if i.reference_answer][:60]
    return path, write_answers(path, items, ROWS)


@pytest.fixture(scope="module")
def single(examiner: Examiner, answers: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The single-process run everything is compared with."""
    out = tmp_path_factory.mktemp("single") / "out"
    result = run_batch([answers[0]], BatchOptions(out_dir=out), examiner)
    assert result.graded == ROWS and not result.failed
    return out


def test_two_workers_write_the_single_process_bytes(examiner: Examiner, answers: tuple[Path, list[str]],
                                                   single: Path, tmp_path: Path) -> None:
    progress: list[tuple[int, int]] = []
    result = run_batch([answers[0]], BatchOptions(out_dir=tmp_path / "o", workers=2), examiner,
                       on_progress=lambda d, t: progress.append((d, t)))
    assert result.graded == ROWS and not result.failed
    got = (tmp_path / "o" / "grades.jsonl").read_bytes()
    assert got == (single / "grades.jsonl").read_bytes(), differences(single / "grades.jsonl", tmp_path / "o" / "grades.jsonl")
    assert (tmp_path / "o" / "grades.csv").read_bytes() == (single / "grades.csv").read_bytes()
    rows = [json.loads(line) for line in got.splitlines()]
    assert {"low_match"} & set(rows[3]["flags"]) and rows[1]["match_confidence"] < 1.0  # both paths were exercised
    assert progress[0] == (0, ROWS) and progress[-1] == (ROWS, ROWS)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


def differences(a: Path, b: Path) -> str:
    """The fields that differ, row by row (a grader edited between the two runs shows up here)."""
    out = []
    for x, y in zip(a.read_text(encoding="utf-8").splitlines(), b.read_text(encoding="utf-8").splitlines(), strict=False):
        if x != y:
            rx, ry = json.loads(x), json.loads(y)
            out.append(f"{rx.get('id')}: " + "; ".join(f"{k} {rx.get(k)!r} != {ry.get(k)!r}" for k in rx if rx.get(k) != ry.get(k)))
    return "\n".join(out[:10])


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_resume_after_sigkill_of_a_two_worker_run(home: Path, answers: tuple[Path, list[str]], single: Path,
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, ids = answers
    out = tmp_path / "out"
    grades = out / "grades.jsonl"
    with (tmp_path / "child.log").open("wb") as log:
        child = subprocess.Popen([sys.executable, "-m", "ui.cli", "eval", "run", str(src), "--out", str(out),
                                  "--workers", "2"], cwd=ROOT, env={**os.environ, "MIANSHI_HOME": str(home)},
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while (not grades.exists() or grades.read_bytes().count(b"\n") < KILL_AT) and child.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.005)
            workers = [p for p in _children(child.pid) if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()]
            assert child.poll() is None, "the run ended before it could be killed: " + \
                (tmp_path / "child.log").read_text(encoding="utf-8", errors="replace")[-2000:]
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=30)
    assert len(workers) == 2
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in workers), "workers outlived their killed parent"

    data = grades.read_bytes()
    finished = data[: data.rfind(b"\n") + 1]
    done = finished.count(b"\n")
    assert KILL_AT <= done < ROWS
    assert (single / "grades.jsonl").read_bytes().startswith(finished)  # in input order, the same rows
    with grades.open("ab") as f:  # a torn write on top of whatever the kill left
        f.write(b'{"id": "w-9999", "question": "\xe4\xbd')

    monkeypatch.setenv("MIANSHI_HOME", str(home))
    res = CliRunner().invoke(app, ["eval", "run", str(src), "--out", str(out), "--resume", "--workers", "2"])
    assert res.exit_code == 0, res.output
    assert "2 个评分进程" in res.stderr and "没写完" in res.stderr
    assert f"本次评分 {ROWS - done} 条" in res.stdout and f"沿用已完成的 {done} 条" in res.stdout
    assert grades.read_bytes() == (single / "grades.jsonl").read_bytes()
    assert [json.loads(line)["id"] for line in grades.read_text(encoding="utf-8").splitlines()] == ids


def test_ctrl_c_stops_the_workers_and_keeps_what_is_finished(home: Path, answers: tuple[Path, list[str]],
                                                             single: Path, tmp_path: Path) -> None:
    """SIGINT to the whole process group (what Ctrl-C does): exit 130, workers gone, no leak warnings."""
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-m", "ui.cli", "eval", "run", str(answers[0]), "--out", str(out),
                              "--workers", "2"], cwd=ROOT, env={**os.environ, "MIANSHI_HOME": str(home)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 180
        while (not (out / "grades.jsonl").exists() or (out / "grades.jsonl").read_bytes().count(b"\n") < 3) \
                and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        workers = [p for p in _children(child.pid) if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()]
        os.killpg(child.pid, signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130, stderr.decode("utf-8", "replace")[-2000:]
    text = stderr.decode("utf-8")
    assert "已中断" in text and "--resume" in text and "Traceback" not in text and "leaked" not in text
    assert len(workers) == 2 and not any(_alive(p) for p in workers)
    assert (single / "grades.jsonl").read_bytes().startswith((out / "grades.jsonl").read_bytes())


class FaultyExaminer:
    """Grades like the real examiner, except marked answers: one kills its process every time, one the
    first time only (a flag file remembers), one raises."""

    def __init__(self, inner: Examiner, flags: Path) -> None:
        self.inner = inner
        self.flags = flags

    def examine(self, question: str, answer: str, item_id: str | None = None) -> Any:
        if answer.startswith(CRASH):
            os._exit(3)
        if answer.startswith(CRASH_ONCE) and not (self.flags / "crashed").exists():
            (self.flags / "crashed").touch()
            os.kill(os.getpid(), signal.SIGKILL)
        if answer.startswith(RAISE):
            raise ValueError("这条回答让评分器出错")
        return self.inner.examine(question, answer, item_id=item_id)


def faulty_examiner(spec: WorkerSpec, client: Any) -> FaultyExaminer:
    """A worker factory (module level, so spawned workers can import it)."""
    real = open_worker_examiner(dataclasses.replace(spec, factory=None), client)
    return FaultyExaminer(real, Path(os.environ["MIANSHI_TEST_FLAGS"]))


def failing_examiner(spec: WorkerSpec, client: Any) -> Examiner:
    raise RuntimeError("题库文件损坏")


def test_crashed_workers_rows_are_retried_or_reported_never_lost_or_invented(
        examiner: Examiner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "faulty.jsonl"
    items = [i for i in examiner.kb.bank().items if i.reference_answer][:40]
    ids = write_answers(src, items, 40, extra=(CRASH, CRASH_ONCE, RAISE))
    expected = run_batch([src], BatchOptions(out_dir=tmp_path / "single"), examiner)
    assert expected.graded == len(ids)
    monkeypatch.setenv("MIANSHI_TEST_FLAGS", str(tmp_path))
    spec = WorkerSpec(knowledge=examiner.kb.settings, factory=faulty_examiner)
    reported: list[tuple[str, str]] = []
    result = run_batch([src], BatchOptions(out_dir=tmp_path / "o", workers=2), examiner, worker_spec=spec,
                       on_failure=lambda row, message: reported.append((row.id, message)))
    crash_id, _, raise_id = ids[-3:]
    assert [i for i, _ in reported] == [crash_id, raise_id]
    assert "评分进程在评这条回答时意外退出（退出码 3）" in reported[0][1] and "--resume" in reported[0][1]
    assert reported[1][1] == "ValueError: 这条回答让评分器出错"
    assert (tmp_path / "crashed").exists()  # the crash-once row did crash, and was graded on the retry
    single = (tmp_path / "single" / "grades.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    want = [line for line in single if json.loads(line)["id"] not in (crash_id, raise_id)]
    assert (tmp_path / "o" / "grades.jsonl").read_text(encoding="utf-8").splitlines(keepends=True) == want
    assert result.graded == len(ids) - 2 and len(result.failed) == 2


def test_a_worker_that_cannot_start_stops_the_run_with_its_reason(examiner: Examiner, answers: tuple[Path, list[str]],
                                                                 tmp_path: Path) -> None:
    spec = WorkerSpec(knowledge=examiner.kb.settings, factory=failing_examiner)
    with pytest.raises(EvalError, match=r"评分进程启动失败：RuntimeError: 题库文件损坏.*--resume"):
        run_batch([answers[0]], BatchOptions(out_dir=tmp_path / "o", workers=2), examiner, worker_spec=spec)
    assert not (tmp_path / "o" / "grades.jsonl").read_bytes()


def test_parse_workers() -> None:
    assert parse_workers(None) == parse_workers("") == parse_workers(" 1 ") == 1
    assert parse_workers("2") == 2 and parse_workers(str(MAX_WORKERS)) == MAX_WORKERS
    assert parse_workers("AUTO") == min(os.cpu_count() or 1, MAX_WORKERS)
    for bad in ("0", "-1", "1.5", "两个", str(MAX_WORKERS + 1)):
        with pytest.raises(EvalError, match=f"--workers 的值「{bad}」无效：评分进程数应为 1 到 {MAX_WORKERS}"):
            parse_workers(bad)


@pytest.mark.parametrize("value", ["0", "abc", "99"])
def test_bad_workers_value_is_a_chinese_error(value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(json.dumps({"question": "什么是注意力？", "answer": "加权求和"}, ensure_ascii=False) + "\n", "utf-8")
    monkeypatch.setenv("MIANSHI_HOME", str(tmp_path / "never-built"))
    res = CliRunner().invoke(app, ["eval", "run", str(src), "--out", str(tmp_path / "o"), "--workers", value])
    assert res.exit_code == 2
    assert f"--workers 的值「{value}」无效：评分进程数应为 1 到 {MAX_WORKERS} 之间的整数" in res.stderr
    assert "Traceback" not in res.output and not (tmp_path / "never-built").exists()
    monkeypatch.setenv("MIANSHI_EVAL_WORKERS", value)
    res = CliRunner().invoke(app, ["eval", "run", str(src), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and f"MIANSHI_EVAL_WORKERS 的值「{value}」无效" in res.stderr


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.integration.servers import free_port, stop, wait_for_http

    data = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    with (data / "server.log").open("w") as log:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(data / "db"),
                                 "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, 60, data / "server.log")
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)


@pytest.mark.chroma_server
def test_workers_against_a_chroma_server_match_one_process(chroma_url: str, tmp_path: Path) -> None:
    """With MIANSHI_CHROMA_URL the workers open their own HttpClient (process-safe) — same bytes."""
    from tests.conftest import DOCS

    kb = open_kb(KnowledgeSettings(home=tmp_path / "home", chroma_url=chroma_url))
    kb.build(docs=[DOCS])
    server_examiner = Examiner(kb)
    src = tmp_path / "a.jsonl"
    write_answers(src, [i for i in kb.bank().items if i.reference_answer], 60)
    one = run_batch([src], BatchOptions(out_dir=tmp_path / "one"), server_examiner)
    two = run_batch([src], BatchOptions(out_dir=tmp_path / "two", workers=2), server_examiner)
    assert one.graded == two.graded == 60
    assert (tmp_path / "two" / "grades.jsonl").read_bytes() == (tmp_path / "one" / "grades.jsonl").read_bytes()
    assert not (tmp_path / "home" / "chroma").exists()
