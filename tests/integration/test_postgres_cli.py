"""`mianshi chat` on PostgreSQL (MIANSHI_DATABASE_URL): history, review schedules and the LangGraph
checkpoints live in the server; a SIGKILL mid-interview loses no turn and `chat --resume` continues;
`--user` keeps each user's sessions apart; no secret reaches the output or the database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.postgres import new_database

pytestmark = pytest.mark.postgres

EXE = [sys.executable, "-m", "ui.cli"]
ROOT = Path(__file__).resolve().parents[2]
DB_PASSWORD = "pg-SECRET-pass-77"
API_KEY = "sk-cli-SECRETKEY-999"


def env_for(home: Path, url: str) -> dict[str, str]:
    return {**os.environ, "MIANSHI_HOME": str(home), "MIANSHI_BACKEND": "offline", "COLUMNS": "120",
            "MIANSHI_DATABASE_URL": url.replace("postgres@", f"postgres:{DB_PASSWORD}@", 1), "OPENAI_API_KEY": API_KEY}


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], input=stdin, capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)


def pg_turns(url: str) -> list[tuple[str, str]]:
    import psycopg

    with psycopg.connect(url) as con:
        try:
            return [(r[0], r[1]) for r in con.execute("SELECT role, text FROM turns ORDER BY session_id, idx").fetchall()]
        except psycopg.errors.UndefinedTable:  # the chat process has not created the schema yet
            return []


@pytest.mark.slow
def test_sigkill_then_resume_with_postgres(home_copy: Path, postgres_base: str) -> None:
    url = new_database(postgres_base)
    env = env_for(home_copy, url)
    answer = "第一题我的回答是残差和归一化让训练更稳定"
    proc = subprocess.Popen([*EXE, "chat", "-n", "3", "--seed", "5", "--follow-ups", "0", "--user", "alice"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert proc.stdin is not None
    proc.stdin.write(answer + "\n")
    proc.stdin.flush()
    deadline = time.time() + 180
    while time.time() < deadline and ("candidate", answer) not in pg_turns(url):
        time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)  # no chance to clean up
    proc.wait(timeout=30)
    before = pg_turns(url)
    assert ("candidate", answer) in before
    assert not list(home_copy.glob("history.sqlite")) and not list(home_copy.glob("checkpoints.sqlite")), \
        "nothing went to SQLite"
    sid = json.loads(run(["history", "--json", "--user", "alice"], env).stdout)[0]["id"]
    # another user cannot resume it, list it or export it
    assert json.loads(run(["history", "--json", "--user", "bob"], env).stdout) == []
    other = run(["chat", "--resume", sid, "--user", "bob"], env, "偷看\n")
    assert other.returncode != 0 and answer not in other.stdout + other.stderr
    res = run(["chat", "--resume", sid, "--user", "alice"], env, "第二题的回答\n第三题的回答\n")
    assert res.returncode == 0, res.stderr
    after = json.loads(run(["history", "--json", "--user", "alice"], env).stdout)[0]
    texts = [t["text"] for t in after["turns"]]
    assert texts[: len(before)] == [t for _, t in before], "turns saved before the kill are kept, in order"
    assert "第二题的回答" in texts and "第三题的回答" in texts
    assert after["finished"] is True and after["answered"] == 3
    report = run(["report", sid, "--format", "json", "--user", "alice"], env)
    assert json.loads(report.stdout)["answered"] == 3
    import psycopg

    with psycopg.connect(url) as con:
        assert con.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", (sid,)).fetchone()[0] > 0
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] >= 2
        dump = json.dumps([con.execute(f"SELECT * FROM {t}").fetchall() for t in ("sessions", "turns", "progress")],
                          default=str)
    blob = "\n".join([dump, res.stdout, res.stderr, other.stdout, other.stderr, report.stdout, json.dumps(after)])
    assert DB_PASSWORD not in blob and API_KEY not in blob


def test_a_bad_database_url_fails_clearly_without_the_password(home_copy: Path) -> None:
    env = env_for(home_copy, "postgresql://postgres@127.0.0.1:1/nothing")
    res = run(["history"], env)
    assert res.returncode != 0
    assert DB_PASSWORD not in res.stdout + res.stderr
    assert "127.0.0.1:1" in res.stdout + res.stderr
