"""The `mianshi` command line.

Commands are imported only when they run: ``mianshi --help`` imports nothing heavier than typer (the
command list shows each command's one-line summary from :data:`COMMANDS`), and ``mianshi kb search``
imports the knowledge base, not the interviewer, LangChain or Gradio. A test checks that every summary
is its command's own first help line.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import typer
from typer._click.core import Command, Context  # typer vendors its own click
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    module: str
    attr: str
    """A ``typer.Typer`` (a command group) or a command function."""
    summary: str
    """The command's first help line, shown by ``mianshi --help`` without importing the module."""


COMMANDS: dict[str, LazyCommand] = {
    "kb": LazyCommand("ui.kb_commands", "app", "题库：构建、添加文档、浏览与检索 / the question bank"),
    "chat": LazyCommand("ui.chat_commands", "chat",
                        "终端模拟面试。输入回答后回车；可输入 提示 / 跳过 / 结束，或先问题目的意思（不计分）。"),
    "history": LazyCommand("ui.chat_commands", "history", "历史会话：日期、题数、平均分、是否完成。"),
    "report": LazyCommand("ui.chat_commands", "report", "导出某次面试的报告（Markdown / HTML / JSON）。"),
    "eval": LazyCommand("ui.eval_commands", "app", "批量评分与评分器一致性 / batch grading."),
    "users": LazyCommand("ui.users_commands", "app", "网页版账号：添加、列出、删除；汇总统计 / accounts of the web app."),
    "ui": LazyCommand("ui.web_commands", "ui",
                      "网页版模拟面试：模拟面试、题库、历史、批量评测、设置。中文界面（可切换英文），离线可用。"),
}


def load_command(name: str) -> Command:
    """The real click command of ``name`` (imports its module)."""
    spec = COMMANDS[name]
    target = getattr(importlib.import_module(spec.module), spec.attr)
    if isinstance(target, typer.Typer):
        command: Command = typer.main.get_group(target)  # without the root's completion options
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: lists :data:`COMMANDS` and imports a command's module only when it is used."""

    _listing = False
    _loaded: dict[str, Command]

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:  # the root help only needs the name and the summary
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name].summary)
        loaded = self.__dict__.setdefault("_loaded", {})
        if cmd_name not in loaded:
            loaded[cmd_name] = load_command(cmd_name)
        return loaded[cmd_name]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        self.commands = {name: TyperCommand(name) for name in COMMANDS}  # for "did you mean …?" suggestions
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="mianshi",
    cls=LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def root() -> None:
    """面试 mianshi — 离线优先的大模型/Transformer/深度学习算法岗模拟面试官。

    数据目录 MIANSHI_HOME（默认 ~/.mianshi）；无需 API Key 即可使用离线考官。
    """


def main() -> None:
    try:
        app()
    except ConnectionError as exc:  # the database (MIANSHI_DATABASE_URL) is unreachable; the message has no password
        sys.stderr.write(f"错误：{exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
