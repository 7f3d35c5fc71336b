"""Visual regression of the practice room (issue 12): every tab in Chinese and English, on a desktop
(1440x900) and a phone (390x844), screenshotted under test-artifacts/visual/ and checked for layout facts:

- desktop: during an interview the answer box and 提交 sit inside the first screen, without scrolling;
- phone: all five tabs are reachable from the tab bar and nothing is wider than the screen;
- the report table has no text overflowing its cells; the batch report from a browser upload shows
  no temporary path, its columns keep a readable width and the page keeps a sane height;
- English is complete on screen and survives a reload.

The server, browser and helpers are the ones of test_web_browser.py (a real ``mianshi ui`` subprocess in
Debian's headless Chromium; no request may leave 127.0.0.1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ARTIFACTS
from tests.integration import test_web_browser as wb
from tests.integration.test_web_browser import (
    Server,
    Watched,
    download,
    finish_interview,
    good_answer,
    set_number,
    submit,
    upload,
)

server = wb.server  # the same fixtures: a `mianshi ui` subprocess on a copy of the built bank, and Chromium
browser = wb.browser
watched = wb.watched

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
TABS = ("interview", "bank", "history", "batch", "settings")
SHOTS = ARTIFACTS / "visual"
CJK = re.compile(r"[\u4e00-\u9fff]")

TOO_WIDE = """() => {
  const W = document.documentElement.clientWidth, bad = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || (r.right <= W + 1 && r.left >= -1)) continue;
    if (e.closest('[aria-hidden="true"], .visually-hidden') || getComputedStyle(e).visibility === 'hidden') continue;
    let p = e.parentElement, clipped = false;
    for (; p && p !== document.body; p = p.parentElement)
      if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) { clipped = true; break; }
    if (!clipped) bad.push(`${e.tagName}#${e.id}.${String(e.className).slice(0, 40)} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
  }
  return {bad: bad.slice(0, 10), scroll: document.documentElement.scrollWidth, width: W};
}"""

CHROME = """(tab) => [...document.querySelectorAll([
  '[data-testid="block-info"]', '[data-testid="block-label"]', '.header-table th', 'button[id^="ms-"]', '.label-wrap',
  '#ms-status', '#ms-backend', '#ms-bank-count', '#ms-settings-intro', '#ms-settings-help', '#ms-settings-key-state',
  '#ms-card-title', '#ms-notice', '#ms-history-notice', '#ms-item .ms-empty', '#ms-scorecard .ms-empty', '.ms-score-label', '#ms-scorecard h4', '#ms-report-body h2',
  '#ms-report-body h4', '#ms-report-body th', '#ms-batch-summary p'].map(s => `#ms-tab-${tab} ${s}`).join(','))]
  .map(e => e.innerText.trim()).filter(Boolean)"""
"""What the UI itself says on a tab (labels, buttons, headers, status lines), not the content it shows
(bank questions, answers, the grader's feedback stay in the language they were written in)."""

OVERFLOWING_CELLS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText.slice(0, 40))"""

NARROW_CELLS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(c => c.innerText.trim().length > 8 && c.getBoundingClientRect().width < 56)
  .map(c => `${Math.round(c.getBoundingClientRect().width)}px: ${c.innerText.slice(0, 20)}`)"""
"""Cells of text squeezed into a column a few characters wide (a "#" or score column is narrow by design)."""


class Sized:
    """The browser, opening contexts at a screen size and a browser language (for :class:`Watched`)."""

    def __init__(self, browser: Any, size: tuple[int, int], locale: str) -> None:
        self.browser, self.size, self.locale = browser, size, locale

    def new_context(self, **options: Any) -> Any:
        width, height = self.size
        return self.browser.new_context(**{**options, "viewport": {"width": width, "height": height},
                                           "locale": self.locale})


@pytest.fixture
def sized(browser: Any, server: Server) -> Iterator[Any]:
    """Watched pages at a given size and browser language; each is checked for dialogs and requests
    leaving 127.0.0.1 when the test ends."""
    opened: list[Watched] = []

    def make(size: tuple[int, int], locale: str = "zh-CN") -> Watched:
        w = Watched(Sized(browser, size, locale), server.url)
        opened.append(w)
        return w

    yield make
    for w in opened:
        w.close()


def shoot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def in_viewport(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return bool(box) and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] \
        and box["y"] + box["height"] <= size["height"]


def assert_fits_the_phone(page: Any, where: str) -> None:
    found = page.evaluate(TOO_WIDE)
    assert found["scroll"] <= found["width"], f"{where}: the page scrolls sideways ({found})"
    assert found["bad"] == [], f"{where}: wider than the screen: {found['bad']}"


def assert_english(page: Any, tab: str) -> None:
    said = page.evaluate(CHROME, tab)
    assert said, f"nothing found on the {tab} tab"
    chinese = [x for x in said if CJK.search(x)]
    assert chinese == [], f"{tab}: Chinese left in English mode: {chinese[:8]}"


def open_tab(page: Any, tab: str) -> None:
    button = page.locator(f"#ms-tab-{tab}-button")
    assert button.is_visible(), f"the {tab} tab is not in the tab bar (hidden in the overflow menu?)"
    button.click()
    page.wait_for_selector(f"#ms-tab-{tab}", state="visible")


def choose_english(page: Any) -> None:
    page.click("#ms-lang label:has-text('English')")
    page.wait_for_function("document.querySelector('#ms-tab-interview-button')?.innerText.includes('Interview')")
    page.wait_for_function("document.querySelector('#ms-backend')?.innerText.includes('Offline examiner')")


def start(page: Any, n: int = 3) -> str:
    set_number(page, "ms-n", n)
    set_number(page, "ms-budget", 0)
    page.click("#ms-start")
    page.wait_for_function(f"document.querySelector('#ms-status').innerText.includes('/{n}')")
    match = re.search(r"(?:会话|Session) (\w+)", page.inner_text("#ms-status"))
    assert match, page.inner_text("#ms-status")
    return match.group(1)


def answers_file(folder: Path) -> Path:
    rows = [{"id": "v1", "question": "为什么 Transformer 需要位置编码？",
             "answer": "注意力对顺序不敏感（置换不变），位置编码把位置信息注入 token 表示，常见的有正弦编码、可学习编码和 RoPE。"},
            {"id": "v2", "question": "KV Cache 是什么？", "answer": "缓存已生成 token 的 K 和 V，解码时不再重复计算。"},
            {"id": "v3", "question": "LoRA 为什么能省显存？", "answer": "只训练低秩矩阵 A、B，冻结原权重。"}]
    path = folder / "answers.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_tab_in_both_languages_at_both_sizes(sized: Any, server: Server, tmp_path: Path, lang: str,
                                                   size: str) -> None:
    # an English user most likely has an English browser: Gradio's own widget texts follow the browser
    page = sized(SIZES[size], "en-US" if lang == "en" else "zh-CN").open()
    if lang == "en":
        choose_english(page)
        page.reload()  # the choice is kept by the browser
        page.wait_for_selector("#ms-start")
        page.wait_for_function("document.querySelector('#ms-tab-interview-button')?.innerText.includes('Interview')")
        page.wait_for_function("document.querySelector('#ms-backend')?.innerText.includes('Offline examiner')")
        assert page.locator("#ms-lang input[value='English']").is_checked()
    prefix = f"{lang}_{size}"
    # the interview room, during an interview: one question answered and graded
    page.wait_for_function("document.querySelector('#ms-backend')?.innerText.length > 0")
    shoot(page, f"{prefix}_interview_idle.png")
    start(page)
    submit(page, good_answer(server, page))
    page.locator("#ms-scorecard-body").wait_for()
    if size == "desktop":
        assert page.evaluate("window.scrollY") == 0, "the room fits the screen: nothing had to scroll"
        for selector in ("#ms-answer textarea", "#ms-submit", "#ms-skip", "#ms-hint", "#ms-end"):
            assert in_viewport(page, selector), f"{selector} is below the first screen at 1440x900"
        assert in_viewport(page, "#ms-scorecard .ms-score"), "the score is on the first screen"
    else:
        assert_fits_the_phone(page, "interview")
    page.click("#ms-submit")  # empty: the notice shows next to the buttons that caused it
    page.wait_for_function("document.querySelector('#ms-notice')?.innerText.length > 0")
    notice, buttons = page.locator("#ms-notice").bounding_box(), page.locator("#ms-actions").bounding_box()
    assert 0 <= notice["y"] - (buttons["y"] + buttons["height"]) < 40, (notice, buttons)
    if size == "desktop":
        assert in_viewport(page, "#ms-notice")
    shoot(page, f"{prefix}_interview.png")
    if lang == "en":
        assert_english(page, "interview")
    finish_interview(server, page) if lang == "zh" else _finish_in_english(server, page)
    page.locator("#ms-report-body").wait_for()
    assert page.evaluate(OVERFLOWING_CELLS, "#ms-report-body td, #ms-report-body th") == []
    shoot(page, f"{prefix}_report.png")
    if size == "phone":
        assert_fits_the_phone(page, "report")
    # the other tabs
    for tab in TABS[1:]:
        open_tab(page, tab)
        if tab == "bank":
            page.wait_for_function("/[1-9]/.test(document.querySelector('#ms-bank-count')?.innerText || '')")
            table = page.inner_text("#ms-bank-table")
            assert ".txt" not in table, "documents by title, not by file name"
        elif tab == "history":
            page.wait_for_function("document.querySelectorAll('#ms-chart-time svg').length > 0")
        elif tab == "batch":
            upload(page, "ms-batch-files", answers_file(tmp_path))
            page.click("#ms-batch-run")
            page.wait_for_function("/(已评分|Graded) 3/.test(document.querySelector('#ms-batch-summary').innerText)")
        page.wait_for_timeout(300)
        shoot(page, f"{prefix}_{tab}.png")
        if size == "phone":
            assert_fits_the_phone(page, tab)
            assert page.evaluate(NARROW_CELLS, f"#ms-tab-{tab} .body-cell") == [], f"{tab}: squeezed table columns"
        if lang == "en":
            assert_english(page, tab)


