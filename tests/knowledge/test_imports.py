"""Adding documents is atomic (real Chroma, the bundled bank built once per session).

Acceptance (issue 11): build → bad add (an empty-placeholder file, a parser that raises, a
half-written file) → the bank is exactly as before and the next build works with the same counts.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from knowledge.imports import ImportFailed
from knowledge.kb import KnowledgeBase
from knowledge.parsers import choose_parser
from knowledge.settings import KnowledgeSettings
from tests.conftest import DOCS
from tests.knowledge.notes_scoring import NOTES

GOOD = "# 笔记\n\n## 1. 什么是 KV Cache？\n\n缓存历史 token 的 K 和 V，避免重复计算。\n\n## 2. 为什么要除以根号 d_k？\n\n防止 softmax 饱和。\n"


def _kb(home: Path) -> KnowledgeBase:
    return KnowledgeBase(KnowledgeSettings(home=home))


def _state(kb: KnowledgeBase) -> tuple[str, list[str], int, int]:
    docs = sorted(p.name for p in kb.docs_dir.iterdir()) if kb.docs_dir.is_dir() else []
    return (hashlib.sha1(kb.bank_path.read_bytes()).hexdigest(), docs, kb.store.count("questions"), kb.store.count("chunks"))


def _bad_files(tmp: Path) -> list[Path]:
    placeholders = tmp / "placeholders_only.md"
    placeholders.write_text("# 大模型 30 问\n\nQ14:\n\nQ15:\n\nQ16:\n\nQ17:\n\nQ18:\n\nQ19:\n", encoding="utf-8")
    boom = tmp / "boom.md"
    boom.write_text("## 1. 这篇会让解析器崩溃？\n\nBOOM\n", encoding="utf-8")
    half = tmp / "half.md"
    data = GOOD.encode("utf-8")
    half.write_bytes(data[: data.index("避免".encode()) + 2])  # cut inside a character: still being written
    return [placeholders, boom, half]


@pytest.fixture
def raising_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import loader
    from knowledge.parsers import Parser

    def pick(text: str) -> Parser:
        real = choose_parser(text)
        if "BOOM" not in text:
            return real

        def parse(text: str, file: str):  # type: ignore[no-untyped-def]
            raise IndexError("list index out of range")

        return Parser(real.name, real.detect, parse)

    monkeypatch.setattr(loader, "choose_parser", pick)


def test_bad_adds_leave_the_bank_exactly_as_before(home_copy: Path, tmp_path: Path, raising_parser: None) -> None:
    kb = _kb(home_copy)
    first = kb.build()
    before = _state(kb)
    for bad in _bad_files(tmp_path):
        report = kb.add([bad])
        assert [f.status for f in report.files] == ["rejected"], report
        assert str(bad) in report.files[0].reason and report.files[0].warnings[0].hint
        assert report.bank_items is None and "题库未改变" in report.summary()
        assert _state(kb) == before
    reasons = " ".join(f.reason for f in kb.add(_bad_files(tmp_path)).files)
    assert "没有识别出任何题目" in reasons and "解析失败（IndexError" in reasons and "末尾不完整" in reasons
    assert _state(kb) == before
    again = _kb(home_copy).build()
    assert (again.items, again.notes, again.chunks, again.embedded, len(again.documents)) == \
        (first.items, first.notes, first.chunks, 0, len(first.documents))


def test_mixed_placeholder_file_adds_its_questions_and_names_the_lines(home_copy: Path, tmp_path: Path) -> None:
    kb = _kb(home_copy)
    before = len(kb.ensure_built().items)
    report = kb.add([NOTES / "placeholders.md"])
    (f,) = report.files
    assert f.status == "added" and f.items == 5 and report.bank_items == before + 5
    assert [w.line for w in f.skipped] == [21, 23, 25, 27]
    assert all(w.file == str(NOTES / "placeholders.md") for w in f.skipped)
    assert any("placeholders.md:15" in w.render() and "重复" in w.message for w in f.warnings)
    assert _kb(home_copy).build().items == before + 5  # the next build works


def test_a_document_that_later_crashes_the_parser_does_not_break_the_build(
        home_copy: Path, raising_parser: None) -> None:
    kb = _kb(home_copy)
    items = len(kb.ensure_built().items)
    kb.docs_dir.mkdir(exist_ok=True)
    (kb.docs_dir / "boom.md").write_text("## 1. 问题？\n\nBOOM\n", encoding="utf-8")
    report = kb.build()
    assert report.items == items
    assert any(w.file == "boom.md" and "解析失败" in w.message for w in report.warnings)


def test_failed_build_removes_the_copies(home_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = _kb(home_copy)
    kb.ensure_built()
    before = _state(kb)
    note = tmp_path / "good.md"
    note.write_text(GOOD, encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(kb, "build", broken)
    with pytest.raises(ImportFailed, match="已撤销本次添加"):
        kb.add([note])
    assert _state(kb) == before
    assert not kb.docs_dir.is_dir() or not any(p.name.endswith(".tmp") for p in kb.docs_dir.iterdir())


def test_folder_add_is_one_build_skips_data_files_and_names_relative_paths(
        home_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "notes"
    for company in ("字节", "阿里", "腾讯"):
        (folder / company).mkdir(parents=True)
        (folder / company / "readme.md").write_text(
            f"# {company}\n\n1. {company}问的第一题是什么？\n2. {company}问的第二题是什么？\n3. {company}问的第三题是什么？\n",
            encoding="utf-8")
    (folder / "字节" / "img").mkdir()
    (folder / "字节" / "img" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "scores.txt").write_text("epoch,loss,acc\n1,0.9,0.51\n2,0.7,0.62\n3,0.6,0.70\n", encoding="utf-8")
    (folder / "rows.txt").write_text('{"question": "q", "answer": "a"}\n{"question": "q2", "answer": "a2"}\n', encoding="utf-8")
    (folder / "empty.md").write_text("", encoding="utf-8")
    kb = _kb(home_copy)
    before = len(kb.ensure_built().items)
    builds: list[int] = []
    real_build = kb.build

    def counting_build(*args, **kwargs):  # type: ignore[no-untyped-def]
        builds.append(1)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(kb, "build", counting_build)
    dry = kb.add([folder], dry_run=True)
    assert builds == [] and dry.dry_run and len(dry.accepted) == 3
    assert not kb.docs_dir.exists() or not any(p.name == "readme.md" for p in kb.docs_dir.iterdir())
    report = kb.add([folder])
    assert builds == [1]  # one embedding pass for the whole folder
    by_path = {f.path: f for f in report.files}
    assert {"notes/字节/readme.md", "notes/阿里/readme.md", "notes/腾讯/readme.md"} <= set(by_path)
    assert sorted(f.stored for f in report.accepted) == ["readme.md", "腾讯_readme.md", "阿里_readme.md"]
    assert all(f.without_reference == 3 for f in report.accepted)
    assert "CSV" in by_path["notes/scores.txt"].reason and "notes/scores.txt" in by_path["notes/scores.txt"].reason
    assert "JSON" in by_path["notes/rows.txt"].reason
    assert "notes/empty.md" in by_path["notes/empty.md"].reason
    assert any("a.png" in w.message for w in report.problems)
    assert report.bank_items == before + 9 and report.items_added == 9
    again = kb.add([folder])
    assert builds == [1] and {f.status for f in again.files if f.path.endswith("readme.md")} == {"unchanged"}


def test_dry_run_reports_without_touching_the_bank(home_copy: Path) -> None:
    kb = _kb(home_copy)
    kb.ensure_built()
    before = _state(kb)
    report = kb.add([DOCS / "qa_en.md", NOTES / "bytedance_log.md"], dry_run=True)
    assert [f.status for f in report.files] == ["would_add", "would_add"]
    assert report.items_added == 15 and report.without_reference == 10 and report.skipped_blocks == 3
    assert "试运行" in report.summary() and _state(kb) == before
    data = report.as_json()
    assert data["summary"]["items_added"] == 15 and data["files"][1]["skipped"][0]["line"] == 7  # type: ignore[index]
