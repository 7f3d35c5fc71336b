"""Grading material as data: the validator names file:line and loads the rest; the shipped material
covers the bank and is applied at build; stale material is reported, never applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.material import (
    ItemMaterial,
    apply_material,
    bundled_material_files,
    load_material_file,
    main,
    shared_run,
)
from tests.conftest import ROOT

DRAFT = json.loads((ROOT / "tests" / "data" / "material" / "draft_scaled_dot.json").read_text(encoding="utf-8"))


def line(**changes: object) -> str:
    data = {"ref": "000:16", "question": "为什么要除以 √d？", **DRAFT,
            "provenance": {"written_by": "a test", "reviewed_by": "", "notes": ""}}
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


def test_bad_lines_are_named_by_file_and_line_and_the_rest_loads(tmp_path: Path) -> None:
    leaky = [dict(DRAFT["key_points"][0], probe="q·k 的方差随维度 d 线性增大吗？"), *DRAFT["key_points"][1:]]
    f = tmp_path / "m.jsonl"
    f.write_text("\n".join([
        line(),
        "{not json",
        line(ref="000:17", topic="not-a-topic"),
        line(ref="000:18", misconceptions=DRAFT["misconceptions"][:2]),
        line(ref="000:19", key_points=leaky),
        line(ref="000:20", slots=[{"id": "s1", "point": "k9", "right": ["x"], "why": "because"}]),
        line(ref="000:21", exemplars=[e for e in DRAFT["exemplars"] if e["kind"] != "own_words"]),
        line(ref="000:22", exemplars=[dict(e, score=9.0) if e["kind"] == "fluent_wrong" else e for e in DRAFT["exemplars"]]),
        line(),  # a duplicate ref
        "",
        line(ref="000:23"),
    ]), encoding="utf-8")
    mf = load_material_file(f)
    assert [m.ref for m in mf.items] == ["000:16", "000:23"]
    where = {w.line: w.message for w in mf.warnings}
    assert sorted(where) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "JSON" in where[2] and "topic" in where[3] and "misconceptions" in where[4]
    assert "gives its point away" in where[5] and "k9" in where[6] and "own_words" in where[7]
    assert "fluent_wrong" in where[8] and "重复" in where[9]
    assert all(w.render().startswith(f"m.jsonl:{w.line}: ") for w in mf.warnings)


def test_check_command_exits_non_zero_on_bad_material(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(line() + "\n", encoding="utf-8")
    bad.write_text(line() + "\n{oops\n", encoding="utf-8")
    assert main(["check", str(good)]) == 0
    assert main(["check", str(bad)]) == 1
    assert f"{bad}:2:" in capsys.readouterr().out


def test_shared_run_ignores_spacing_and_punctuation() -> None:
    assert shared_run("点积的 方差，随维度增大", "方差随维度增大", 6) == "方差随维度增大"[:6]
    assert shared_run("假设分量独立", "方差随维度增大", 4) == ""


def test_every_shipped_file_is_valid() -> None:
    files = bundled_material_files()
    assert {f.stem for f in files} == {"000", "001", "002", "003", "004"}
    for f in files:
        mf = load_material_file(f)
        assert not mf.warnings, [w.render() for w in mf.warnings]


def test_every_bank_question_has_reviewed_material_applied(kb) -> None:  # type: ignore[no-untyped-def]
    items = kb.ensure_built().items
    assert len(items) == 204
    missing = [i.source.ref for i in items if i.material != "authored"]
    assert not missing, missing
    for i in items:
        assert 3 <= len(i.misconceptions) <= 8 and len(i.exemplars) >= 4
        assert all(k.probe and k.aliases is not None for k in i.key_points)
        assert i.section and i.source.title and not i.source.title.endswith(".txt")
    mats = [m for f in bundled_material_files() for m in load_material_file(f).items]
    assert all(m.provenance.reviewed_by for m in mats), "every item checked by a second pass"
    # every passage marked wrong is in the document's reference, word for word (else it would be dropped)
    by_ref = {i.source.ref: i for i in items}
    marked = {m.ref: m.reference_errors for m in mats if m.reference_errors}
    assert marked and all(by_ref[ref].reference_errors == errs for ref, errs in marked.items())


def test_a_reference_error_that_is_not_in_the_reference_is_dropped(kb) -> None:  # type: ignore[no-untyped-def]
    item = next(i for i in kb.ensure_built().items if i.source.ref == "004:9")
    bare = item.model_copy(update={"key_points": (), "reference_errors": ()})
    mat = ItemMaterial.model_validate_json(line(question=item.question, reference_errors=["ALiBi：推理友好", "不在参考里的话"]))
    assert apply_material(bare, mat).reference_errors == ("ALiBi：推理友好",)


def test_material_for_another_wording_is_not_applied(kb) -> None:  # type: ignore[no-untyped-def]
    item = next(i for i in kb.ensure_built().items if i.source.ref == "000:16")
    plain = item.model_copy(update={"material": "derived", "misconceptions": (), "exemplars": ()})
    m = ItemMaterial.model_validate(json.loads(line(question=item.question)))
    applied = apply_material(plain, m, "generated")
    assert applied.material == "generated" and [k.text for k in applied.key_points] == [k.text for k in m.key_points]
    assert applied.misconceptions == m.misconceptions and applied.topic == m.topic
    reworded = m.model_copy(update={"question": "完全不同的一道题？"})
    assert apply_material(plain, reworded) is plain


def test_a_bank_built_with_older_material_is_rebuilt_once(home_copy: Path) -> None:
    from knowledge.bank import Bank, bundled_material_sha
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    path = home_copy / "bank.json"
    stale = Bank.load(path).model_copy(update={"material_sha": "older"})
    stale.save(path)
    kb = KnowledgeBase(KnowledgeSettings(home=home_copy))
    assert kb.ensure_built().material_sha == bundled_material_sha()
    assert Bank.load(path).material_sha == bundled_material_sha()
    stale.save(path)  # the check runs once per knowledge base, not on every call
    assert kb.ensure_built().material_sha == bundled_material_sha()
