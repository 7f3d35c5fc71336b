"""The generic Markdown Q&A parser on sample documents of the shapes users bring."""

from __future__ import annotations

import json

import pytest

from knowledge.loader import load_document
from tests.conftest import DOCS

EXPECTED = json.loads((DOCS / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_document(name: str) -> None:
    exp = EXPECTED[name]
    doc = load_document(DOCS / name)
    assert doc.warnings == []
    assert [i.question for i in doc.items] == exp["questions"]
    assert len(doc.items) == exp["count"]
    for item, needle in zip(doc.items, exp["answer_contains"], strict=True):
        if needle:
            assert needle in item.reference_answer, (item.question, item.reference_answer)
        else:
            assert item.reference_answer.strip() == ""
    if "topics" in exp:
        assert [i.section for i in doc.items] == exp["topics"]


def test_fenced_python_is_code_and_not_split() -> None:
    doc = load_document(DOCS / "h2_numbered.md")
    code_items = [i for i in doc.items if i.code]
    assert len(code_items) == 1
    assert "## not a heading" in code_items[0].code[0]
    # code never becomes a key point
    assert not any("def " in kp.text for kp in code_items[0].key_points)


def test_source_lines_point_at_the_question() -> None:
    path = DOCS / "qa_zh.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    for item in load_document(path).items:
        assert item.question.split("？")[0][:6] in lines[item.source.line - 1]
