"""Train the calibrated grader (agent/grading/calibrated.py) reproducibly.

Training data, and nothing else: the authored exemplars of every bank item (each scored with itself
left out of the neighbours), each such item's own reference said back word for word (label
``REFERENCE_LABEL``: RUBRIC step 3 — the document's answer covers its points, c = 1 → 8.0; weighted as an
exemplar) and the **dev** split of the gold set. The test split is never read here.
Two models are fitted on the same rows: one with the items' authored material, one with the material
stripped to what a document's reference gives (for user documents without material). The ridge
strength is chosen by cross-validation over questions. Same inputs → the same file, bit for bit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.examiner import Examiner
from agent.grading.calibrated import ModelSet, TrainingRow, fit
from agent.grading.context import reference_of
from agent.grading.model import GradingContext
from agent.grading.rubric import RubricParams
from agent.grading.signals import is_empty, strip_injection
from eval.labelled import LabelledRow, load_labelled
from knowledge.schema import QuestionItem

RIDGES = (1.0, 3.0, 10.0)
EXEMPLAR_WEIGHTS = (0.03, 0.1, 0.3)
"""Exemplar rows count less than gold dev rows: an exemplar's neighbours are the other exemplars of its own
item, written to differ from it, so its neighbour features are less like a real answer's. How much less
(and the ridge strength) is chosen by cross-validation over questions on the gold dev rows."""
REFERENCE_LABEL = RubricParams().restated_floor
"""The grade of the document's own reference restated (RUBRIC step 3: 8.0). Not for items whose material marks
passages of the reference wrong (``reference_errors``)."""
WRONG_KINDS = {"fluent_wrong", "wrong", "fluent_wrong_refwords", "english_wrong"}
RIGHT_KINDS = {"excellent", "own_words", "good", "reference_recited"}


@dataclass(frozen=True)
class TrainingReport:
    models: ModelSet
    exemplar_rows: int
    gold_rows: int
    ridge: float
    exemplar_weight: float
    cv_mae: float


def derived_context(ctx: GradingContext) -> GradingContext:
    """The context an item would have with no authored material: plain points, nothing else."""
    points = tuple(p.model_copy(update={"aliases": (), "weight": 1.0, "probe": ""}) for p in ctx.points)
    return ctx.model_copy(update={"points": points, "misconceptions": (), "slots": (), "exemplars": (),
                                  "material": "derived"})


def _expected(kind: str) -> bool | None:
    return True if kind in WRONG_KINDS else False if kind in RIGHT_KINDS else None


def collect_rows(examiner: Examiner, gold: Sequence[LabelledRow],
                 progress: Callable[[int, int], None] = lambda d, t: None) -> dict[str, list[tuple[TrainingRow, float]]]:
    """(row, sample weight) per mode, from the exemplars and the given gold rows."""
    grader = examiner.rubric
    items = [i for i in examiner.kb.ensure_built().items if i.exemplars]
    by_ref = {i.source.ref: i for i in examiner.kb.ensure_built().items}
    out: dict[str, list[tuple[TrainingRow, float]]] = {"authored": [], "derived": []}
    jobs: list[tuple[QuestionItem, str, float, str | None, str, str, float, bool]] = []
    for it in items:
        for n, e in enumerate(it.exemplars):
            jobs.append((it, e.answer, e.score, e.kind, f"exemplar:{it.source.ref}:{n}", e.answer, 1.0, True))
        reference = reference_of(it)
        if reference and not it.reference_errors:
            jobs.append((it, reference, REFERENCE_LABEL, "reference_recited", f"exemplar:{it.source.ref}:reference", "",
                         1.0, True))
    for r in gold:
        target = by_ref.get(r.question_ref or "")
        if target is None or r.kind in ("empty", "offbank"):
            continue
        answer, _ = strip_injection(r.answer)
        if is_empty(answer):
            continue
        jobs.append((target, answer, r.label, r.kind, f"gold:{r.id}", "", 1.0, False))
    for k, (it, answer, label, kind, key, exclude, weight, _is_ex) in enumerate(jobs, start=1):
        ctx = examiner.context(it)
        for mode, c in (("authored", ctx), ("derived", derived_context(ctx))):
            f = grader.features(it, answer, c, exclude_exemplar=exclude or None)
            out[mode].append((TrainingRow(key=key, values=f.values, label=label, misconception_expected=_expected(kind or ""),
                                          group=it.source.ref), weight))
        progress(k, len(jobs))
    return out


def _cv_mae(rows: list[TrainingRow], weights: np.ndarray, ridge: float, folds: int = 5) -> float:
    groups = sorted({r.group for r in rows})
    fold_of = {g: int(hashlib.sha1(g.encode()).hexdigest(), 16) % folds for g in groups}
    errs: list[float] = []
    for k in range(folds):
        train = [i for i, r in enumerate(rows) if fold_of[r.group] != k]
        test = [i for i, r in enumerate(rows) if fold_of[r.group] == k and r.key.startswith("gold:")]
        if not train or not test:
            continue
        m = fit([rows[i] for i in train], ridge=ridge, weights=weights[train])
        errs.extend(abs(min(max(m.predict(rows[i].values), 0), 10) - rows[i].label) for i in test)
    return float(np.mean(errs)) if errs else float("inf")


def train(examiner: Examiner, gold_path: Path,
          progress: Callable[[int, int], None] = lambda d, t: None) -> TrainingReport:
    dev, _problems = load_labelled(gold_path, split="dev")
    return fit_models(collect_rows(examiner, dev, progress))


def fit_models(rows: dict[str, list[tuple[TrainingRow, float]]]) -> TrainingReport:
    """The ridge strength and exemplar weight with the lowest CV error over questions, then both models
    fitted with them (also used by benchmarks/grader_dev_cv.py, on the training folds only)."""
    prepared = {mode: sorted((p[0] for p in rows[mode]), key=lambda x: x.key) for mode in ("authored", "derived")}
    best = (RIDGES[0], EXEMPLAR_WEIGHTS[0], float("inf"))
    for ew in EXEMPLAR_WEIGHTS:
        w = _weights(prepared["authored"], ew)
        for lam in RIDGES:
            mae = _cv_mae(prepared["authored"], w, lam)
            if mae < best[2] - 1e-9:
                best = (lam, ew, mae)
    lam, ew, mae = best
    models = {mode: fit(r, ridge=lam, weights=_weights(r, ew)) for mode, r in prepared.items()}
    n_ex = sum(1 for r in prepared["authored"] if r.key.startswith("exemplar:"))
    return TrainingReport(models=ModelSet(**models), exemplar_rows=n_ex, gold_rows=len(prepared["authored"]) - n_ex,
                          ridge=lam, exemplar_weight=ew, cv_mae=mae)


def _weights(rows: Sequence[TrainingRow], exemplar_weight: float) -> np.ndarray:
    return np.array([exemplar_weight if r.key.startswith("exemplar:") else 1.0 for r in rows])
