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
from knowledge.glossary import expand
from knowledge.lexical import LexicalIndex, TokenCache, tokenize
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

    bias: float = -60.967
    w_dense: float = 66.376  # dense score of the top hit
    w_margin: float = 34.351  # score gap to the runner-up
    w_lexical: float = 2.014  # share of query tokens found in the top hit's question
    w_agree: float = 1.081  # dense and lexical rankings agree on the top hit

    def confidence(self, dense: float, margin: float, lexical: float, agree: float) -> float:
        z = self.bias + self.w_dense * dense + self.w_margin * margin + self.w_lexical * lexical + self.w_agree * agree
        return 1.0 / (1.0 + math.exp(-z))


DEFAULT_CALIBRATION = Calibration()


def match_features(query: str, ranked: list[tuple[str, float]], dense: dict[str, float], lexical: dict[str, float],
                   question_tokens: dict[str, set[str]]) -> tuple[float, float, float, float]:
    """(dense score of the top hit, score margin to the runner-up, share of query tokens in the top
    question, whether dense and lexical rank the same item first)."""
    top_id = ranked[0][0]
    top_dense = dense.get(top_id, min(dense.values(), default=0.0))
    margin = ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0.0)
    q_tokens = set(tokenize(query))
    overlap = len(q_tokens & question_tokens.get(top_id, set())) / max(len(q_tokens), 1)
    first_dense = max(dense, key=lambda i: dense[i]) if dense else None
    first_lex = max(lexical, key=lambda i: lexical[i]) if lexical else None
    agree = 1.0 if first_dense == first_lex == top_id else 0.0
    return top_dense, margin, overlap, agree


class OwnerIndex:
    """Wraps a chunk index: chunk hits ``<owner>#<n>`` become owner hits (best chunk wins)."""

    def __init__(self, chunks: DenseIndex) -> None:
        self.chunks = chunks

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        best: dict[str, float] = {}
        for cid, score in self.chunks.search(vector, k * 2):
            owner = cid.split("#", 1)[0]
            best[owner] = max(best.get(owner, -1.0), score)
        return sorted(best.items(), key=lambda kv: -kv[1])[:k]


W_QUESTION = 0.5
"""Dense score = W_QUESTION × cosine(query, question) + (1 − W_QUESTION) × cosine(query, question+answer chunk)."""
W_LEXICAL = 0.05
"""Hybrid score = dense + W_LEXICAL × BM25 / best BM25 of the query (tuned on the dev split)."""


class QuestionMatcher:
    """Free text -> bank items; ``mode`` selects dense, lexical or hybrid (the benchmark compares them).

    Dense side: the question vectors and the question+answer chunk vectors; lexical side: BM25 over
    jieba tokens of the question, tags and key points. Query and items are expanded with the domain
    glossary first (LN -> LayerNorm, 旋转位置编码 -> RoPE …).
    """

    def __init__(self, items: Sequence[QuestionItem], dense: DenseIndex, embedder: Embedder,
                 threshold: float = 0.5, calibration: Calibration = DEFAULT_CALIBRATION,
                 answers: DenseIndex | None = None, tokens: TokenCache | None = None) -> None:
        self.items = {i.id: i for i in items}
        self.dense = dense
        self.answers = answers
        self.embedder = embedder
        self.threshold = threshold
        self.calibration = calibration
        cache = tokens or TokenCache()
        self.lexical = LexicalIndex([i.id for i in items], [_lexical_text(i) for i in items], cache)
        self._tokens = {i.id: set(cache.tokens(expand(i.question))) for i in items}

    def _dense_scores(self, vector: np.ndarray) -> dict[str, float]:
        by_q = dict(self.dense.search(vector, CANDIDATES))
        if self.answers is None:
            return by_q
        by_a = {i: s for i, s in self.answers.search(vector, CANDIDATES) if i in self.items}
        floor_q = min(by_q.values(), default=0.0)
        floor_a = min(by_a.values(), default=0.0)
        return {i: W_QUESTION * by_q.get(i, floor_q) + (1 - W_QUESTION) * by_a.get(i, floor_a)
                for i in set(by_q) | set(by_a)}

    def rank(self, query: str, mode: str = "hybrid") -> tuple[list[tuple[str, float]], tuple[float, float, float, float]]:
        """Ranked (id, score) and the features of the top hit that calibrate the confidence."""
        query = expand(query.strip()[:2000])
        vector = self.embedder.queries([query])[0]
        dense = self._dense_scores(vector) if mode != "lexical" else {}
        lexical = dict(self.lexical.search(query, CANDIDATES * 2)) if mode != "dense" else {}
        if mode == "lexical":
            scores = lexical
        elif mode == "dense":
            scores = dense
        else:
            top_lex = max(lexical.values(), default=1.0) or 1.0
            scores = {i: s + W_LEXICAL * lexical.get(i, 0.0) / top_lex for i, s in dense.items()}
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if not ranked:
            return [], (0.0, 0.0, 0.0, 0.0)
        return ranked, match_features(query, ranked, dense, lexical, self._tokens)

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> MatchResult:
        query = query.strip()
        if not query or not self.items:
            return MatchResult(query=query, confidence=0.0, matched=False, hits=())
        ranked, feats = self.rank(query, mode)
        if not ranked:
            return MatchResult(query=query, confidence=0.0, matched=False, hits=())
        conf = self.calibration.confidence(*feats)
        hits = tuple(
            Hit(id=i, question=self.items[i].question, score=round(s, 4), source=self.items[i].source.ref)
            for i, s in ranked[:k]
            if i in self.items
        )
        return MatchResult(query=query, confidence=round(conf, 4), matched=conf >= self.threshold, hits=hits)


def _lexical_text(item: QuestionItem) -> str:
    """The question twice (it matters most), its tags and key points, with glossary synonyms."""
    return expand(" ".join([item.question, item.question, " ".join(item.tags), " ".join(k.text for k in item.key_points)]))


class ReferenceRetriever:
    """Chunks that support grading an item: its related items' chunks first, then the nearest others."""

    def __init__(self, chunks: Sequence[Chunk], dense: DenseIndex, embedder: Embedder,
                 tokens: TokenCache | None = None) -> None:
        self.chunks = {c.id: c for c in chunks}
        self.dense = dense
        self.embedder = embedder
        self.lexical = LexicalIndex([c.id for c in chunks], [c.text for c in chunks], tokens)

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
