"""The knowledge base facade the CLI, the agent and eval use: build, add, search, references."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from knowledge.bank import (
    BANK_FORMAT,
    Bank,
    DocInfo,
    bundled_material_sha,
    bundled_seed_dir,
    link_related,
    load_documents,
)
from knowledge.chunking import Chunk, chunk_item, chunk_note
from knowledge.embeddings import E5Embedder, Embedder, OpenAIEmbedder
from knowledge.imports import ImportFailed, ImportReport, plan_import, remove, write_atomically
from knowledge.lexical import TokenCache
from knowledge.loader import expand_paths
from knowledge.retrieval import ChromaDenseIndex, MatchResult, OwnerIndex, QuestionMatcher, ReferenceRetriever
from knowledge.schema import LoadWarning, QuestionItem
from knowledge.settings import KnowledgeSettings
from knowledge.store import ChromaStore, Record, open_client

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total) — stages: 解析文档, 向量化题目, 向量化片段."""


class BuildReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    items: int
    notes: int
    chunks: int
    documents: tuple[DocInfo, ...]
    warnings: tuple[LoadWarning, ...]
    embedded: int
    deleted: int
    seconds: float


def make_embedder(settings: KnowledgeSettings) -> Embedder:
    if settings.embedding_backend == "openai":
        import os

        return OpenAIEmbedder(settings.embedding_model, settings.embedding_base_url or os.environ.get("OPENAI_BASE_URL"),
                              os.environ.get("OPENAI_API_KEY"))
    return E5Embedder()


