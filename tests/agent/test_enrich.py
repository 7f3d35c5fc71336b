"""`kb enrich`: an LLM's material is validated like the shipped material; valid material is cached
beside the document and applied on the next build; invalid material is rejected, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agent.enrich import Enricher, draft_schema
from knowledge.kb import KnowledgeBase
from knowledge.material import material_path_for
from knowledge.settings import KnowledgeSettings
from tests.agent.fakes import ScriptedChatModel
from tests.conftest import ROOT
from ui.cli import app

DRAFT = (ROOT / "tests" / "data" / "material" / "draft_scaled_dot.json").read_text(encoding="utf-8")
NOTE = "# 我的注意力笔记\n\n## 1. 为什么要除以 √d？\n\n点积的方差随维度增大，softmax 饱和，所以缩放。\n"


def _user_doc(home: Path) -> tuple[KnowledgeBase, Path]:
    kb = KnowledgeBase(KnowledgeSettings(home=home))
    src = home.parent / "mine.md"
    src.write_text(NOTE, encoding="utf-8")
    kb.add([src])
    return kb, kb.docs_dir / "mine.md"


def test_valid_material_is_cached_beside_the_document_and_applied(home_copy: Path) -> None:
    kb, doc = _user_doc(home_copy)
    items = [i for i in kb.bank().items if i.source.file == "mine.md"]
    assert len(items) == 1 and items[0].material == "derived" and items[0].source.title == "我的注意力笔记"
    model = ScriptedChatModel([DRAFT])
    report = Enricher(model, "scripted").enrich_document(doc, items)
    model.assert_used_up()
    assert report.written == 1 and report.rejected == 0
    assert "JSON Schema" in str(model.received[0][-1].content) and draft_schema() in str(model.received[0][-1].content)
    lines = material_path_for(doc).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["provenance"]["written_by"].startswith("mianshi kb enrich (scripted)")
    kb.build()
    item = next(i for i in kb.bank().items if i.source.file == "mine.md")
    assert item.material == "generated" and len(item.misconceptions) == 3 and len(item.exemplars) == 5
    assert item.key_points[0].probe and item.topic == "attention"


def test_nonsense_is_rejected_after_one_repair_and_nothing_is_written(home_copy: Path) -> None:
    kb, doc = _user_doc(home_copy)
    items = [i for i in kb.bank().items if i.source.file == "mine.md"]
    bad = json.loads(DRAFT)
    bad["exemplars"] = [e for e in bad["exemplars"] if e["kind"] != "fluent_wrong"]  # a required level missing
    model = ScriptedChatModel(["我不会写 JSON", json.dumps(bad, ensure_ascii=False)])
    report = Enricher(model, "scripted").enrich_document(doc, items)
    model.assert_used_up()
    assert report.written == 0 and "every level" in report.outcomes[0].reason
    assert "不合格" in str(model.received[1][-1].content)
    assert not material_path_for(doc).exists()


def test_a_probe_that_gives_its_point_away_is_rejected(home_copy: Path) -> None:
    kb, doc = _user_doc(home_copy)
    items = [i for i in kb.bank().items if i.source.file == "mine.md"]
    leaky = json.loads(DRAFT)
    leaky["key_points"][0]["probe"] = "q·k 的方差随维度 d 线性增大，对吗？"
    model = ScriptedChatModel([json.dumps(leaky, ensure_ascii=False)] * 2)
    report = Enricher(model, "scripted").enrich_document(doc, items)
    assert report.written == 0 and "gives its point away" in report.outcomes[0].reason


def test_enrich_without_an_llm_says_what_happens(home_copy: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MIANSHI_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    res = CliRunner().invoke(app, ["kb", "enrich"])
    assert res.exit_code == 2 and "未配置大模型" in res.output and "derived_material" in res.output
