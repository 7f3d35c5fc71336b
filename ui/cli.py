"""The `mianshi` command line."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import typer

from ui import chat_commands, eval_commands, kb_commands, web_commands

app = typer.Typer(
    name="mianshi",
    help="面试 mianshi — 离线优先的大模型/Transformer/深度学习算法岗模拟面试官。\n\n"
    "数据目录 MIANSHI_HOME（默认 ~/.mianshi）；无需 API Key 即可使用离线考官。",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(kb_commands.app, name="kb")
app.command("chat")(chat_commands.chat)
app.command("history")(chat_commands.history)
app.command("report")(chat_commands.report)
app.add_typer(eval_commands.app, name="eval")
app.command("ui")(web_commands.ui)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
