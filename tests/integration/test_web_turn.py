"""The redesigned turn in headless Chromium: a whole interview in English with no Chinese interviewer
text (bank content aside), and an LLM follow-up streaming into the chat token by token."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.servers import free_port
from tests.integration.test_web_browser import (  # noqa: F401 - fixtures
    Server,
    Watched,
    bot_messages,
    browser,
    server,
    set_number,
    shot,
    status,
    watched,
)

pytestmark = pytest.mark.browser
CJK = re.compile(r"[\u3400-\u9fff]")


def _bank_content(home: Path) -> list[str]:
    """Everything in the interviewer's English messages that comes from the (Chinese) bank."""
    items = json.loads((home / "bank.json").read_text(encoding="utf-8"))["items"]
    out: list[str] = []
    for i in items:
        out += [i["question"], i.get("reference_answer") or ""]
        for k in i["key_points"]:
            out += [k["text"], k.get("probe") or ""]
        out += [f.get("text", "") for f in i.get("follow_ups", [])]
        out += [p.get("text", "") if isinstance(p, dict) else str(p) for p in i.get("pitfalls", [])]
        out += [m.get("why", "") for m in i.get("misconceptions", [])]
        out.append("\n".join(f"- {k['text']}" for k in i["key_points"]))
    return sorted({c for c in out if c}, key=len, reverse=True)


def _strip(text: str, content: list[str]) -> str:
    flat = " ".join(text.split())
    for c in content:
        flat = flat.replace(" ".join(c.split()), "")
    return flat


def test_a_whole_english_interview_has_no_chinese_interviewer_text(watched: Any, server: Server) -> None:  # noqa: F811
    w = watched()
    page = w.open()
    page.click("#ms-lang label:has-text('English')")
    page.wait_for_function("document.querySelector('#ms-tab-interview-button').innerText.includes('Interview')")
    set_number(page, "ms-n", 3)
    set_number(page, "ms-budget", 1)
    page.click("#ms-start")
    page.wait_for_function("document.querySelector('#ms-status').innerText.includes('/3')")
    answers = ["It scales the dot products so that softmax does not saturate.", "I am not sure, maybe memory.",
               "hint", "It is about the variance growing with the dimension.", "no idea", "skip", "skip", "skip"]
    for text in answers:
        if "finished" in status(page):
            break
        before = len(bot_messages(page))
        page.fill("#ms-answer textarea", text)
        page.click("#ms-submit")
        page.wait_for_function(f"document.querySelectorAll('#ms-chat [data-testid=\"bot\"]').length > {before}"
                               " || document.querySelector('#ms-status').innerText.includes('finished')")
        time.sleep(0.3)
    if "finished" not in status(page):
        page.click("#ms-end")
        page.wait_for_function("document.querySelector('#ms-status').innerText.includes('finished')")
    page.locator("#ms-report-body").wait_for()
    shot(page, "web_interview_en.png")
    content = _bank_content(server.home)
    messages = bot_messages(page)
    assert len(messages) >= 6
    for m in messages:
        left = _strip(m, content)
        assert not CJK.search(left), (m, left)
    report = page.inner_text("#ms-report-body")
    assert "Mock interview report" in report and "Still missing" in report


# streaming ---------------------------------------------------------------------------------------------------
def test_an_llm_follow_up_streams_into_the_chat(browser: Any, built_home: Path, tmp_path: Path) -> None:  # noqa: F811
    """The web app in this process, its chat model scripted (the only fake, at the chat-model seam) and
    streaming a few characters every 0.25 s."""
    from agent.interviewer import Interviewer
    from agent.settings import AgentSettings
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings
    from tests.agent.fakes import ScriptedChatModel, follow_up_script
    from ui.web.app import build_app, launch_options
    from ui.web.context import WebContext

    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    model = ScriptedChatModel([], stream_delay=0.25)
    iv = Interviewer(KnowledgeBase(KnowledgeSettings(home=home)), AgentSettings(home=home), chat_model=model)
    demo = build_app(WebContext(interviewer=lambda: iv, refresh=lambda: iv, work_dir=tmp_path / "work"))
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_options())
    try:
        w = Watched(browser, f"http://127.0.0.1:{port}/")
        page = w.open()
        set_number(page, "ms-n", 1)
        set_number(page, "ms-budget", 1)
        page.click("#ms-start")
        page.wait_for_function("document.querySelector('#ms-status').innerText.includes('/1')")
        page.wait_for_function("/(会话|Session) \\w+/.test(document.querySelector('#ms-status').innerText)")
        sid = re.search(r"(?:会话|Session) (\w+)", status(page)).group(1)  # type: ignore[union-attr]
        item = iv.bank.by_id[iv.state(sid).records[0].item_id]
        wording: list[str] = []

        def phrase(point: Any) -> str:
            wording.append(f"好的，这一点你已经说清楚了。接下来：{point.probe}")
            return wording[0]

        script, _ = follow_up_script(item, phrase)
        model.script.extend(script)
        page.fill("#ms-answer textarea", "我只记得一部分")
        page.click("#ms-submit")
        seen: list[str] = []
        deadline = time.time() + 60
        expected = wording[0]
        while time.time() < deadline:
            bots = bot_messages(page)
            if bots:
                seen.append(bots[-1])
            if bots and " ".join(bots[-1].split()) == " ".join(expected.split()):
                break
            time.sleep(0.1)
        shot(page, "web_streaming.png")
        partial = [s for s in seen if s.endswith("▍") and len(s.strip("▍ ")) < len(expected)]
        assert partial, f"no partial message was ever visible: {seen[-3:]}"
        assert expected.startswith(partial[0].rstrip("▍ ").strip()[:5])
        assert " ".join(seen[-1].split()) == " ".join(expected.split())  # the final, saved message
        model.assert_used_up()
        w.close()
    finally:
        demo.close()