def _finish_in_english(server: Server, page: Any, limit: int = 12) -> None:
    for _ in range(limit):
        if "finished" in page.inner_text("#ms-status"):
            return
        submit(page, good_answer(server, page))
    raise AssertionError(page.inner_text("#ms-status"))


def test_the_batch_report_from_a_browser_upload_is_readable(watched: Any, browser: Any, tmp_path: Path) -> None:
    page = watched().open()
    open_tab(page, "batch")
    upload(page, "ms-batch-files", answers_file(tmp_path))
    page.click("#ms-batch-run")
    page.wait_for_function("document.querySelector('#ms-batch-summary').innerText.includes('已评分 3 条')")
    html = download(page, "#ms-batch-dl-report-html")
    assert "gradio" not in html and "/tmp" not in html and "answers.jsonl:1" in html
    grades = download(page, "#ms-batch-dl-grades-jsonl")
    assert [json.loads(x)["source"] for x in grades.splitlines()] == [f"answers.jsonl:{n}" for n in (1, 2, 3)]
    viewer = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        report = viewer.new_page()
        report.set_content(html)
        shoot(report, "batch_report_desktop.png")
        assert report.evaluate(NARROW_CELLS, "td") == [], "a column is squeezed to a few characters"
        assert report.evaluate(OVERFLOWING_CELLS, "td, th") == []
        height = report.evaluate("document.documentElement.scrollHeight")
        assert height < 4000, f"the report is {height} px tall for three answers"
    finally:
        viewer.close()
