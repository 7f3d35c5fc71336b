"""Nearest graded exemplars: char-bigram TF-IDF cosines (also with the reference's and the question's words
removed: what an answer says beyond the words it was given), the similarity-weighted score of the nearest
ones shrunk toward the item's prior, and the margin between the nearest wrong and the nearest right one."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from knowledge.schema import Exemplar
from knowledge.text import normalize


@lru_cache(maxsize=50000)
def _bigram_vector(text: str) -> tuple[dict[str, float], float]:
    norm = normalize(text)
    grams = Counter(norm[i:i + 2] for i in range(len(norm) - 1))
    grams.update(w for w in re.findall(r"[a-z]{3,}", norm))
    vec = {g: 1.0 + math.log(c) for g, c in grams.items()}
    return vec, math.sqrt(sum(v * v for v in vec.values())) or 1.0


@lru_cache(maxsize=50000)
def _beyond_vector(text: str, reference: str) -> tuple[dict[str, float], float]:
    """The text's bigram vector without the bigrams of ``reference`` (the document's reference and the
    question): what it says beyond the words it was given."""
    vec, _ = _bigram_vector(text)
    ref, _ = _bigram_vector(reference)
    kept = {g: w for g, w in vec.items() if g not in ref}
    return kept, math.sqrt(sum(w * w for w in kept.values())) or 1.0


def _sparse_cosine(a: tuple[dict[str, float], float], b: tuple[dict[str, float], float]) -> float:
    (va, na), (vb, nb) = a, b
    if len(va) > len(vb):
        va, vb = vb, va
    return sum(v * vb.get(g, 0.0) for g, v in va.items()) / (na * nb)


def beyond_cosine(a: str, b: str, reference: str) -> float:
    return _sparse_cosine(_beyond_vector(a, reference), _beyond_vector(b, reference))


def bigram_cosine(a: str, b: str) -> float:
    return _sparse_cosine(_bigram_vector(a), _bigram_vector(b))


KNN_TAU = 0.2
"""Similarity of the pseudo-neighbour that carries the item's prior score (see ``knn``): char-bigram cosines of
answers to the same question run ~0.3–0.6, of an answer to another question ~0.05–0.15."""


def knn(sims: list[float], scores: list[float], k: int = 2, prior: float | None = None,
        tau: float = KNN_TAU) -> tuple[float, float]:
    """Similarity-weighted mean score of the k nearest exemplars (weights sim⁴), shrunk toward ``prior``
    (default: the mean exemplar score) by a pseudo-neighbour at similarity ``tau``: when every exemplar is
    far (an answer to another question, sims ~0.06), the neighbours say nothing and the feature reads
    the prior instead of the score of whichever exemplar happens to be least far. Also the top similarity."""
    if not sims:
        return 0.0, 0.0
    order = sorted(range(len(sims)), key=lambda i: -sims[i])[:k]
    w = [max(sims[i], 1e-6) ** 4 for i in order]
    base = math.fsum(scores) / len(scores) if prior is None else prior
    w0 = tau ** 4 if tau > 0 else 0.0
    total = math.fsum(wi * scores[i] for wi, i in zip(w, order, strict=True)) + w0 * base
    return total / (math.fsum(w) + w0), sims[order[0]]


BEYOND_KNN_TAU = 0.12
"""The pseudo-neighbour of ``beyond_knn``: with the reference's bigrams removed, cosines run lower (on-topic
median ~0.28, another question's answer ~0.08)."""

_RIGHT_KINDS = ("excellent", "own_words")
_WRONG_KINDS = ("fluent_wrong", "wrong")


def wrong_margin(sims: list[float], exemplars: list[Exemplar]) -> float:
    """Similarity to the nearest wrong exemplar minus similarity to the nearest right one."""
    right = max((s for s, e in zip(sims, exemplars, strict=True) if e.kind in _RIGHT_KINDS), default=0.0)
    wrong = max((s for s, e in zip(sims, exemplars, strict=True) if e.kind in _WRONG_KINDS), default=0.0)
    return wrong - right
