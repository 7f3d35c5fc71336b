"""Bad documents produce a warning naming the file (and line) and what to do; the rest still loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.bank import load_documents
from knowledge.loader import load_document
from tests.conftest import DOCS


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("empty.md", b"", "为空"),
        ("blank.md", b"  \n\n \t\n", "为空"),
        ("binary.md", bytes(range(256)) * 40, "不是文本文件"),
        ("png.md", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "不是文本文件"),
        ("unknown.md", "今天天气很好，我们去公园散步。\n没有任何题目。\n".encode(), "没有识别出任何题目"),
    ],
)
def test_bad_document_warns_and_is_skipped(tmp_path: Path, name: str, data: bytes, needle: str) -> None:
    doc = load_document(_write(tmp_path, name, data))
    assert doc.items == []
    assert len(doc.warnings) == 1
    w = doc.warnings[0]
    assert w.file == name and needle in w.message and w.hint
    assert name in w.render()


def test_gbk_document_loads_with_a_warning(tmp_path: Path) -> None:
    text = "## 1. 为什么要除以根号 d_k？\n\n防止点积方差随维度增大导致 softmax 饱和。\n\n## 2. 什么是 KV Cache？\n\n缓存历史的 K 和 V。\n"
    doc = load_document(_write(tmp_path, "gbk.md", text.encode("gbk")))
    assert [i.question for i in doc.items] == ["为什么要除以根号 d_k？", "什么是 KV Cache？"]
    assert any("GBK" in w.message for w in doc.warnings)


def test_unclosed_fence_names_the_line_and_keeps_parsing(tmp_path: Path) -> None:
    text = "## 1. 问题一？\n\n答案一。\n\n```python\nprint(1)\n\n## 2. 问题二？\n\n答案二。\n"
    doc = load_document(_write(tmp_path, "broken.md", text.encode()))
    assert [i.question for i in doc.items] == ["问题一？", "问题二？"]
    assert doc.warnings[0].line == 5 and "没有闭合" in doc.warnings[0].message


def test_huge_document_is_skipped_with_size_in_message(tmp_path: Path) -> None:
    p = tmp_path / "huge.md"
    with p.open("wb") as f:
        f.write(b"## 1. q?\n" + b"a" * (50 * 1024 * 1024))
    doc = load_document(p, max_mb=20)
    assert doc.items == [] and "50.0 MB" in doc.warnings[0].message and "MIANSHI_MAX_DOC_MB" in doc.warnings[0].hint


def test_missing_path_and_mixed_folder_still_load_the_good_ones(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(DOCS / "qa_zh.txt", folder / "good.txt")
    _write(folder, "empty.md", b"")
    _write(folder, "binary.md", b"\x00\x01\x02" * 100)
    loaded = load_documents([folder, tmp_path / "nope.md"])
    assert len(loaded.items) == 6
    files = {w.file for w in loaded.warnings}
    assert {"empty.md", "binary.md"} <= files
    assert any(w.file.endswith("nope.md") and "不存在" in w.message for w in loaded.warnings)


def test_parser_crash_becomes_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import loader
    from knowledge.parsers import Parser

    def boom(text: str, file: str):  # type: ignore[no-untyped-def]
        raise ValueError("kaboom")

    monkeypatch.setattr(loader, "choose_parser", lambda text: Parser("boom", lambda t: 1.0, boom))
    doc = load_document(_write(tmp_path, "x.md", b"## 1. q?\nanswer\n"))
    assert doc.items == [] and "kaboom" in doc.warnings[0].message