class KnowledgeBase:
    def __init__(self, settings: KnowledgeSettings, embedder: Embedder | None = None, client: Any = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._client = client
        self._bank: Bank | None = None
        self._checked = False

    # paths -----------------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.settings.home_dir

    @property
    def bank_path(self) -> Path:
        return self.home / "bank.json"

    @property
    def tokens_path(self) -> Path:
        return self.home / "lexical_tokens.json"

    @property
    def docs_dir(self) -> Path:
        return self.home / "docs"

    def default_sources(self) -> list[Path]:
        sources = [bundled_seed_dir()]
        if self.docs_dir.is_dir() and any(self.docs_dir.iterdir()):
            sources.append(self.docs_dir)
        return sources

    # components ------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    @cached_property
    def store(self) -> ChromaStore:
        client = self._client or open_client(self.home, self.settings.chroma_url)
        return ChromaStore(client, self.embedder)

    def is_built(self) -> bool:
        return self.bank_path.exists()

    def bank(self) -> Bank:
        if self._bank is None:
            self._bank = Bank.load(self.bank_path)
        return self._bank

    def ensure_built(self, progress: Progress | None = None) -> Bank:
        """The bank, built first when missing, made by an older version, or built with older bundled
        grading material (an incremental rebuild: only changed texts are embedded again)."""
        if not self.is_built():
            self.build(progress=progress)
            return self.bank()
        try:
            bank = self.bank()
        except ValueError:
            self._bank = None
            self.build(progress=progress)
            return self.bank()
        if not self._checked:  # the shipped material cannot change under a running process: hash it once
            self._checked = True
            if bank.format != BANK_FORMAT or bank.material_sha != bundled_material_sha():
                self.build(progress=progress)
            elif not self.tokens_path.exists():  # a bank built before the token cache existed
                self._save_tokens()
        return self.bank()

    # build -----------------------------------------------------------------------------------
    def build(self, docs: Sequence[Path] | None = None, rebuild: bool = False, progress: Progress | None = None) -> BuildReport:
        start = time.perf_counter()
        sources = list(docs) if docs else self.default_sources()
        files, _ = expand_paths(sources)
        done = 0

        def on_file(_: Path) -> None:
            nonlocal done
            done += 1
            if progress:
                progress("解析文档", done, len(files))

        loaded = load_documents(sources, max_mb=self.settings.max_doc_mb, on_file=on_file)
        if rebuild:
            self.store.reset()
        q_records = [
            Record(id=i.id, text=i.question, metadata={"file": i.source.file, "line": i.source.line, "topic": i.topic},
                   content_hash=text_hash(i.question))
            for i in loaded.items
        ]
        q_sync = self.store.sync("questions", q_records, as_query=True,
                                 progress=(lambda d, t: progress("向量化题目", d, t)) if progress else None)
        vectors = self.store.vectors("questions", [i.id for i in loaded.items])
        items = link_related(loaded.items, vectors)
        chunks = chunks_of(items, loaded.notes)
        c_records = [
            Record(id=c.id, text=c.text, metadata={"owner_id": c.owner_id, "kind": c.kind, "file": c.file,
                                                   "line": c.line, "topic": c.topic}, content_hash=c.content_hash)
            for c in chunks
        ]
        c_sync = self.store.sync("chunks", c_records,
                                 progress=(lambda d, t: progress("向量化片段", d, t)) if progress else None)
        bank = Bank(items=tuple(items), notes=tuple(loaded.notes), warnings=tuple(loaded.warnings),
                    documents=tuple(loaded.documents), material_sha=bundled_material_sha())
        bank.save(self.bank_path)
        self._bank = bank
        self._checked = True  # just built from the shipped material: current (and ensure_built must not re-check
        self.__dict__.pop("_matcher", None)  # while the indexes below are built, or it would build them twice)
        self.__dict__.pop("_references", None)
        self._save_tokens()
        return BuildReport(items=len(items), notes=len(loaded.notes), chunks=len(chunks), documents=bank.documents,
                           warnings=bank.warnings, embedded=q_sync.embedded + c_sync.embedded,
                           deleted=q_sync.deleted + c_sync.deleted, seconds=round(time.perf_counter() - start, 3))

    def add(self, paths: Sequence[Path], dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
        """Add documents to MIANSHI_HOME/docs (keeping the earlier ones) and rebuild once, incrementally.

        Every document is read and parsed whole first; one that fails is rejected with the reason and
        nothing of it is written. The accepted ones are copied (temporary file + rename) and the bank is
        rebuilt in one pass; if that build fails, the copies are removed, the bank is unchanged and
        :class:`ImportFailed` says why. ``dry_run`` only reports what would happen.
        """
        start = time.perf_counter()
        planned, problems = plan_import(paths, self.docs_dir, self.settings.max_doc_mb,
                                        on_file=(lambda d, t: progress("检查文档", d, t)) if progress else None)
        if dry_run:
            files = tuple(p.report.model_copy(update={"status": "would_add"}) if p.writes else p.report for p in planned)
            return ImportReport(files=files, problems=tuple(problems), dry_run=True)
        files = tuple(p.report for p in planned)
        if not any(p.writes for p in planned):
            return ImportReport(files=files, problems=tuple(problems))
        written = write_atomically(self.docs_dir, planned)
        try:
            report = self.build(progress=progress)
        except Exception as exc:
            remove(written)
            self._bank = None
            self.__dict__.pop("_matcher", None)
            self.__dict__.pop("_references", None)
            raise ImportFailed(f"加入文档后重建题库失败（{type(exc).__name__}: {exc}），已撤销本次添加，题库保持原样") from exc
        return ImportReport(files=files, problems=tuple(problems), bank_items=report.items, embedded=report.embedded,
                            seconds=round(time.perf_counter() - start, 3))

    # retrieval -------------------------------------------------------------------------------
    @cached_property
    def _tokens(self) -> TokenCache:
        return TokenCache.load(self.tokens_path)

    def _save_tokens(self) -> None:
        """Tokenise the bank's lexical texts once, at build time, for the processes that search it later
        (texts unchanged since the last build come from the old cache)."""
        self._tokens.forget_usage()
        self._matcher, self._references  # noqa: B018 — building both indexes touches every text they use
        with contextlib.suppress(OSError):  # a read-only home only loses the speed-up
            self._tokens.save(self.tokens_path)

    @cached_property
    def _matcher(self) -> QuestionMatcher:
        bank = self.ensure_built()
        return QuestionMatcher(bank.items, ChromaDenseIndex(self.store, "questions"), self.embedder,
                               threshold=self.settings.match_threshold,
                               answers=OwnerIndex(ChromaDenseIndex(self.store, "chunks")), tokens=self._tokens)

    @cached_property
    def _references(self) -> ReferenceRetriever:
        bank = self.ensure_built()
        return ReferenceRetriever(chunks_of(bank.items, bank.notes), ChromaDenseIndex(self.store, "chunks"), self.embedder,
                                  tokens=self._tokens)

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> MatchResult:
        return self._matcher.search(query, k=k, mode=mode)

    def references(self, item: QuestionItem, k: int = 4) -> list[Chunk]:
        return self._references.for_item(item, k=k)


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def chunks_of(items: Sequence[QuestionItem], notes: Sequence[Any]) -> list[Chunk]:
    out: list[Chunk] = []
    for i in items:
        out.extend(chunk_item(i))
    for n in notes:
        out.extend(chunk_note(n))
    return out
