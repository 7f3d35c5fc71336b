"""Issue 12 in-process: canonical topic names, document titles, uploads by their own names, the language
kept by the browser, settings saved to config.toml that take effect without a restart."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from knowledge.topics import TOPIC_LABELS
from ui import services
from ui.web.context import Relabel, WebContext

SECRET = "sk-test-0123456789abcdef"


def value(update: Any) -> Any:
    return update.get("value") if isinstance(update, dict) else update


# names people understand -------------------------------------------------------------------------------------
def test_topic_filters_list_the_canonical_topics_in_both_languages(web: Any) -> None:
    config = web.demo.get_config_file()
    topics = next(c for c in config["components"] if c["props"].get("elem_id") == "ms-topics")["props"]["choices"]
    assert [v for _, v in topics] == [t.value for t in TOPIC_LABELS]
    assert [label.split(" · ")[0] for label, _ in topics] == [zh for zh, _ in TOPIC_LABELS.values()]
    english = web.relabel_all("English")
    interview_topics = english[len(web.relabel.components)]["choices"]
    assert interview_topics[0][0].startswith("Attention · ") and interview_topics[0][1] == "attention"
    bank_topics = english[len(web.relabel.components) + 1]["choices"]
    assert bank_topics[0] == ("All", "")


def test_bank_shows_titles_and_filters_by_canonical_topic(web: Any) -> None:
    rows = value(web.bank.search("", "attention", "", "", 1, 5, "English"))
    assert rows and {r[1] for r in rows} == {"Attention"}
    assert all(".txt" not in str(r[4]) for r in rows), "document titles, not file names"
    sources = web.bank.choice_updates("zh")[2]["choices"]
    assert sources[0] == ("全部", "") and all(not label.endswith(".txt") for label, _ in sources[1:])
    filtered = value(web.bank.search("", "", "", sources[1][1], 1, 5, "中文"))
    assert filtered and all(sources[1][0] in r[4] for r in filtered)


def test_interview_by_canonical_topic(web: Any, ctx: WebContext) -> None:
    tab = web.interview
    out = tab.start(["position"], 1, 5, [], 2, 0, "English")
    state = ctx.interviewer().state(out[tab.sid])
    assert ctx.interviewer().bank.by_id[state.records[0].item_id].topic == "position"
    assert "Offline examiner" in out[tab.status]


def test_batch_upload_is_named_by_its_own_name(web: Any, tmp_path: Path) -> None:
    upload_dir = tmp_path / "gradio" / "3f9c2e1d0b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e"
    upload_dir.mkdir(parents=True)
    path = upload_dir / "answers.jsonl"
    rows = [{"question": "为什么 Transformer 需要位置编码？", "answer": "注意力置换不变，需要注入位置信息。"},
            {"question": "KV Cache 是什么？", "answer": "缓存已生成 token 的 K 和 V，避免重复计算。"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{broken\n", encoding="utf-8")
    out = web.batch.run([str(path)], "auto", "rubric", "English", progress=lambda *a, **k: None)  # type: ignore[arg-type]
    assert "Graded 2" in out[web.batch.summary] and "answers.jsonl:3" in out[web.batch.summary]
    assert str(upload_dir) not in out[web.batch.summary]
    files = {name: Path(out[button]["value"]) for name, button in web.batch.dl.items()}
    for name, file in files.items():
        text = file.read_text(encoding="utf-8")
        assert str(tmp_path) not in text, f"{name} shows the server's temporary path"
    grades = [json.loads(x) for x in files["grades.jsonl"].read_text(encoding="utf-8").splitlines()]
    assert [g["source"] for g in grades] == ["answers.jsonl:1", "answers.jsonl:2"]
    table = web.batch.relabel_table(value(out[web.batch.table]), "中文")
    assert table["headers"][0] == "题目" and len(table["value"]) == 2


# the language the browser keeps --------------------------------------------------------------------------------
@pytest.mark.parametrize(("stored", "shown"), [(None, "中文"), ("English", "English"), ("中文", "中文"),
                                               ("<script>", "中文"), (42, "中文")])
def test_the_stored_language_is_read_back_safely(stored: object, shown: str) -> None:
    from ui.web.app import stored_language

    assert stored_language(stored) == shown
    assert stored_language(stored, "English") == ("中文" if stored == "中文" else "English")


def test_the_page_load_restores_language_and_session_in_one_step(web: Any) -> None:
    tab = web.interview
    sid = tab.start([], 1, 5, [], 2, 0, "中文")[tab.sid]
    out = web.restore_page(sid, "English", "中文")
    assert out[web.lang] == "English" and out[tab.sid] == sid and "Session" in out[tab.status]
    out = web.restore_page(None, None, "English")  # nothing kept: the radio (maybe just clicked) is left alone
    assert out[web.lang] == {"__type__": "update"} and out[tab.status] == "No interview yet."
    assert web.restore_page(None, "<b>", "中文")[tab.status] == "尚未开始面试。"


def test_english_texts_and_labels(web: Any) -> None:
    texts = web.texts("English")
    assert "Offline examiner" in texts[0] and "Active examiner" in texts[1] and "config.toml" in texts[2]
    assert "questions from" in texts[4]
    labels = {u.get("label") for u in web.relabel.updates("English")} | {u.get("value") for u in web.relabel.updates("English")}
    for expected in ("Interview", "Bank", "History", "Batch", "Settings", "Save", "Test connection", "Submit"):
        assert expected in labels


# settings saved to config.toml ------------------------------------------------------------------------------
@pytest.fixture
def live_home(built_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """MIANSHI_HOME with no LLM in the environment, and the real entry-point wiring (ui.services)."""
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    monkeypatch.setenv("MIANSHI_HOME", str(home))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MIANSHI_API_KEY", "MIANSHI_BASE_URL", "MIANSHI_LLM_MODEL",
                 "MIANSHI_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    services.interviewer.cache_clear()
    yield home
    services.interviewer.cache_clear()


def test_config_round_trip_precedence_and_privacy(live_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = services.config_path(live_home)
    assert services.read_config(path) == services.LLMConfig()
    config = services.LLMConfig(base_url="http://127.0.0.1:9/v1", model='qwen "7b"', api_key=SECRET)
    services.write_config(path, config)
    assert services.read_config(path) == config
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.masked_key() == "••••cdef" and SECRET not in config.masked_key()
    settings = services.agent_settings()
    assert (settings.base_url, settings.llm_model, settings.api_key) == ("http://127.0.0.1:9/v1", 'qwen "7b"', SECRET)
    monkeypatch.setenv("MIANSHI_LLM_MODEL", "from-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:10/v1")
    settings = services.agent_settings()
    assert (settings.base_url, settings.llm_model, settings.api_key) == ("http://127.0.0.1:10/v1", "from-env", SECRET)
    assert set(services.env_overrides()) == {"MIANSHI_LLM_MODEL", "OPENAI_BASE_URL"}
    path.write_text("[llm\nbroken", encoding="utf-8")
    with pytest.raises(services.ConfigError, match=r"config\.toml"):
        services.read_config(path)
    assert services.agent_settings().llm_model == "from-env", "a broken file never stops the app"


def test_saved_settings_take_effect_without_a_restart(live_home: Path, tmp_path: Path) -> None:
    from ui.web.settings_tab import SettingsTab

    ctx = WebContext(interviewer=services.interviewer, refresh=services.fresh_interviewer, work_dir=tmp_path / "work")
    assert "离线考官" in ctx.interviewer().backend
    with gr.Blocks():
        lang = gr.Radio(["中文", "English"], value="中文")
        tab = SettingsTab(ctx, Relabel(), lang)
    out = tab.save("http://127.0.0.1:9/v1", SECRET, "tiny-model", False, "English")
    assert "Saved to" in out[tab.result] and "LLM tiny-model" in out[tab.result]
    assert ctx.interviewer().settings.base_url == "http://127.0.0.1:9/v1"
    assert ctx.interviewer().settings.api_key == SECRET and ctx.interviewer().settings.llm_model == "tiny-model"
    assert out[tab.api_key] == "" and "••••cdef" in out[tab.key_state]
    assert all(SECRET not in str(v) for v in out.values()), "the key is never sent back to the page"
    out = tab.save("http://127.0.0.1:9/v1", "", "tiny-model", False, "中文")  # an empty key keeps the saved one
    assert ctx.interviewer().settings.api_key == SECRET
    out = tab.save("", "", "", True, "中文")  # no address, no key: the offline examiner again
    assert "离线考官" in out[tab.result] and ctx.interviewer().settings.api_key is None
    assert "未保存 Key" in out[tab.key_state]
    assert "http://" in tab.save("ftp://x", "", "", False, "中文")[tab.result]


def test_only_an_admin_may_change_the_servers_settings(live_home: Path, tmp_path: Path) -> None:
    from ui.web.settings_tab import SettingsTab

    for admins, allowed in ((lambda _n: False, False), (lambda n: n == "alice", True)):
        ctx = WebContext(interviewer=services.interviewer, refresh=services.fresh_interviewer, default_user="alice",
                         admins=admins, work_dir=tmp_path / "work")
        with gr.Blocks():
            tab = SettingsTab(ctx, Relabel(), gr.Radio(["中文", "English"], value="中文"))
        out = tab.save("http://127.0.0.1:9/v1", SECRET, "m", False, "English")
        assert ("Only an admin" in out[tab.result]) is not allowed
        assert services.config_path(live_home).exists() is allowed


# what every user shares, and what an admin sees (issue 13) ------------------------------------------------------
def test_with_accounts_only_an_admin_adds_documents_to_the_shared_bank(fresh_context: Any, tmp_path: Path) -> None:
    from ui.web.app import create

    ctx = fresh_context()
    ctx.default_user, ctx.admins = "bob", (lambda n: n == "alice")
    web = create(ctx)
    note = tmp_path / "bob-notes.md"
    note.write_text("## 1. 什么是 KV Cache？\n缓存历史 token 的 K 和 V，解码时不必重算。\n", encoding="utf-8")
    docs = ctx.interviewer().kb.docs_dir
    before = len(ctx.interviewer().kb.ensure_built().items)
    out = web.bank.add([str(note)], "English")
    assert "only an admin may add documents" in out[web.bank.result]
    assert not docs.exists() or not any(docs.iterdir()), "nothing written"
    assert len(ctx.interviewer().kb.ensure_built().items) == before
    assert "只有管理员可以加入文档" in web.bank.add([str(note)], "中文")[web.bank.result]
    ctx.default_user = "alice"
    out = web.bank.add([str(note)], "中文")
    assert "ms-msg-ok" in out[web.bank.result] and len(ctx.interviewer().kb.ensure_built().items) == before + 1


def test_the_history_tab_shows_an_admin_the_aggregates_of_all_users_and_nobody_else(fresh_context: Any) -> None:
    from ui.web.app import create

    ctx = fresh_context()
    ctx.admins = lambda n: n == "alice"
    web = create(ctx)
    for user, answer in (("bob", "不知道"), ("carol", "缓存 K 和 V，避免重复计算")):
        ctx.default_user = user
        out = web.interview.start([], 1, 5, [], 1, 0, "中文")
        sid = out[web.interview.sid]
        web.interview.answer(sid, answer, "中文")
        web.interview.end(sid, "中文")
    ctx.default_user = "bob"
    mine = web.history.refresh("中文")
    assert mine[web.history.aggregates] == "" and len(value(mine[web.history.sessions])) == 1
    ctx.default_user = "alice"  # the admin: no sessions of her own, the counts over everyone
    out = web.history.refresh("English")
    panel = out[web.history.aggregates]
    assert "2 users · 2 interviews" in panel and "All users (admins only" in panel
    assert "bob" not in panel and "carol" not in panel and "缓存 K 和 V" not in panel
    assert value(out[web.history.sessions]) == []
    assert "2 位用户" in web.history.refresh("中文")[web.history.aggregates]
