"""`mianshi users`: accounts of the web app (a users file with bcrypt hashes) and aggregates for admins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ui.console import err, out
from ui.users import Account, UsersFileError, hash_password, read_users, users_file, valid_name, write_users

app = typer.Typer(help="网页版账号：添加、列出、删除；汇总统计 / accounts of the web app.", no_args_is_help=True)

FileOption = Annotated[Path | None, typer.Option("--file", help="用户文件（默认 $MIANSHI_USERS 或 $MIANSHI_HOME/users.txt）",
                                                 show_default=False)]


def _load(path: Path) -> dict[str, Account]:
    if not path.exists():
        return {}
    try:
        return read_users(path)
    except UsersFileError as exc:
        err.print(f"[bold red]错误[/bold red] {exc}")
        raise typer.Exit(2) from None


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="用户名（字母、数字、_ . @ + -）")],
    file: FileOption = None,
    admin: Annotated[bool, typer.Option("--admin", help="管理员：另可查看所有用户的汇总统计（看不到别人的会话）")] = False,
) -> None:
    """添加或修改账号；密码在终端输入，不回显，只保存 bcrypt 哈希。"""
    if not valid_name(name):
        raise typer.BadParameter("用户名只能含字母、数字和 _ . @ + -（最多 64 个字符）", param_hint="NAME")
    path = users_file(file)
    accounts = _load(path)
    password = typer.prompt(f"{name} 的密码", hide_input=True, confirmation_prompt=True)
    if not password:
        raise typer.BadParameter("密码不能为空")
    existed = name in accounts
    accounts[name] = Account(name, hash_password(password), "admin" if admin else "user")
    write_users(path, accounts)
    err.print(f"{'已更新' if existed else '已添加'}账号 {name}（{'管理员' if admin else '用户'}）→ {path}")


@app.command("list")
def list_users(file: FileOption = None) -> None:
    """列出账号（不显示哈希）。"""
    for a in _load(users_file(file)).values():
        out.print(f"{a.name}\t{a.role}")


@app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="用户名")], file: FileOption = None) -> None:
    """删除账号（其历史数据保留）。"""
    path = users_file(file)
    accounts = _load(path)
    if accounts.pop(name, None) is None:
        err.print(f"[red]没有账号 {name}[/red]")
        raise typer.Exit(1)
    write_users(path, accounts)
    err.print(f"已删除账号 {name}")


@app.command("stats")
def stats() -> None:
    """所有用户的汇总：用户数、会话数、答题数、平均分、各方向（不含任何会话内容或用户名）。"""
    from ui.services import fresh_interviewer

    print(json.dumps(fresh_interviewer().aggregates().model_dump(), ensure_ascii=False, indent=1))
