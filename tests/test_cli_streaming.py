"""`mianshi chat` with an LLM: the follow-up streams to the terminal token by token (the scripted model
sits at the chat-model seam; everything else is real), and a rejected wording is replaced visibly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ui.chat_commands as chat_commands
from agent.interviewer import Interviewer
from agent.settings import AgentSettings
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from tests.agent.fakes import ScriptedChatModel, follow_up_script
from ui.cli import app


def _interview(home: Path, monkeypatch: pytest.MonkeyPatch, phrase: Any) -> tuple[str, ScriptedChatModel, Any]:
    kb = KnowledgeBase(KnowledgeSettings(home=home))
    model = ScriptedChatModel([])
    iv = Interviewer(kb, AgentSettings(home=home), chat_model=model)
    # the first question of a seeded session, to script the grade and the wording of its follow-up
    first = iv.bank.by_id[Interviewer(kb, AgentSettings(home=home / "probe", backend="offline"))
                          .start(__import__("agent.domain", fromlist=["InterviewConfig"]).InterviewConfig(
                              n_questions=1, seed=21, follow_up_budget=1)).session.records[0].item_id]
    script, target = follow_up_script(first, phrase)
    model.script.extend(script)
    monkeypatch.setattr(chat_commands, "fresh_interviewer", lambda: iv)
    monkeypatch.setattr(chat_commands, "ready_kb", lambda: kb)
    result = CliRunner().invoke(app, ["chat", "-n", "1", "--seed", "21", "--follow-ups", "1"], input="我只记得一部分\n")
    assert result.exit_code == 0, result.output
    model.assert_used_up()
    return result.output, model, target


def test_the_follow_up_streams_to_the_terminal_and_is_printed_once(home_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output, model, target = _interview(home_copy, monkeypatch, lambda k: f"好，这部分你说到了。{k.probe}")
    wording = f"好，这部分你说到了。{target.probe}"
    assert len(model.streamed) > 3  # generated in pieces ...
    assert "面试官>" in output and wording in output.replace("\n", "")  # ... and shown as they came
    assert output.count("好，这部分你说到了") == 1  # not printed again in a panel


def test_a_rejected_wording_is_replaced_by_the_template_on_screen(home_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output, _, target = _interview(home_copy, monkeypatch, lambda k: "你还有什么想补充的吗？")
    flat = "".join(ch for ch in output if ch not in "│ \n")
    assert "改用模板（它漏掉了要问的追问）" in flat and "".join(target.probe.split()) in flat
