"""Chroma: PersistentClient under MIANSHI_HOME by default, HttpClient when a server URL is set.

Two collections per embedder: one vector per question (question matching) and the chunks
(reference retrieval). ``sync`` is incremental: it embeds only what is new or changed
(by content hash in the metadata) and deletes what is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from knowledge.embeddings import ChromaEmbedding, Embedder

BATCH = 32
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Record:
    id: str
    text: str
    metadata: dict[str, str | int]
    content_hash: str


@dataclass(frozen=True)
class SyncResult:
    embedded: int
    deleted: int
    unchanged: int


def open_client(home: Path, chroma_url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if chroma_url:
        u = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        return chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000,
                                   ssl=u.scheme == "https", settings=settings)
    path = home / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class ChromaStore:
    def __init__(self, client: Any, embedder: Embedder) -> None:
        self.client = client
        self.embedder = embedder
        self._ef = ChromaEmbedding(embedder)
        self._collections: dict[str, Any] = {}

    def collection(self, kind: str) -> Any:
        if kind not in self._collections:
            name = f"mianshi_{kind}_{self.embedder.name}"
            self._collections[kind] = self.client.get_or_create_collection(
                name, embedding_function=self._ef, metadata={"hnsw:space": "cosine"}
            )
        return self._collections[kind]

    def reset(self) -> None:
        """Drop both collections (``kb build --rebuild``); the next sync re-embeds everything."""
        for kind in ("questions", "chunks"):
            self.client.delete_collection(self.collection(kind).name)
        self._collections.clear()

    def sync(self, kind: str, records: Sequence[Record], as_query: bool = False,
             progress: Progress | None = None) -> SyncResult:
        col = self.collection(kind)
        existing = col.get(include=["metadatas"])
        have = {i: (m or {}).get("content_hash") for i, m in zip(existing["ids"], existing["metadatas"] or [], strict=False)}
        wanted = {r.id: r for r in records}
        stale = [i for i in have if i not in wanted]
        todo = [r for r in records if have.get(r.id) != r.content_hash]
        if stale:
            for k in range(0, len(stale), 5000):
                col.delete(ids=stale[k:k + 5000])
        done = 0
        if progress:
            progress(0, len(todo))
        for k in range(0, len(todo), BATCH):
            batch = todo[k:k + BATCH]
            texts = [r.text for r in batch]
            vecs = self.embedder.queries(texts) if as_query else self.embedder.passages(texts)
            col.upsert(
                ids=[r.id for r in batch],
                documents=texts,
                embeddings=vecs,
                metadatas=[{**r.metadata, "content_hash": r.content_hash} for r in batch],
            )
            done += len(batch)
            if progress:
                progress(done, len(todo))
        return SyncResult(embedded=len(todo), deleted=len(stale), unchanged=len(records) - len(todo))

    def vectors(self, kind: str, ids: Sequence[str]) -> np.ndarray:
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        got = self.collection(kind).get(ids=list(ids), include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=False))
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def query(self, kind: str, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float, dict[str, Any], str]]:
        col = self.collection(kind)
        n = min(k, col.count())
        if n == 0:
            return []
        res = col.query(query_embeddings=[vector.tolist()], n_results=n, where=where,
                        include=["distances", "metadatas", "documents"])
        return [
            (i, 1.0 - float(d), m or {}, doc or "")
            for i, d, m, doc in zip(res["ids"][0], res["distances"][0], res["metadatas"][0], res["documents"][0], strict=False)
        ]

    def count(self, kind: str) -> int:
        return int(self.collection(kind).count())
