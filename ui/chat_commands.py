"""`mianshi chat`, `mianshi history`, `mianshi report`: the interview in the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from agent.domain import InterviewConfig
from agent.interviewer import Interviewer, LLMNotConfigured, SessionNotFound, TurnResult
from agent.phrasing import format_score, message_flag_text, verdict_label
from ui.console import err, out
from ui.kb_commands import ready_kb
from ui.services import fresh_interviewer

UserOption = Annotated[str | None, typer.Option(
    "--user", envvar="MIANSHI_USER", show_default=False, help="以哪个用户的身份（默认：当前系统用户）；各用户的会话和复习队列互不可见")]


def user_interviewer(user: str | None) -> Interviewer:
    """The facade acting for ``user`` (None: the OS user)."""
    iv = fresh_interviewer()
    if user is None:
        return iv
    from ui.users import valid_name

    if not valid_name(user):
        raise typer.BadParameter("用户名只能含字母、数字和 _ . @ + -", param_hint="--user")
    return iv.for_user(user)


def _difficulty(value: str) -> tuple[int, int]:
    try:
        lo, _, hi = value.partition("-")
        pair = (int(lo), int(hi or lo))
    except ValueError:
        raise typer.BadParameter("格式为 LO-HI，如 2-4") from None
    if not (1 <= pair[0] <= pair[1] <= 5):
        raise typer.BadParameter("难度在 1-5 之间，且 LO ≤ HI")
    return pair


TITLES = {"zh": {"feedback": "本题结果", "default": "面试官"}, "en": {"feedback": "Result", "default": "Interviewer"}}


def show_said(result: TurnResult, lang: str, streamed: str = "") -> None:
    """The interviewer's messages of one step. A message that was streamed token by token is not
    printed again — unless the streamed words were rejected, then the template that replaced them is."""
    titles = TITLES.get(lang, TITLES["zh"])
    for turn in result.said:
        if streamed and turn.kind == "follow_up" and turn.text == streamed.strip():
            continue
        if turn.flags:
            out.print(f"[yellow]{message_flag_text(turn.flags, lang)}[/yellow]")
        style = "green" if turn.kind == "feedback" else "cyan"
        # panels wrap their text (the console's soft wrap would crop long lines inside a box)
        out.print(Panel(turn.text, title=titles.get(turn.kind, titles["default"]), border_style=style), soft_wrap=False)


class TokenPrinter:
    """Prints an LLM's tokens as they arrive (the message is still validated before it is kept)."""

    def __init__(self) -> None:
        self.text = ""

    def __call__(self, token: str) -> None:
        if not self.text:
            out.print("[cyan]面试官>[/cyan] ", end="")
        self.text += token
        out.print(token, end="", markup=False, highlight=False)

    def done(self) -> str:
        if self.text:
            out.print()
        text, self.text = self.text, ""
        return text


