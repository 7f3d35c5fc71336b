"""Shared fixtures. The network is blocked for every test except loopback (house style #4)."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "tests" / "data" / "docs"
ARTIFACTS = ROOT / "test-artifacts"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # AF_UNIX paths


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise RuntimeError(f"network access blocked in tests: {address!r}")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        raise RuntimeError(f"network access blocked in tests: {address!r}")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _block_network(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("live"):
        yield
        return
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MIANSHI_HOME with the bundled bank built once for the whole session (read-only use)."""
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    home = tmp_path_factory.mktemp("home-built")
    KnowledgeBase(KnowledgeSettings(home=home)).build()
    return home


@pytest.fixture
def home_copy(built_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, writable copy of the built home, set as MIANSHI_HOME."""
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    monkeypatch.setenv("MIANSHI_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def kb(built_home: Path):  # type: ignore[no-untyped-def]
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    return KnowledgeBase(KnowledgeSettings(home=built_home))


@pytest.fixture(scope="session")
def postgres_base() -> Iterator[str]:
    """A real PostgreSQL server on 127.0.0.1 for the whole run (skips with a reason when missing)."""
    from tests.integration.postgres import postgres_server

    with postgres_server() as url:
        yield url
