"""Hybrid retrieval: dense (e5 vectors in Chroma or in memory) + lexical (jieba/BM25), fused by RRF.

(a) Question matching: free text -> best item, a calibrated confidence and an explicit "no match"
    below a threshold.
(b) Reference retrieval: the chunks, from any document, that support grading an item.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from knowledge.chunking import Chunk
from knowledge.embeddings import Embedder
from knowledge.lexical import LexicalIndex, tokenize
from knowledge.schema import QuestionItem

RRF_K = 60
CANDIDATES = 20


class DenseIndex(Protocol):
    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]: ...


class InMemoryDenseIndex:
    """Exact cosine search over a matrix; used in pure tests and as the reference for Chroma."""

    def __init__(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        self.ids = list(ids)
        self.vectors = np.asarray(vectors, dtype=np.float32)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        sims = self.vectors @ vector
        order = np.argsort(-sims)[:k]
        return [(self.ids[i], float(sims[i])) for i in order]


class ChromaDenseIndex:
    def __init__(self, store: Any, kind: str) -> None:
        self.store = store
        self.kind = kind

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        return [(i, s) for i, s, _m, _d in self.store.query(self.kind, vector, k)]


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K, weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    scores: dict[str, float] = {}
    for r, ranking in enumerate(rankings):
        w = weights[r] if weights else 1.0
        for pos, doc_id in enumerate(ranking):
            scores[doc_id] = scores.get(doc_id, 0.0) + w / (k + pos + 1)
    return sorted(scores.items(), key=lambda kv: -kv[1])


class Hit(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    question: str
    score: float
    source: str


class MatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    query: str
    confidence: float
    matched: bool
    hits: tuple[Hit, ...]

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.matched and self.hits else None


@dataclass(frozen=True)
class Calibration:
    """Logistic model P(top hit is right) over features of the top hit; fitted by
    benchmarks/retrieval_quality.py on the dev split (see docs/BENCHMARKS.md)."""

    bias: float = -22.0
    w_dense: float = 22.0  # cosine of the top hit
    w_margin: float = 20.0  # cosine gap to the next hit of another question
    w_lexical: float = 1.5  # share of query tokens found in the top hit's question
    w_agree: float = 1.0  # dense and lexical rankings agree on the top hit

    def confidence(self, dense: float, margin: float, lexical: float, agree: float) -> float:
        z = self.bias + self.w_dense * dense + self.w_margin * margin + self.w_lexical * lexical + self.w_agree * agree
        return 1.0 / (1.0 + math.exp(-z))


DEFAULT_CALIBRATION = Calibration()


def match_features(query: str, top_id: str, dense: list[tuple[str, float]], lexical: list[tuple[str, float]],
                   question_tokens: dict[str, set[str]]) -> tuple[float, float, float, float]:
    dense_map = dict(dense)
    top_cos = dense_map.get(top_id, dense[-1][1] if dense else 0.0)
    others = [s for i, s in dense if i != top_id]
    margin = top_cos - (others[0] if others else 0.0)
    q_tokens = set(tokenize(query))
    overlap = len(q_tokens & question_tokens.get(top_id, set())) / max(len(q_tokens), 1)
    agree = 1.0 if dense and lexical and dense[0][0] == lexical[0][0] == top_id else 0.0
    return top_cos, margin, overlap, agree


class QuestionMatcher:
    """Free text -> bank items, hybrid; ``mode`` selects dense, lexical or hybrid (for the benchmark)."""

    def __init__(self, items: Sequence[QuestionItem], dense: DenseIndex, embedder: Embedder,
                 threshold: float = 0.5, calibration: Calibration = DEFAULT_CALIBRATION) -> None:
        self.items = {i.id: i for i in items}
        self.dense = dense
        self.embedder = embedder
        self.threshold = threshold
        self.calibration = calibration
        self.lexical = LexicalIndex([i.id for i in items], [_lexical_text(i) for i in items])
        self._tokens = {i.id: set(tokenize(i.question)) for i in items}

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> MatchResult:
        query = query.strip()
        if not query or not self.items:
            return MatchResult(query=query, confidence=0.0, matched=False, hits=())
        vector = self.embedder.queries([query[:2000]])[0]
        dense = self.dense.search(vector, CANDIDATES) if mode != "lexical" else []
        lexical = self.lexical.search(query[:2000], CANDIDATES) if mode != "dense" else []
        if mode == "dense":
            ranked = [(i, s) for i, s in dense]
        elif mode == "lexical":
            ranked = lexical
        else:
            ranked = rrf([[i for i, _ in dense], [i for i, _ in lexical]], weights=[1.0, 0.6])
        if not ranked:
            return MatchResult(query=query, confidence=0.0, matched=False, hits=())
        top_id = ranked[0][0]
        if mode == "lexical" or top_id not in dict(dense):
            dense = [(top_id, float(vector @ self._vector_of(top_id)))] + dense if mode == "lexical" else dense
        feats = match_features(query, top_id, dense, lexical, self._tokens)
        conf = self.calibration.confidence(*feats)
        dense_map = dict(dense)
        hits = tuple(
            Hit(id=i, question=self.items[i].question, score=round(dense_map.get(i, s), 4), source=self.items[i].source.ref)
            for i, s in ranked[:k]
            if i in self.items
        )
        return MatchResult(query=query, confidence=round(conf, 4), matched=conf >= self.threshold, hits=hits)

    def _vector_of(self, item_id: str) -> np.ndarray:
        return self.embedder.queries([self.items[item_id].question])[0]


def _lexical_text(item: QuestionItem) -> str:
    return " ".join([item.question, " ".join(item.tags)])


class ReferenceRetriever:
    """Chunks that support grading an item: its related items' chunks first, then the nearest others."""

    def __init__(self, chunks: Sequence[Chunk], dense: DenseIndex, embedder: Embedder) -> None:
        self.chunks = {c.id: c for c in chunks}
        self.dense = dense
        self.embedder = embedder
        self.lexical = LexicalIndex([c.id for c in chunks], [c.text for c in chunks])

    def for_item(self, item: QuestionItem, k: int = 4) -> list[Chunk]:
        own = {item.id}
        related = set(item.related)
        query = item.question
        return self.search(query, k=k, exclude=own, prefer=related)

    def search(self, query: str, k: int = 4, exclude: set[str] | None = None, prefer: set[str] | None = None) -> list[Chunk]:
        exclude = exclude or set()
        prefer = prefer or set()
        vector = self.embedder.queries([query[:2000]])[0]
        dense = [i for i, _ in self.dense.search(vector, CANDIDATES * 2)]
        lexical = [i for i, _ in self.lexical.search(query[:2000], CANDIDATES * 2)]
        ranked = [i for i, _ in rrf([dense, lexical], weights=[1.0, 0.6])]
        preferred = [c for c in self.chunks.values() if c.owner_id in prefer]
        out: list[Chunk] = sorted(preferred, key=lambda c: ranked.index(c.id) if c.id in ranked else 10**6)
        for cid in ranked:
            c = self.chunks.get(cid)
            if c and c.owner_id not in exclude and c.owner_id not in prefer:
                out.append(c)
        return out[: max(k, len(preferred))]
