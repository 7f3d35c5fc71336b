"""`mianshi ui` in a subprocess, driven by Playwright in Debian's headless Chromium (never a downloaded one).

Checks every flow a user clicks through: a whole interview with scorecard, report and download; a
refresh that resumes; document upload (good and binary); batch grading; two browsers at once; hostile
input shown as text. Every page records dialogs and requests leaving 127.0.0.1: both must stay empty.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ARTIFACTS, DOCS
from tests.integration.servers import free_port, stop, wait_for_http

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
TIMEOUT_MS = 60_000




@dataclass
class Server:
    url: str
    home: Path
    questions: dict[str, str] = field(default_factory=dict)
    """Bank question -> reference answer, to answer well."""


@pytest.fixture(scope="module")
def server(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not CHROMIUM.exists():
        pytest.skip("BROWSER TESTS SKIPPED: /usr/bin/chromium is missing. Install Debian's chromium and "
                    "fonts-noto-cjk (scripts/install-system-deps.sh); tests never download a browser.")
    pytest.importorskip("playwright.sync_api", reason="BROWSER TESTS SKIPPED: the playwright package is missing")
    root = tmp_path_factory.mktemp("web")
    home = root / "home"
    shutil.copytree(built_home, home)
    port = free_port()
    env = {**os.environ, "MIANSHI_HOME": str(home), "MIANSHI_BACKEND": "offline", "GRADIO_ANALYTICS_ENABLED": "False",
           "OMP_WAIT_POLICY": "PASSIVE", "GRADIO_TEMP_DIR": str(root / "gradio")}
    log_path = root / "server.log"
    log = log_path.open("w")
    exe = Path(sys.executable).parent / "mianshi"
    proc = subprocess.Popen([str(exe), "ui", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc, 90, log_path)
        bank = json.loads((home / "bank.json").read_text(encoding="utf-8"))
        yield Server(url=url, home=home,
                     questions={i["question"]: i.get("reference_answer") or "；".join(k["text"] for k in i["key_points"])
                                for i in bank["items"]})
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Watched:
    """A browser context whose page records dialogs and requests that leave 127.0.0.1."""

    def __init__(self, browser: Any, url: str) -> None:
        self.dialogs: list[str] = []
        self.external: list[str] = []
        self.context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000},
                                           locale="zh-CN")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)
        self.url = url

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            self.external.append(request.url)

    def open(self) -> Any:
        self.page.goto(self.url)
        self.page.wait_for_selector("#ms-start")
        self.page.wait_for_function("document.querySelector('#ms-status')?.innerText.length > 0")
        return self.page

    def close(self) -> None:
        self.context.close()
        assert self.dialogs == [], f"a dialog fired: {self.dialogs}"
        assert self.external == [], f"requests left the machine: {self.external}"


@pytest.fixture
def watched(browser: Any, server: Server) -> Iterator[Any]:
    opened: list[Watched] = []

    def make() -> Watched:
        w = Watched(browser, server.url)
        opened.append(w)
        return w

    yield make
    for w in opened:
        w.close()


# helpers ---------------------------------------------------------------------------------------------------
def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def status(page: Any) -> str:
    return str(page.inner_text("#ms-status"))


def bot_messages(page: Any) -> list[str]:
    return [str(x) for x in page.locator('#ms-chat [data-testid="bot"]').all_inner_texts()]


def user_messages(page: Any) -> list[str]:
    return [str(x) for x in page.locator('#ms-chat [data-testid="user"]').all_inner_texts()]


def set_number(page: Any, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def start(page: Any, n: int = 3, budget: int = 1) -> str:
    set_number(page, "ms-n", n)
    set_number(page, "ms-budget", budget)
    page.click("#ms-start")
    page.wait_for_function(f"document.querySelector('#ms-status').innerText.includes('/{n}')")
    match = re.search(r"(?:会话|Session) (\w+)", status(page))
    assert match, status(page)
    return match.group(1)


def submit(page: Any, text: str, keyboard: bool = False) -> None:
    before = len(user_messages(page))
    page.fill("#ms-answer textarea", text)
    if keyboard:
        page.press("#ms-answer textarea", "Shift+Enter")
    else:
        page.click("#ms-submit")
    page.wait_for_function(  # a turn takes well under a second; the margin is for a 2-core machine under load
        f"document.querySelectorAll('#ms-chat [data-testid=\"user\"]').length > {before}"
        " && document.querySelector('#ms-answer textarea').value === ''", timeout=180_000)


def answer_at_once(a: Any, b: Any) -> None:
    """Two browsers submit an answer at the same moment (ALPHA-111 and BRAVO-222); each sees its own."""
    a.fill("#ms-answer textarea", "甲的回答 ALPHA-111")
    b.fill("#ms-answer textarea", "乙的回答 BRAVO-222")
    a.click("#ms-submit")
    b.click("#ms-submit")
    for page, mine in ((a, "ALPHA-111"), (b, "BRAVO-222")):
        page.wait_for_function(f"document.querySelector('#ms-chat')?.innerText.includes('{mine}')")


def good_answer(server: Server, page: Any) -> str:
    """The reference answer of the question on screen (a follow-up gets a generic but relevant answer)."""
    last = bot_messages(page)[-1]
    for question, reference in server.questions.items():
        if question and question in last and reference:
            return reference
    return "这个问题我从原理、实现和工程取舍三个方面回答：核心是计算效率与数值稳定性。"


def finish_interview(server: Server, page: Any, limit: int = 12) -> None:
    for _ in range(limit):
        if "已结束" in status(page):
            return
        submit(page, good_answer(server, page))
    raise AssertionError(f"the interview did not finish: {status(page)}")


def bank_count(page: Any) -> int:
    """The number of questions the count line states (not a digit of Gradio's progress timer over it)."""
    text = page.inner_text("#ms-bank-count")
    match = re.search(r"(\d+)\s*(?:道题|questions)", text)
    assert match, text
    return int(match.group(1))


def upload(page: Any, elem_id: str, path: Path) -> None:
    page.set_input_files(f"#{elem_id} input[type=file]", str(path))
    page.wait_for_function(f"document.querySelector('#{elem_id}').innerText.includes('{path.stem}')")


def download(page: Any, selector: str) -> str:
    with page.expect_download() as info:
        page.click(selector)
    path = info.value.path()
    return Path(path).read_text(encoding="utf-8")


# (a) a whole interview ------------------------------------------------------------------------------------------
def test_full_interview_scorecard_report_and_download(watched: Any, server: Server) -> None:
    w = watched()
    page = w.open()
    assert "离线考官" in page.inner_text("#ms-backend")
    sid = start(page, n=3, budget=0)  # no follow-ups: each answer closes its question, so the scorecard shows it
    submit(page, good_answer(server, page))
    card = page.locator("#ms-scorecard-body")
    card.wait_for()
    assert re.search(r"\d", card.locator(".ms-score-num").inner_text())
    assert card.locator(".ms-kp").count() > 0
    assert page.locator("#ms-scorecard mark.ms-ev").count() > 0, "evidence is highlighted in the answer"
    shot(page, "web_scorecard.png")
    finish_interview(server, page)
    report = page.locator("#ms-report-body")
    report.wait_for()
    assert sid in report.inner_text()
    assert report.locator("svg").count() == 1
    assert report.locator("tbody tr").count() == 3
    shot(page, "web_interview.png")
    md = download(page, "#ms-dl-md")
    assert md.startswith(f"# 模拟面试报告 {sid}") and "## 逐题" in md
    html = download(page, "#ms-dl-html")
    assert "<html" in html and sid in html
    data = json.loads(download(page, "#ms-dl-json"))
    assert data["session_id"] == sid and data["answered"] == 3 and data["finished"] is True
    assert page.locator("#ms-submit").is_disabled()
    # the history tab lists it, with charts
    page.click("#ms-tab-history-button")
    page.wait_for_function(f"document.querySelector('#ms-sessions')?.innerText.includes('{sid}')")
    assert page.locator("#ms-chart-time svg").count() == 1
    shot(page, "web_history.png")
    # English relabels the app
    page.click("#ms-lang label:has-text('English')")
    page.wait_for_function("document.querySelector('#ms-tab-interview-button').innerText.includes('Interview')")
    assert page.locator("#ms-start").count() == 1


# (b) refresh mid-interview ---------------------------------------------------------------------------------------
def test_refresh_resumes_the_interview(watched: Any, server: Server) -> None:
    page = watched().open()
    sid = start(page, n=3, budget=0)  # no follow-ups: each answer closes its question, so the scorecard shows it
    submit(page, "我的第一题回答：缩放点积注意力除以根号 d_k。")
    question = bot_messages(page)[-1]
    chat_before = bot_messages(page)
    page.reload()
    page.wait_for_function(f"document.querySelector('#ms-status')?.innerText.includes('{sid}')")
    page.wait_for_function("document.querySelectorAll('#ms-chat [data-testid=\"bot\"]').length > 0")
    assert bot_messages(page) == chat_before, "the same chat, nothing lost"
    assert bot_messages(page)[-1] == question
    assert any("缩放点积注意力" in m for m in user_messages(page))
    assert page.locator("#ms-scorecard-body").count() == 1
    shot(page, "web_refresh.png")
    submit(page, "刷新后继续回答。", keyboard=True)
    assert sid in status(page)


# (c) and (g) documents -------------------------------------------------------------------------------------------
def open_bank(page: Any) -> int:
    page.click("#ms-tab-bank-button")
    page.wait_for_selector("#ms-bank-count")
    # the server always has the bundled bank: a count without a non-zero digit has not rendered yet
    page.wait_for_function("/[1-9][0-9]*\\s*(道题|questions)/.test(document.querySelector('#ms-bank-count')?.innerText || '')")
    return bank_count(page)


def test_non_document_upload_is_refused_and_the_bank_is_unchanged(watched: Any, server: Server, tmp_path: Path) -> None:
    page = watched().open()
    before = open_bank(page)
    junk = tmp_path / "photo.txt"
    junk.write_bytes(bytes(range(256)) * 64)
    upload(page, "ms-upload", junk)
    page.click("#ms-add-docs")
    page.wait_for_function("document.querySelector('#ms-upload-result').innerText.includes('题库未改变')")
    text = page.inner_text("#ms-upload-result")
    assert "photo.txt" in text and "不是文本文件" in text
    assert bank_count(page) == before
    assert not (server.home / "docs" / "photo.txt").exists()


def test_document_upload_adds_items(watched: Any, server: Server) -> None:
    page = watched().open()
    before = open_bank(page)
    upload(page, "ms-upload", DOCS / "qa_zh.txt")
    page.click("#ms-add-docs")
    page.wait_for_function("document.querySelector('#ms-upload-result').innerText.includes('已添加')")
    after = bank_count(page)
    assert after > before, (before, after)
    # the new questions can be found and viewed
    page.fill("#ms-bank-query textarea", "BPE")
    page.click("#ms-bank-search")
    page.wait_for_function("/\\bqa[@:]/.test(document.querySelector('#ms-bank-table').innerText)")
    cell = page.locator('#ms-bank-table [data-testid="cell-0-0"]')
    question = cell.inner_text().strip()
    cell.click()
    page.wait_for_selector("#ms-item .ms-item-q")
    assert page.inner_text("#ms-item .ms-item-q").strip() == question
    shot(page, "web_bank.png")


# (d) batch evaluation ---------------------------------------------------------------------------------------------
def test_batch_grading_gives_a_downloadable_report(watched: Any, tmp_path: Path) -> None:
    rows = [{"id": "a1", "question": "为什么 Transformer 需要位置编码？",
             "answer": "注意力对顺序不敏感（置换不变），位置编码把位置信息注入 token 表示。"},
            {"id": "a2", "question": "KV Cache 是什么？", "answer": HOSTILE}]
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    page = watched().open()
    page.click("#ms-tab-batch-button")
    upload(page, "ms-batch-files", path)
    page.click("#ms-batch-run")
    page.wait_for_function("document.querySelector('#ms-batch-summary').innerText.includes('已评分 2 条')")
    assert "a1" in page.inner_text("#ms-batch-table") and "a2" in page.inner_text("#ms-batch-table")
    shot(page, "web_batch.png")
    html = download(page, "#ms-batch-dl-report-html")
    assert "<html" in html.lower() and "&lt;script&gt;" in html and "<script>alert" not in html
    grades = [json.loads(x) for x in download(page, "#ms-batch-dl-grades-jsonl").splitlines()]
    assert [g["id"] for g in grades] == ["a1", "a2"]


# (e) isolation ------------------------------------------------------------------------------------------------------
def test_two_browsers_never_see_each_other(watched: Any) -> None:
    a, b = watched().open(), watched().open()
    sid_a, sid_b = start(a, n=3), start(b, n=3)
    assert sid_a != sid_b
    answer_at_once(a, b)
    a.reload()
    a.wait_for_function(f"document.querySelector('#ms-status')?.innerText.includes('{sid_a}')")
    a.wait_for_function("document.querySelector('#ms-chat')?.innerText.includes('ALPHA-111')")
    for page, sid, other, other_sid in ((a, sid_a, "BRAVO-222", sid_b), (b, sid_b, "ALPHA-111", sid_a)):
        assert sid in status(page)
        assert other not in page.inner_text("#ms-chat") and other not in page.inner_text("#ms-scorecard")
        assert other_sid not in status(page)


# (f) hostile input -------------------------------------------------------------------------------------------------
def test_hostile_answer_is_shown_as_text(watched: Any) -> None:
    w = watched()
    page = w.open()
    start(page, n=3, budget=0)
    submit(page, HOSTILE)
    assert any(HOSTILE in m for m in user_messages(page)), user_messages(page)
    page.locator("#ms-scorecard-body").wait_for()
    assert HOSTILE in page.inner_text("#ms-scorecard .ms-answer")
    assert page.locator("#ms-chat script, #ms-scorecard script, #ms-chat img[src=x], #ms-scorecard img").count() == 0
    page.wait_for_timeout(500)
    assert w.dialogs == []
    shot(page, "web_hostile.png")
