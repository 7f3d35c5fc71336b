"""Server mode: a real `chroma run` on 127.0.0.1, used through MIANSHI_CHROMA_URL (HttpClient)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from tests.conftest import DOCS
from tests.integration.servers import free_port, stop, wait_for_http

pytestmark = pytest.mark.chroma_server



@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = Path(sys.executable).parent / "chroma"
    assert exe.exists(), "the chromadb package ships the `chroma` CLI"
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("w")
    proc = subprocess.Popen([str(exe), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/api/v2/heartbeat", proc, 60, data / "server.log")
        yield url
    finally:
        stop(proc)
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def test_build_search_and_incremental_rebuild_against_a_real_server(chroma_url: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIANSHI_CHROMA_URL", chroma_url)
    monkeypatch.setenv("MIANSHI_HOME", str(tmp_path / "home"))
    settings = KnowledgeSettings()
    assert settings.chroma_url == chroma_url
    kb = KnowledgeBase(settings)
    report = kb.build(docs=[DOCS])
    assert report.items == 47 and report.embedded > 0
    assert type(kb.store.client).__name__ != "PersistentClient"
    assert not (tmp_path / "home" / "chroma").exists(), "server mode writes no local vector store"
    hit = kb.search("投机采样是怎么回事")
    assert hit.hits[0].question == "投机采样（speculative decoding）的原理？"
    again = KnowledgeBase(KnowledgeSettings()).build(docs=[DOCS])
    assert again.embedded == 0 and again.items == 47
