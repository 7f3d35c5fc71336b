"""`mianshi ui`: options, a clear error for a busy port, and an in-process launch that serves the page
without any connection leaving the machine."""

from __future__ import annotations

import socket
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ui import services
from ui.cli import app
from ui.web_commands import parse_auth

runner = CliRunner()


@pytest.fixture
def fresh_services() -> Iterator[None]:
    services.interviewer.cache_clear()
    yield
    services.interviewer.cache_clear()


def test_parse_auth() -> None:
    assert parse_auth(None) is None
    assert parse_auth("me:pa:ss") == ("me", "pa:ss")
    for bad in ("nopass", ":x", "x:"):
        with pytest.raises(typer.BadParameter):
            parse_auth(bad)


def test_help_and_bad_auth() -> None:
    res = runner.invoke(app, ["ui", "--help"])
    assert res.exit_code == 0
    for option in ("--host", "--port", "--auth", "--share"):
        assert option in res.output
    res = runner.invoke(app, ["ui", "--auth", "nopassword"])
    assert res.exit_code == 2 and "USER:PASS" in res.output


def test_busy_port_is_a_clear_error(home_copy: Path, fresh_services: None) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = runner.invoke(app, ["ui", "--port", str(port)])
    assert res.exit_code == 2, res.output
    assert f"无法在 127.0.0.1:{port} 启动" in res.output and "--port" in res.output


def test_launch_serves_the_page_and_stays_on_this_machine(web: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.web.app import launch_options

    lookups: list[object] = []
    real = socket.getaddrinfo

    def spy(host: object, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", None):
            lookups.append(host)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web.demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                            **launch_options())
    try:
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
        html = page.read().decode("utf-8")
        assert page.status == 200
        assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html
        config = urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10).read().decode("utf-8")
        assert "googleapis" not in config and "面试 mianshi" in config
    finally:
        web.demo.close()
    assert lookups == [], f"looked up hosts on the network: {lookups}"


def test_auth_protects_the_app(web: Any) -> None:
    import urllib.error

    from ui.web.app import launch_options

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web.demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                            auth=("me", "secret"), **launch_options())
    try:
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10)
        assert denied.value.code in (401, 403)
        data = urllib.parse.urlencode({"username": "me", "password": "secret"}).encode()
        login = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/login", data=data), timeout=10)
        assert login.status == 200
    finally:
        web.demo.close()
