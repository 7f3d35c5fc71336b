"""Two accounts interviewing at once through `mianshi ui --users FILE`, in two browser contexts (headless
Chromium), with SQLite and with a real PostgreSQL: neither sees the other's sessions in 历史, nor by
replaying the other's stored session token (a valid, server-encrypted session id) in its own browser.
The server's log, history and reports never contain a password or the API key."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.servers import free_port, stop, wait_for_http
from tests.integration.test_web_browser import (
    ARGS,
    CHROMIUM,
    Watched,
    answer_at_once,
    bot_messages,
    start,
    status,
    submit,
)
from ui.users import Account, hash_password, write_users

pytestmark = pytest.mark.browser

PASSWORDS = {"alice": "Alice-pw-7f3Q!", "bob": "Bob-pw-9zK2?"}
API_KEY = "sk-test-SECRETKEY-000111"
DB_PASSWORD = "db-PASSWORD-4242"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def users_server(request: pytest.FixtureRequest, built_home: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not CHROMIUM.exists():
        pytest.skip("BROWSER TESTS SKIPPED: /usr/bin/chromium is missing (scripts/install-system-deps.sh)")
    pytest.importorskip("playwright.sync_api", reason="BROWSER TESTS SKIPPED: the playwright package is missing")
    root = tmp_path_factory.mktemp(f"web-users-{request.param}")
    home = root / "home"
    shutil.copytree(built_home, home)
    users = root / "users.txt"
    write_users(users, {n: Account(n, hash_password(p), "admin" if n == "alice" else "user") for n, p in PASSWORDS.items()})
    env = {**os.environ, "MIANSHI_HOME": str(home), "MIANSHI_BACKEND": "offline", "GRADIO_ANALYTICS_ENABLED": "False",
           "OMP_WAIT_POLICY": "PASSIVE", "GRADIO_TEMP_DIR": str(root / "gradio"), "OPENAI_API_KEY": API_KEY}
    if request.param == "postgres":
        from tests.integration.postgres import new_database

        url = new_database(request.getfixturevalue("postgres_base"))
        # trust auth ignores the password, so it can be a secret that must never be shown
        env["MIANSHI_DATABASE_URL"] = url.replace("postgres@", f"postgres:{DB_PASSWORD}@", 1)
    port = free_port()
    log_path = root / "server.log"
    log = log_path.open("w")
    exe = Path(sys.executable).parent / "mianshi"
    proc = subprocess.Popen([str(exe), "ui", "--port", str(port), "--users", str(users)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc, 120, log_path)
        yield {"url": url, "home": home, "log": log_path, "env": env, "kind": request.param}
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def browser(users_server: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def login(browser: Any, url: str, name: str) -> Watched:
    w = Watched(browser, url)
    page = w.page
    page.goto(url)
    page.wait_for_selector("input[type=password]")
    page.locator("input:not([type=password])").first.fill(name)
    page.fill("input[type=password]", PASSWORDS[name])
    page.keyboard.press("Enter")
    page.wait_for_selector("#ms-start")
    page.wait_for_function("document.querySelector('#ms-status')?.innerText.length > 0")
    return w


def history_text(page: Any, sid: str) -> str:
    page.click("#ms-tab-history-button")
    page.wait_for_function(f"document.querySelector('#ms-sessions')?.innerText.includes('{sid}')")
    return str(page.inner_text("#ms-sessions"))


def test_two_users_never_see_each_others_sessions(browser: Any, users_server: dict[str, Any]) -> None:
    url = users_server["url"]
    wa, wb = login(browser, url, "alice"), login(browser, url, "bob")
    a, b = wa.page, wb.page
    sid_a, sid_b = start(a, n=3), start(b, n=3)
    assert sid_a != sid_b
    # both answer at once
    answer_at_once(a, b)
    submit(b, "乙的第二个回答 BRAVO-333")
    # 历史 lists only one's own sessions
    hist_a, hist_b = history_text(a, sid_a), history_text(b, sid_b)
    assert sid_b not in hist_a and sid_a not in hist_b
    # bob replays alice's stored session token (a valid id, encrypted by the server) in his own browser
    token = a.evaluate("localStorage.getItem('mianshi-session')")
    assert token, "the interview tab keeps the session in localStorage"
    b.evaluate("t => localStorage.setItem('mianshi-session', t)", token)
    b.reload()
    b.wait_for_selector("#ms-start")
    b.wait_for_function("document.querySelector('#ms-status')?.innerText.length > 0")
    b.wait_for_timeout(1500)
    assert sid_a not in status(b), status(b)
    assert "ALPHA-111" not in b.inner_text("#ms-chat") and "ALPHA-111" not in " ".join(bot_messages(b))
    assert sid_a not in history_text(b, sid_b)
    # alice still has her interview
    a.reload()
    a.wait_for_function(f"document.querySelector('#ms-status')?.innerText.includes('{sid_a}')")
    a.wait_for_function("document.querySelector('#ms-chat')?.innerText.includes('ALPHA-111')")
    wa.close()
    wb.close()
    # the facade agrees: bob's id space has no alice session (same database the server wrote)
    check_store(users_server, sid_a, sid_b)


def check_store(server: dict[str, Any], sid_a: str, sid_b: str) -> None:
    env = server["env"]
    run = lambda *args: subprocess.run([sys.executable, "-m", "ui.cli", *args], env=env, capture_output=True,  # noqa: E731
                                       text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    bob = json.loads(run("history", "--json", "--user", "bob").stdout)
    assert [s["id"] for s in bob] == [sid_b]
    stolen = run("report", sid_a, "--user", "bob")
    assert stolen.returncode == 1 and "ALPHA" not in stolen.stdout + stolen.stderr
    mine = run("report", sid_a, "--format", "json", "--user", "alice")
    assert mine.returncode == 0 and json.loads(mine.stdout)["session_id"] == sid_a
    stats = json.loads(run("users", "stats").stdout)
    assert stats["users"] == 2 and stats["sessions"] == 2
    # no password, database password or API key anywhere a user or operator reads
    texts = [server["log"].read_text(errors="replace"), json.dumps(bob), mine.stdout, stolen.stderr,
             *(p.read_text(errors="replace") for p in server["home"].rglob("*") if p.suffix in (".log", ".json", ".txt"))]
    for p in server["home"].glob("*.sqlite"):
        texts.append(p.read_bytes().decode("utf-8", "replace"))
    if server["kind"] == "postgres":
        import psycopg

        url = env["MIANSHI_DATABASE_URL"].replace(f":{DB_PASSWORD}", "")
        with psycopg.connect(url) as con:
            for table in ("sessions", "turns", "attempts", "progress"):
                texts.append(json.dumps(con.execute(f"SELECT * FROM {table}").fetchall(), default=str))
    blob = "\n".join(texts)
    for secret in (*PASSWORDS.values(), API_KEY, DB_PASSWORD):
        assert secret not in blob, f"a secret leaked: {secret[:6]}…"
