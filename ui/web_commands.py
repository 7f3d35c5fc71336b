"""`mianshi ui`: the web app (Gradio), on 127.0.0.1 by default, offline, no share link unless asked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ui.console import err

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``USER:PASS`` -> (user, pass); the password may itself contain ':'."""
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise typer.BadParameter("格式为 USER:PASS，用户名和密码都不能为空", param_hint="--auth")
    return user, password


def ui(
    host: Annotated[str, typer.Option("--host", help="监听地址；默认只允许本机访问。0.0.0.0 会对局域网开放（建议同时加 --auth）")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口")] = 7860,
    auth: Annotated[str | None, typer.Option("--auth", help="访问密码，格式 USER:PASS", show_default=False)] = None,
    share: Annotated[bool, typer.Option("--share", help="通过 Gradio 服务器生成公网分享链接（需联网；默认不生成）")] = False,
    users: Annotated[Path | None, typer.Option(
        "--users", envvar="MIANSHI_USERS", show_default=False,
        help="多用户：用户文件（mianshi users add NAME 生成；bcrypt 哈希）。每人只看到自己的会话、历史和复习队列")] = None,
) -> None:
    """网页版模拟面试：模拟面试、题库、历史、批量评测、设置。中文界面（可切换英文），离线可用。"""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    credentials = parse_auth(auth)
    trusted_header = os.environ.get("MIANSHI_TRUSTED_USER_HEADER") or None
    if sum(x is not None for x in (credentials, users, trusted_header)) > 1:
        raise typer.BadParameter("--auth、--users 和 MIANSHI_TRUSTED_USER_HEADER 只能选一种")
    authenticator = None
    if users is not None:
        from ui.users import Authenticator, UsersFileError

        try:
            authenticator = Authenticator(users)
        except (UsersFileError, OSError) as exc:
            err.print(f"[bold red]错误[/bold red] {exc if isinstance(exc, UsersFileError) else f'无法读取用户文件 {users}'}")
            raise typer.Exit(2) from None
        if not authenticator.accounts():
            err.print(f"[bold red]错误[/bold red] 用户文件 {users} 里没有账号：先运行 mianshi users add NAME --file {users}")
            raise typer.Exit(2)
    from ui.kb_commands import ready_kb

    ready_kb()
    from ui.web.app import build_app, launch_options, warm_up
    from ui.web.context import WebContext

    if host not in LOCAL_HOSTS and credentials is None and authenticator is None and trusted_header is None:
        err.print(f"[yellow]注意[/yellow]：监听 {host} 且未设置 --auth / --users，局域网内任何人都能访问。")
    if trusted_header and host not in LOCAL_HOSTS:
        err.print(f"[yellow]注意[/yellow]：按请求头 {trusted_header} 识别用户——只能让可信的反向代理访问 {host}:{port}。")
    # admins may change the server's settings: the accounts file says who; with --auth the one user owns it
    admins = (authenticator.is_admin if authenticator is not None
              else (lambda name: credentials is not None and name == credentials[0]))
    ctx = WebContext(trusted_header=trusted_header, admins=admins)
    demo = build_app(ctx)
    try:
        _, local_url, share_url = demo.queue().launch(
            server_name=host, server_port=port, auth=authenticator or credentials, share=share, inbrowser=False, quiet=True,
            prevent_thread_lock=True, **launch_options())
    except OSError as exc:
        err.print(f"[bold red]错误[/bold red] 无法在 {host}:{port} 启动：{exc}。换一个端口：mianshi ui --port 7861")
        raise typer.Exit(2) from None
    warm_up(ctx)
    shown = local_url or f"http://{host}:{port}/"
    err.print(f"[bold]mianshi 网页版[/bold]：{shown}" + (f"　分享链接：{share_url}" if share_url else "") + "　（Ctrl+C 退出）")
    demo.block_thread()
