"""Two web workers (two `mianshi ui` processes on two ports) against one PostgreSQL and one `chroma run`:
they serve two users' interviews at the same time, and either worker shows a user the same history —
only theirs (docs/DEPLOY.md is this setup for production)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.postgres import new_database
from tests.integration.servers import free_port, stop, wait_for_http
from tests.integration.test_chroma_server import chroma_url  # noqa: F401 - the `chroma run` fixture
from tests.integration.test_web_browser import ARGS, CHROMIUM, answer_at_once, start, submit
from tests.integration.test_web_users import PASSWORDS, history_text, login
from ui.users import Account, hash_password, write_users

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.chroma_server]


@pytest.fixture(scope="module")
def workers(built_home: Path, tmp_path_factory: pytest.TempPathFactory, postgres_base: str,
            chroma_url: str) -> Iterator[list[str]]:  # noqa: F811
    if not CHROMIUM.exists():
        pytest.skip("BROWSER TESTS SKIPPED: /usr/bin/chromium is missing (scripts/install-system-deps.sh)")
    root = tmp_path_factory.mktemp("workers")
    home = root / "home"
    shutil.copytree(built_home, home)
    shutil.rmtree(home / "chroma", ignore_errors=True)  # the index lives in the Chroma server
    users = root / "users.txt"
    write_users(users, {n: Account(n, hash_password(p)) for n, p in PASSWORDS.items()})
    env = {**os.environ, "MIANSHI_HOME": str(home), "MIANSHI_BACKEND": "offline", "GRADIO_ANALYTICS_ENABLED": "False",
           "OMP_WAIT_POLICY": "PASSIVE", "GRADIO_TEMP_DIR": str(root / "gradio"),
           "MIANSHI_DATABASE_URL": new_database(postgres_base), "MIANSHI_CHROMA_URL": chroma_url}
    exe = Path(sys.executable).parent / "mianshi"
    built = subprocess.run([str(exe), "kb", "build"], env=env, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr
    procs, urls, logs = [], [], []
    try:
        for n in range(2):
            port = free_port()
            log_path = root / f"worker{n}.log"
            log = log_path.open("w")
            logs.append(log)
            proc = subprocess.Popen([str(exe), "ui", "--port", str(port), "--users", str(users)], env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
            procs.append(proc)
            url = f"http://127.0.0.1:{port}/"
            wait_for_http(url, proc, 180, log_path)
            urls.append(url)
        yield urls
    finally:
        for proc in procs:
            stop(proc)
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def browser(workers: list[str]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_two_workers_serve_interviews_concurrently_from_one_database(browser: Any, workers: list[str]) -> None:
    one, two = workers
    wa, wb = login(browser, one, "alice"), login(browser, two, "bob")
    a, b = wa.page, wb.page
    sid_a, sid_b = start(a, n=2), start(b, n=2)
    answer_at_once(a, b)
    submit(a, "甲的第二个回答 ALPHA-333")
    # alice on the other worker: the same sessions (one database), and still none of bob's
    wa2 = login(browser, two, "alice")
    hist = history_text(wa2.page, sid_a)
    assert sid_b not in hist
    wb2 = login(browser, one, "bob")
    assert sid_a not in history_text(wb2.page, sid_b)
    for w in (wa, wb, wa2, wb2):
        w.close()
