"""The settings tab's connection test against a local fake OpenAI-compatible server: every outcome is a
clear message, never an exception."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from ui.web.connection import check_connection

MODELS = {"object": "list", "data": [{"id": "qwen-test", "object": "model", "created": 0, "owned_by": "me"},
                                     {"id": "llama-test", "object": "model", "created": 0, "owned_by": "me"}]}


class Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        Handler.seen.append((self.path, self.headers.get("Authorization")))
        mode = self.path.strip("/").split("/")[0]
        if mode == "slow":
            time.sleep(2)
        status, body = {"ok": (200, json.dumps(MODELS)), "auth": (401, '{"error": {"message": "bad key"}}'),
                        "missing": (404, "not here"), "garbage": (200, "<html>not json</html>"),
                        "boom": (500, '{"error": {"message": "exploded"}}'), "slow": (200, json.dumps(MODELS))}[mode]
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_success_lists_models_and_finds_the_model(fake: str) -> None:
    check = check_connection(f"{fake}/ok/v1", "sk-test", "qwen-test")
    assert check.ok and "连接成功" in check.message and "qwen-test、llama-test" in check.message
    assert "注意" not in check.message
    assert ("/ok/v1/models", "Bearer sk-test") in Handler.seen
    missing = check_connection(f"{fake}/ok/v1", "sk-test", "gpt-x")
    assert missing.ok and "列表中没有 gpt-x" in missing.message


@pytest.mark.parametrize(("path", "expected"), [
    ("auth/v1", "API Key 无效或没有权限"),
    ("missing/v1", "服务返回错误 404"),
    ("boom/v1", "服务返回错误 500"),
    ("garbage/v1", "失败"),
])
def test_server_errors_become_messages(fake: str, path: str, expected: str) -> None:
    check = check_connection(f"{fake}/{path}", "sk-test", "m")
    assert not check.ok and expected in check.message, check.message


def test_timeout_refused_and_bad_input(fake: str, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = check_connection(f"{fake}/slow/v1", "k", timeout=0.3)
    assert not slow.ok and "连接超时（0.3s）" in slow.message
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    refused = check_connection(f"http://127.0.0.1:{port}/v1", "k")
    assert not refused.ok and f"无法连接到 http://127.0.0.1:{port}/v1" in refused.message
    bad = check_connection("127.0.0.1:8080", "k")
    assert not bad.ok and "http:// 或 https://" in bad.message
    for name in ("OPENAI_API_KEY", "MIANSHI_API_KEY", "OPENAI_BASE_URL", "MIANSHI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert "未配置大模型" in check_connection("", "").message


def test_settings_tab_renders_the_result_escaped(web: object, fake: str) -> None:
    settings = web.settings  # type: ignore[attr-defined]
    html = settings.test(f"{fake}/ok/v1", "k", "<script>", "中文")
    assert "ms-msg-ok" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "离线考官" in settings.intro_text("中文") and "Active examiner" in settings.intro_text("English")
