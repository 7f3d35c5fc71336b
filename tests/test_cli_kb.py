"""`mianshi kb …` through typer's runner, on the bundled bank."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import DOCS
from ui.cli import app

runner = CliRunner()


def test_list_json_has_204_items_with_all_fields(home_copy: Path) -> None:
    res = runner.invoke(app, ["kb", "list", "--json"])
    assert res.exit_code == 0, res.output
    items = json.loads(res.stdout)
    assert len(items) == 204
    required = {"id", "question", "reference_answer", "key_points", "follow_ups", "pitfalls", "topic",
                "difficulty", "tags", "companies", "source", "related", "section", "misconceptions", "exemplars"}
    assert all(required <= set(i) for i in items)
    assert all({"file", "line"} <= set(i["source"]) for i in items)
    per_file: dict[str, int] = {}
    for i in items:
        per_file[i["source"]["file"][:3]] = per_file.get(i["source"]["file"][:3], 0) + 1
    assert per_file == {"000": 30, "001": 30, "002": 20, "003": 96, "004": 28}
    assert all(i["reference_answer"] for i in items if i["source"]["file"][:3] in ("000", "004"))
    assert sum(len(i["follow_ups"]) for i in items if i["source"]["file"].startswith("001")) == 5
    assert sum(len(i["pitfalls"]) for i in items if i["source"]["file"].startswith("001")) == 6
    cards = [i for i in items if i["source"]["file"].startswith("003")]
    assert all(i["difficulty"] in (2, 3, 4, 5) and i["tags"] and i["companies"] for i in cards)


def test_list_filters(home_copy: Path) -> None:
    res = runner.invoke(app, ["kb", "list", "--json", "--source", "003", "--topic", "PEFT"])
    items = json.loads(res.stdout)
    assert all(i["source"]["file"].startswith("003") for i in items)
    # the canonical topic (微调与 PEFT) or the document's own section "PEFT 参数高效微调" (8 cards)
    assert all(i["topic"] == "peft" or "PEFT" in i["section"] for i in items)
    assert sum(1 for i in items if "PEFT" in i["section"]) == 8


def test_search_json_contract(home_copy: Path) -> None:
    res = runner.invoke(app, ["kb", "search", "LN 和 BN 有什么不一样", "-k", "3", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) == {"query", "confidence", "matched", "hits"}
    assert len(data["hits"]) == 3
    assert set(data["hits"][0]) == {"id", "question", "score", "source"}
    assert "LayerNorm" in data["hits"][0]["question"] or "BatchNorm" in data["hits"][0]["question"]
    off = json.loads(runner.invoke(app, ["kb", "search", "今天中午吃什么好", "--json"]).stdout)
    assert off["matched"] is False


def test_show_by_ref_and_by_id(home_copy: Path) -> None:
    res = runner.invoke(app, ["kb", "show", "001:2"])
    assert res.exit_code == 0 and "RoPE/ALiBi" in res.stdout and "反问点" in res.stdout and "坑位" in res.stdout
    item_id = json.loads(runner.invoke(app, ["kb", "list", "--json", "--source", "000"]).stdout)[0]["id"]
    assert item_id in runner.invoke(app, ["kb", "show", item_id]).stdout
    missing = runner.invoke(app, ["kb", "show", "zzz-nope"])
    assert missing.exit_code == 1 and "找不到" in missing.output


def test_add_keeps_earlier_documents_and_rejects_bad_ones(home_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\x00\x01binary")
    res = runner.invoke(app, ["kb", "add", str(DOCS / "dialogue.md"), str(bad)])
    assert res.exit_code == 0, res.output
    assert "bad.md" in res.output and "未添加" in res.output
    assert len(json.loads(runner.invoke(app, ["kb", "list", "--json"]).stdout)) == 209


def test_first_use_builds_the_bank_with_progress(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MIANSHI_HOME", str(tmp_path / "fresh"))
    res = runner.invoke(app, ["kb", "build", "--docs", str(DOCS / "qa_en.md")])
    assert res.exit_code == 0
    assert "qa_en.md" in res.output and "5" in res.output
    data = json.loads(runner.invoke(app, ["kb", "search", "What is KV cache?", "--json"]).stdout)
    assert data["hits"]


def test_help_is_chinese_and_lists_commands() -> None:
    res = runner.invoke(app, ["kb", "--help"])
    assert res.exit_code == 0 and "题库" in res.output
    for cmd in ("build", "add", "list", "search", "show"):
        assert cmd in res.output


def test_every_command_builds_the_bank_on_first_use(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MIANSHI_HOME", str(tmp_path / "new-user"))
    res = runner.invoke(app, ["kb", "list", "--json", "--source", "004"])
    assert res.exit_code == 0
    assert "首次使用" in res.stderr
    assert len(json.loads(res.stdout)) == 28
    assert (tmp_path / "new-user" / "bank.json").exists()


def test_add_dry_run_json_reports_per_file_and_changes_nothing(home_copy: Path) -> None:
    from tests.knowledge.notes_scoring import NOTES

    bank = (home_copy / "bank.json").read_bytes()
    res = runner.invoke(app, ["kb", "add", "--dry-run", "--json", str(NOTES / "tencent_log.txt"), str(NOTES / "placeholders.md")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["dry_run"] is True and [f["status"] for f in data["files"]] == ["would_add", "would_add"]
    assert data["summary"]["items_added"] == 14 and data["summary"]["without_reference"] == 9
    assert {w["line"] for w in data["files"][1]["skipped"]} == {21, 23, 25, 27}
    assert (home_copy / "bank.json").read_bytes() == bank and not (home_copy / "docs").exists()


def test_add_folder_names_relative_paths_and_exits_1_when_nothing_is_added(home_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    for sub in ("a", "b"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "readme.md").write_text("今天天气很好。\n", encoding="utf-8")
    res = runner.invoke(app, ["kb", "add", str(folder)], env={"COLUMNS": "200"})
    assert res.exit_code == 1
    assert "mine/a/readme.md" in res.output and "mine/b/readme.md" in res.output and "未添加" in res.output
    assert "题库未改变" in res.output