def chat(
    topic: Annotated[list[str] | None, typer.Option("--topic", "-t", help="方向/章节/标签（可多次），如 -t 位置编码 -t RoPE")] = None,
    n: Annotated[int, typer.Option("-n", min=1, max=50, help="题目数")] = 5,
    difficulty: Annotated[str, typer.Option("--difficulty", "-d", help="难度范围 LO-HI（1-5）")] = "1-5",
    company: Annotated[list[str] | None, typer.Option("--company", help="只出这些公司考过的题")] = None,
    follow_ups: Annotated[int, typer.Option("--follow-ups", min=0, max=3, help="每题最多追问次数")] = 1,
    resume: Annotated[str | None, typer.Option("--resume", help="继续之前的会话（会话 ID 见 mianshi history）")] = None,
    review: Annotated[bool, typer.Option("--review", help="复习模式：按优先级逐一重问所有到期的薄弱题")] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="出题顺序的随机种子（默认每场随机）")] = None,
    lang: Annotated[str, typer.Option("--lang", help="面试官的语言：zh | en")] = "zh",
    user: UserOption = None,
) -> None:
    """终端模拟面试。输入回答后回车；可输入 提示 / 跳过 / 结束，或先问题目的意思（不计分）。

    每题结束时显示本题得分、答对与还缺的要点、说错的地方和参考答案。
    标准输入不是终端时，每一行是候选人的一条消息（可用脚本驱动整场面试）。
    """
    if lang not in ("zh", "en"):
        raise typer.BadParameter("语言只能是 zh 或 en")
    ready_kb()
    iv = user_interviewer(user)
    iv.warm()
    printer = TokenPrinter()
    try:
        if resume:
            result = iv.resume(resume)
            lang = result.session.config.language
            out.print(f"[bold]继续会话 {resume}[/bold]")
        else:
            config = InterviewConfig(topics=tuple(topic or ()), difficulty=_difficulty(difficulty),
                                     companies=tuple(company or ()), n_questions=n, follow_up_budget=follow_ups,
                                     review=review, seed=seed, language=lang)  # type: ignore[arg-type]
            result = iv.start(config, on_token=printer)
    except SessionNotFound:
        err.print(f"[red]找不到会话 {resume}[/red]：用 `mianshi history` 查看会话 ID")
        raise typer.Exit(1) from None
    except LLMNotConfigured as exc:
        err.print(f"[red]{exc}[/red]：设置后重试，或设 MIANSHI_BACKEND=offline 使用离线考官")
        raise typer.Exit(2) from None
    sid = result.session.id
    err.print(f"[dim]会话 ID：{sid}（中断后可用 mianshi chat --resume {sid} 继续）[/dim]")
    show_said(result, lang, printer.done())
    interactive = sys.stdin.isatty()
    while not result.finished:
        try:
            line = input("你> ") if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            line = ""
        if not interactive and line == "":
            err.print(f"[yellow]输入结束，会话已保存；继续：mianshi chat --resume {sid}[/yellow]")
            return
        text = line.strip()
        if not text:
            continue
        if not interactive:
            out.print(f"[bold]候选人>[/bold] {text}")
        result = iv.answer(sid, text, on_token=printer)
        show_said(result, lang, printer.done())
    report = iv.report(sid)
    mean = format_score(report.mean_score)
    verdict = verdict_label(report.verdict, lang)
    out.print(f"[bold]平均 {mean} 分（{verdict}）[/bold]　报告：mianshi report {sid}" if lang != "en"
              else f"[bold]Mean {mean} ({verdict})[/bold]   report: mianshi report {sid}")


def history(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（含每个会话的轮次与得分）")] = False,
            user: UserOption = None) -> None:
    """历史会话：日期、题数、平均分、是否完成。"""
    iv = user_interviewer(user)
    sessions = iv.sessions()
    if as_json:
        data = []
        for s in sessions:
            row = s.model_dump()
            row["finished"] = s.status == "finished"
            row["turns"] = iv.turns(s.id)
            data.append(row)
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return
    table = Table(title=f"历史会话（{len(sessions)}）")
    for col in ("会话", "开始时间", "题数", "平均分", "状态", "考官"):
        table.add_column(col)
    for s in sessions:
        table.add_row(s.id, s.created_at[:19].replace("T", " "), str(s.answered),
                      "-" if s.mean_score is None else f"{s.mean_score:.1f}", "完成" if s.status == "finished" else "未完成",
                      s.backend)
    out.print(table)


def report(
    session: Annotated[str, typer.Argument(help="会话 ID")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="md | html | json")] = "md",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="写入文件（默认打印）")] = None,
    user: UserOption = None,
) -> None:
    """导出某次面试的报告（Markdown / HTML / JSON）。"""
    if fmt not in ("md", "html", "json"):
        raise typer.BadParameter("格式只能是 md、html 或 json")
    iv: Interviewer = user_interviewer(user)
    try:
        text = iv.render_report(session, fmt)  # type: ignore[arg-type]
    except SessionNotFound:
        err.print(f"[red]找不到会话 {session}[/red]：用 `mianshi history` 查看会话 ID")
        raise typer.Exit(1) from None
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"报告已写入 {output}")
    else:
        print(text)
