"""Chroma embedded for real: build, reopen, incremental rebuild, retrieval and linking."""

from __future__ import annotations

import shutil
from pathlib import Path

from knowledge.bank import bundled_seed_dir
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings
from tests.conftest import DOCS


def test_bundled_bank_has_204_items_and_30_notes(kb) -> None:  # type: ignore[no-untyped-def]
    bank = kb.bank()
    assert len(bank.items) == 204 and len(bank.notes) == 30
    assert kb.store.count("questions") == 204
    assert kb.store.count("chunks") >= 234


def test_reopen_is_a_no_change_rebuild(built_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "h"
    shutil.copytree(built_home, home)
    report = KnowledgeBase(KnowledgeSettings(home=home)).build()
    assert report.items == 204 and report.embedded == 0 and report.deleted == 0


def test_incremental_rebuild_embeds_only_the_changed_document(built_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "h"
    shutil.copytree(built_home, home)
    docs = tmp_path / "docs"
    shutil.copytree(bundled_seed_dir(), docs)
    kb = KnowledgeBase(KnowledgeSettings(home=home))
    first = kb.build(docs=[docs])
    assert first.embedded == 0
    path = docs / "000_61e20c8023ccc1c3.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("标准解法是减去最大值", "标准解法是先减去最大值"), encoding="utf-8")
    second = kb.build(docs=[docs])
    assert second.embedded == 1  # one chunk; the question text (and its vector) did not change
    (docs / "001_04bb12059e8ab811.txt").unlink()
    third = kb.build(docs=[docs])
    assert third.items == 174 and third.deleted >= 60 and third.embedded == 0


def test_same_question_across_documents_is_linked(kb) -> None:  # type: ignore[no-untyped-def]
    bank = kb.bank()
    by_ref = {i.source.ref: i for i in bank.items}
    ln = by_ref["000:24"]  # LayerNorm vs BatchNorm appears in four documents
    related_refs = {bank.by_id()[r].source.ref for r in ln.related}
    assert {"002:9", "003:23", "004:11"} <= related_refs
    # links are symmetric and never within one document
    for item in bank.items:
        for r in item.related:
            other = bank.by_id()[r]
            assert item.id in other.related and other.source.file != item.source.file


def test_search_finds_paraphrase_and_rejects_off_bank(kb) -> None:  # type: ignore[no-untyped-def]
    hit = kb.search("为啥attention打分要除个根号dk")
    assert hit.matched and hit.hits[0].source in {"000:16", "002:10", "003:21", "004:4"}
    assert 0.5 <= hit.confidence <= 1.0
    off = kb.search("MySQL 的 B+ 树索引为什么比哈希索引更适合范围查询")
    assert not off.matched and off.confidence < 0.5


def test_reference_retrieval_gives_unanswered_002_questions_material(kb) -> None:  # type: ignore[no-untyped-def]
    bank = kb.bank()
    q = next(i for i in bank.items if i.source.ref == "002:10")
    assert not q.reference_answer  # the document gives no answer (its grading material is authored)
    chunks = kb.references(q, k=4)
    owners = {c.owner_id for c in chunks}
    assert owners & set(q.related), "related items' references come first"
    assert any("√" in c.text or "方差" in c.text for c in chunks)
    assert q.id not in owners


def test_user_document_is_added_and_earlier_ones_kept(home_copy: Path) -> None:
    kb = KnowledgeBase(KnowledgeSettings(home=home_copy))
    report = kb.add([DOCS / "qa_zh.txt", DOCS / "h2_numbered.md"])
    assert report.rejected == [] and report.bank_items == 204 + 6 + 5 and report.items_added == 11
    assert (home_copy / "docs" / "qa_zh.txt").exists()
    again = KnowledgeBase(KnowledgeSettings(home=home_copy)).build()
    assert again.items == 215 and again.embedded == 0


def test_rebuild_drops_and_re_embeds_everything(built_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "h"
    shutil.copytree(built_home, home)
    report = KnowledgeBase(KnowledgeSettings(home=home)).build(docs=[DOCS / "qa_en.md"], rebuild=True)
    assert report.items == 5 and report.embedded == 5 + 5  # 5 question vectors + 5 chunks, nothing kept


def test_chroma_ranks_like_the_exact_in_memory_index(kb) -> None:  # type: ignore[no-untyped-def]
    from knowledge.retrieval import ChromaDenseIndex, InMemoryDenseIndex

    ids = [i.id for i in kb.bank().items]
    exact = InMemoryDenseIndex(ids, kb.store.vectors("questions", ids))
    vector = kb.embedder.queries(["为什么要对注意力分数做缩放"])[0]
    got = ChromaDenseIndex(kb.store, "questions").search(vector, 5)
    want = exact.search(vector, 5)
    assert [i for i, _ in got] == [i for i, _ in want]
    assert all(abs(a - b) < 1e-3 for (_, a), (_, b) in zip(got, want, strict=True))


def test_build_writes_the_token_cache_and_a_new_process_searches_without_segmenting(built_home: Path, tmp_path: Path) -> None:
    from knowledge.lexical import TokenCache

    home = tmp_path / "h"
    shutil.copytree(built_home, home)
    assert (home / "lexical_tokens.json").is_file()
    query = "为什么注意力要除以根号 d_k"
    cold = KnowledgeBase(KnowledgeSettings(home=home))
    cold._checked = True  # as a process that found the bank current
    (home / "lexical_tokens.json").rename(tmp_path / "kept.json")
    cold.__dict__["_tokens"] = TokenCache()  # no cache: every text is segmented
    expected = cold.search(query)
    assert cold._tokens.misses > 300

    (tmp_path / "kept.json").rename(home / "lexical_tokens.json")
    warm = KnowledgeBase(KnowledgeSettings(home=home))
    assert warm.search(query) == expected  # the same ranking, scores and confidence
    warm.references(warm.bank().items[0])
    assert warm._tokens.misses == 0


def test_a_stale_or_broken_token_cache_is_ignored_and_a_missing_one_is_written(built_home: Path, tmp_path: Path) -> None:
    import json

    from knowledge.lexical import TokenCache

    home = tmp_path / "h"
    shutil.copytree(built_home, home)
    path = home / "lexical_tokens.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert TokenCache.load(path)._entries
    path.write_text(json.dumps({**data, "tokenizer": "jieba-0.0-other"}), encoding="utf-8")
    assert not TokenCache.load(path)._entries
    path.write_text('{"tokenizer": ', encoding="utf-8")
    assert not TokenCache.load(path)._entries

    path.unlink()
    kb = KnowledgeBase(KnowledgeSettings(home=home))
    kb.ensure_built()  # a bank built before the cache existed gets one, without a rebuild
    assert json.loads(path.read_text(encoding="utf-8"))["tokens"]
    assert not list(home.glob(".*.tmp"))
