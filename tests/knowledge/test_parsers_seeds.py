"""Each bundled document through its own parser: every question with its fields, nothing dropped."""

from __future__ import annotations

from collections import Counter

import pytest

from knowledge.bank import bundled_seed_dir
from knowledge.loader import load_document
from knowledge.parsers import choose_parser

SEEDS = {p.name[:3]: p for p in bundled_seed_dir().glob("*.txt")}


@pytest.fixture(scope="module")
def docs():  # type: ignore[no-untyped-def]
    return {k: load_document(p) for k, p in SEEDS.items()}


@pytest.mark.parametrize(
    ("prefix", "parser", "count"),
    [("000", "kaodian", 30), ("001", "standard_answer", 30), ("002", "knowledge_points", 20),
     ("003", "qcards", 96), ("004", "markdown_qa", 28)],
)
def test_each_document_picks_its_parser_and_yields_every_question(docs, prefix, parser, count) -> None:  # type: ignore[no-untyped-def]
    assert choose_parser(SEEDS[prefix].read_text(encoding="utf-8")).name == parser
    doc = docs[prefix]
    assert len(doc.items) == count
    assert doc.warnings == []
    numbers = [i.source.number for i in doc.items]
    assert len(set(numbers)) == count, "document numbers must be unique"
    assert len({i.id for i in doc.items}) == count


def test_total_is_204(docs) -> None:  # type: ignore[no-untyped-def]
    assert sum(len(d.items) for d in docs.values()) == 204


def test_000_every_question_has_full_answer_and_topic(docs) -> None:  # type: ignore[no-untyped-def]
    items = docs["000"].items
    assert all(i.reference_answer and i.key_points for i in items)
    first = items[0]
    assert first.question == "Transformer 常见张量形状（B,T,D）是什么？"
    assert first.section == "张量/Shape 推理"
    assert first.source.line == 4 and first.source.number == "1"
    assert "B 是 batch size" in first.reference_answer
    assert items[15].question == "为什么要除以 √d？"


def test_001_follow_ups_pitfalls_and_code(docs) -> None:  # type: ignore[no-untyped-def]
    items = docs["001"].items
    assert all(i.reference_answer for i in items)
    assert sum(len(i.follow_ups) for i in items) == 5
    assert sum(len(i.pitfalls) for i in items) == 6
    assert [i.source.number for i in items if i.follow_ups] == ["1", "2", "3", "4", "5"]
    assert [i.source.number for i in items if i.pitfalls] == ["1", "2", "3", "4", "5", "6"]
    assert items[1].follow_ups[0].text == "当前线上是否做了 RoPE scaling？扩到多长上下文？"
    assert items[0].pitfalls[0].text == "回答停留在“并行计算更快”而无表达层面的解释。"
    flash = items[3]
    assert "scaled_dot_product_attention" in flash.code[0]
    assert items[29].question == "语料时效性与刷新策略？"
    assert items[29].section == "模型与预训练"
    # the trailing figure/reference sections are not swallowed into question 30
    assert "ZeRO" not in items[29].reference_answer


def test_002_questions_without_answers_and_knowledge_notes(docs) -> None:  # type: ignore[no-untyped-def]
    doc = docs["002"]
    assert all(i.reference_answer == "" and not i.key_points for i in doc.items)
    assert len(doc.notes) == 30
    assert doc.notes[0].title == "自注意力机制（Self-Attention）"
    assert "softmax" in doc.notes[0].text  # the formula on the next line is kept
    assert doc.items[9].question == "为什么注意力分数要除以√d_k？"
    assert doc.items[0].section == "基础原理"


def test_003_cards_carry_difficulty_tags_companies_and_points(docs) -> None:  # type: ignore[no-untyped-def]
    items = docs["003"].items
    assert all(i.tags and i.companies and i.key_points for i in items)
    assert Counter(i.difficulty for i in items).keys() <= {2, 3, 4, 5}
    q21 = next(i for i in items if i.source.number == "21")
    assert q21.difficulty == 3
    assert q21.tags[:2] == ("Attention", "Scaled")
    assert q21.companies == ("字节", "美团")
    assert "高频" in q21.tags
    assert next(kp.text for kp in q21.key_points) == "防止点积结果过大导致softmax梯度消失"
    assert q21.section == "Transformer 架构基础"
    q96 = next(i for i in items if i.source.number == "96")
    assert len(q96.key_points) == 4  # numbered 考点 list
    q92 = next(i for i in items if i.source.number == "92")
    assert q92.difficulty == 5


def test_004_answers_without_label_and_atomic_key_points(docs) -> None:  # type: ignore[no-untyped-def]
    items = docs["004"].items
    assert all(i.reference_answer and i.key_points for i in items)
    assert not any(i.reference_answer.startswith(("**回答思路", "回答思路")) for i in items)
    assert items[3].question == "为什么在 softmax 之前需要对 attention 进行 scaled（除以 √dₖ）？"
    assert len(items[3].key_points) >= 3
    assert not any(kp.text.endswith("：") for i in items for kp in i.key_points)
