"""The gold set is a schema-checked file: every line validates, ids are unique, a question's rows
are all in one split (the test split shares no question with dev), and it is as large as promised."""

from __future__ import annotations

import json
from collections import defaultdict

import jsonschema

from tests.conftest import ROOT

DATASETS = ROOT / "eval" / "datasets"


def rows() -> list[dict]:
    return [json.loads(line) for line in (DATASETS / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_line_follows_the_schema() -> None:
    schema = json.loads((DATASETS / "gold.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = [(r.get("id"), e.message) for r in rows() for e in validator.iter_errors(r)]
    assert not problems, problems[:5]


def test_ids_unique_and_splits_by_question() -> None:
    data = rows()
    assert len({r["id"] for r in data}) == len(data)
    splits: dict[str, set[str]] = defaultdict(set)
    for r in data:
        if r["question_ref"]:
            splits[r["question_ref"]].add(r["split"])
    assert all(len(s) == 1 for s in splits.values()), [q for q, s in splits.items() if len(s) > 1]


def test_size_and_second_labels() -> None:
    data = rows()
    assert len(data) >= 400 and len({r["question_ref"] for r in data if r["question_ref"]}) >= 120
    test = [r for r in data if r["split"] == "test"]
    assert all("label2" in r for r in test), "the test split has a second, independent label"
    assert not any("label2" in r for r in data if r["split"] == "dev")
