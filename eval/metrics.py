"""Agreement between a grader and human labels: Spearman, quadratic weighted kappa, MAE, ±1 accuracy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict


class Agreement(BaseModel):
    model_config = ConfigDict(frozen=True)

    n: int
    spearman: float
    qwk: float
    mae: float
    within_one: float
    per_kind: dict[str, tuple[int, float, float]]
    """kind -> (count, mean label, mean predicted)"""


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=float)
    ranks[order] = np.arange(len(x), dtype=float)
    for v in np.unique(x):  # average ranks for ties
        idx = x == v
        ranks[idx] = ranks[idx].mean()
    return ranks


def spearman(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    ra, rb = _ranks(np.asarray(a, float)), _ranks(np.asarray(b, float))
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def quadratic_weighted_kappa(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, lo: int = 0, hi: int = 10) -> float:
    x = np.clip(np.rint(np.asarray(a, float)), lo, hi).astype(int) - lo
    y = np.clip(np.rint(np.asarray(b, float)), lo, hi).astype(int) - lo
    k = hi - lo + 1
    observed = np.zeros((k, k))
    for i, j in zip(x, y, strict=True):
        observed[i, j] += 1
    expected = np.outer(observed.sum(1), observed.sum(0)) / max(len(x), 1)
    weights = np.array([[(i - j) ** 2 for j in range(k)] for i in range(k)]) / (k - 1) ** 2
    denom = (weights * expected).sum()
    return float(1 - (weights * observed).sum() / denom) if denom else 1.0


def agreement(labels: Sequence[float], predicted: Sequence[float], kinds: Sequence[str] | None = None) -> Agreement:
    lab, pred = np.asarray(labels, float), np.asarray(predicted, float)
    per_kind: dict[str, tuple[int, float, float]] = {}
    for kind in sorted(set(kinds or [])):
        idx = np.array([k == kind for k in kinds or []])
        per_kind[kind] = (int(idx.sum()), round(float(lab[idx].mean()), 2), round(float(pred[idx].mean()), 2))
    return Agreement(n=len(lab), spearman=round(spearman(lab, pred), 3), qwk=round(quadratic_weighted_kappa(lab, pred), 3),
                     mae=round(float(np.abs(lab - pred).mean()), 3),
                     within_one=round(float((np.abs(lab - pred) <= 1.0).mean()), 3), per_kind=per_kind)
