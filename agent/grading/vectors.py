"""Precomputed e5 vectors of the shipped grading material (exemplars, key points, misconceptions).

Only answers that are mostly not Chinese are compared by embedding, but those comparisons need the
vectors of every exemplar of the item — ~0.6 s of e5 on 2 cores the first time an item is graded.
``mianshi eval train-grader`` writes them once to ``agent/grading/data/material_vectors.npz``; the
grader loads them into the embedder's cache at start (e5 only; another embedder computes its own).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from knowledge.embeddings import E5Embedder, Embedder
from knowledge.schema import QuestionItem

EXEMPLAR_CHARS = 600
"""Exemplars and answers are embedded on their first EXEMPLAR_CHARS characters."""


def material_texts(items: Sequence[QuestionItem]) -> list[str]:
    texts: dict[str, None] = {}
    for i in items:
        for k in i.key_points:
            texts[k.text] = None
        for m in i.misconceptions:
            texts[m.text] = None
        for e in i.exemplars:
            texts[e.answer[:EXEMPLAR_CHARS]] = None
    return list(texts)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def vectors_path() -> Path:
    return Path(str(resources.files("agent.grading").joinpath("data/material_vectors.npz")))


def save_vectors(path: Path, items: Sequence[QuestionItem], embedder: Embedder, batch: int = 32) -> int:
    texts = sorted(material_texts([i for i in items if i.material == "authored"]))
    vecs = [embedder.passages(texts[k:k + batch]) for k in range(0, len(texts), batch)]
    matrix = np.concatenate(vecs) if vecs else np.zeros((0, 384), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(fh, keys=np.array([_key(t) for t in texts]), vectors=matrix.astype(np.float32),
                            embedder=np.array(embedder.name))
    return len(texts)


def preload_vectors(items: Sequence[QuestionItem], embedder: Embedder | None, path: Path | None = None) -> int:
    """Load the shipped vectors of these items' material into an e5 embedder's cache; returns how many."""
    if not isinstance(embedder, E5Embedder):
        return 0
    p = path or vectors_path()
    try:
        data = np.load(p)
    except (OSError, ValueError):
        return 0
    if str(data["embedder"]) != embedder.name:
        return 0
    index = {k: n for n, k in enumerate(data["keys"].tolist())}
    texts = [t for t in material_texts(items) if _key(t) in index]
    if not texts:
        return 0
    return embedder.preload(texts, data["vectors"][[index[_key(t)] for t in texts]].astype(np.float32))
