"""The small calibrated model that turns grading features into a score, and its confidence.

A ridge regression over ``features.FEATURES`` (closed form, deterministic), a second ridge on the
out-of-fold absolute errors for the confidence, and the misconception threshold chosen on the
training data. Trained by ``mianshi eval train-grader`` (``make train-grader``) on the authored
exemplars and the gold dev split only; shipped as ``agent/grading/data/grader_model.json`` with the
hash of its training data. Same data → the same file, bit for bit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from agent.grading.features import FEATURES

CONFIDENCE_FEATURES: tuple[str, ...] = ("bias", "knn_sim", "no_material", "non_chinese", "mis_strength", "short",
                                        "coverage_soft", "knn_gap")
"""What the confidence model sees (``knn_gap`` = |knn − linear prediction| / 10)."""


def confidence_vector(values: dict[str, float], prediction: float) -> list[float]:
    v = dict(values, knn_gap=abs(values.get("knn", prediction) - prediction) / 10)
    return [v.get(n, 0.0) for n in CONFIDENCE_FEATURES]


@dataclass(frozen=True)
class GraderModel:
    features: tuple[str, ...]
    weights: tuple[float, ...]
    confidence_weights: tuple[float, ...]
    misconception_at: float
    """Misconception strength from which a misconception is flagged `misconception`, quoted and corrected
    (precision first: F0.5 over exemplars and gold dev rows)."""
    uncertain_error: float
    """Predicted absolute error from which an answer is flagged `uncertain`."""
    training_hash: str
    training_rows: int
    ridge: float
    misconception_cap_at: float = 1.01
    """Strength from which a flagged misconception also caps the score (3.5 core / 6.0 elsewhere): the
    threshold with the lowest out-of-fold error on the gold dev rows (above 1: never — the model's own
    weights on the misconception features lower the score instead)."""
    calibration: tuple[tuple[float, float], ...] = ()
    """Monotone map from the linear score to the label (isotonic regression on out-of-fold predictions):
    ridge shrinks towards the mean; this undoes it where the data says so."""
    version: str = "calibrated-1"

    def linear(self, values: dict[str, float]) -> float:
        x = np.array([values.get(n, 0.0) for n in self.features])
        return float(x @ np.array(self.weights))

    def predict(self, values: dict[str, float]) -> float:
        raw = self.linear(values)
        if not self.calibration:
            return raw
        xs, ys = zip(*self.calibration, strict=True)
        return float(np.interp(raw, xs, ys))

    def expected_error(self, values: dict[str, float], prediction: float) -> float:
        x = np.array(confidence_vector(values, prediction))
        return max(float(x @ np.array(self.confidence_weights)), 0.0)

    def to_json(self) -> str:
        data = {"version": self.version, "features": list(self.features), "weights": [round(w, 10) for w in self.weights],
                "confidence_features": list(CONFIDENCE_FEATURES),
                "confidence_weights": [round(w, 10) for w in self.confidence_weights],
                "misconception_at": round(self.misconception_at, 10),
                "misconception_cap_at": round(self.misconception_cap_at, 10), "uncertain_error": round(self.uncertain_error, 10),
                "training_hash": self.training_hash, "training_rows": self.training_rows, "ridge": self.ridge,
                "calibration": [[round(a, 10), round(b, 10)] for a, b in self.calibration]}
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> GraderModel:
        d = json.loads(text)
        if list(d["features"]) != list(FEATURES) or list(d["confidence_features"]) != list(CONFIDENCE_FEATURES):
            raise ValueError("grader model was trained on other features; run `make train-grader`")
        return cls(features=tuple(d["features"]), weights=tuple(d["weights"]),
                   confidence_weights=tuple(d["confidence_weights"]), misconception_at=d["misconception_at"],
                   misconception_cap_at=d.get("misconception_cap_at", 1.01),
                   uncertain_error=d["uncertain_error"], training_hash=d["training_hash"],
                   training_rows=d["training_rows"], ridge=d["ridge"], version=d["version"],
                   calibration=tuple((float(a), float(b)) for a, b in d.get("calibration", [])))


MODEL_FILE = "data/grader_model.json"
MODES = ("authored", "derived")
"""One model for items with authored material, one for items whose points come from the reference only."""


@dataclass(frozen=True)
class ModelSet:
    authored: GraderModel
    derived: GraderModel

    def for_material(self, material: str) -> GraderModel:
        return self.derived if material == "derived" else self.authored

    def to_json(self) -> str:
        return json.dumps({m: json.loads(getattr(self, m).to_json()) for m in MODES}, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ModelSet:
        d = json.loads(text)
        return cls(**{m: GraderModel.from_json(json.dumps(d[m])) for m in MODES})


def model_path() -> Path:
    return Path(str(resources.files("agent.grading").joinpath(MODEL_FILE)))


def load_models(path: Path | None = None) -> ModelSet | None:
    """The shipped models, or None when missing or stale (the grader then says so and uses a fixed curve)."""
    p = path or model_path()
    try:
        return ModelSet.from_json(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return None


# training ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingRow:
    key: str
    """What the row is (``exemplar:003:21:2`` or ``gold:g017``), for the hash."""
    values: dict[str, float]
    label: float
    misconception_expected: bool | None = None
    """True for wrong-mechanism exemplars, False for correct ones, None when not known."""
    group: str = ""
    """Rows of one question share a group (folds never split a question)."""


def training_hash(rows: Sequence[TrainingRow]) -> str:
    h = hashlib.sha256()
    for r in sorted(rows, key=lambda r: r.key):
        h.update(f"{r.key}\x00{r.label:.2f}\x00".encode())
        h.update(json.dumps({k: round(v, 8) for k, v in sorted(r.values.items())}).encode())
    return h.hexdigest()[:16]


def _ridge(x: np.ndarray, y: np.ndarray, lam: float, sample_weight: np.ndarray | None = None) -> np.ndarray:
    w = np.ones(len(y)) if sample_weight is None else sample_weight
    xw = x * w[:, None]
    reg = lam * np.eye(x.shape[1])
    reg[0, 0] = 0.0  # no penalty on the bias
    return np.linalg.solve(x.T @ xw + reg, xw.T @ y)


def _matrix(rows: Sequence[TrainingRow], names: Sequence[str]) -> np.ndarray:
    return np.array([[r.values.get(n, 0.0) for n in names] for r in rows], dtype=np.float64)


def fit(rows: Sequence[TrainingRow], ridge: float = 1.0, folds: int = 5,
        weights: np.ndarray | None = None) -> GraderModel:
    """Fit the score model, the misconception threshold and the confidence model."""
    rows = sorted(rows, key=lambda r: r.key)
    x = _matrix(rows, FEATURES)
    y = np.array([r.label for r in rows])
    w = _ridge(x, y, ridge, weights)
    # out-of-fold predictions (folds by question) for the confidence model
    groups = sorted({r.group or r.key for r in rows})
    fold_of = {g: int(hashlib.sha1(g.encode()).hexdigest(), 16) % folds for g in groups}
    oof = np.zeros(len(rows))
    for k in range(folds):
        test = np.array([fold_of[r.group or r.key] == k for r in rows])
        if test.all() or not test.any():
            continue
        wk = _ridge(x[~test], y[~test], ridge, None if weights is None else weights[~test])
        oof[test] = np.clip(x[test] @ wk, 0, 10)
    calibration = isotonic(oof, y, np.ones(len(y)) if weights is None else weights)
    oof = np.interp(oof, [a for a, _ in calibration], [b for _, b in calibration]) if calibration else oof
    cap_at = _threshold_by_error(rows, oof, y) if any(r.key.startswith("gold:") for r in rows) else 1.01
    err = np.abs(oof - y)
    cx = np.array([confidence_vector(r.values, p) for r, p in zip(rows, oof, strict=True)])
    cw = _ridge(cx, err, ridge)
    predicted_err = np.maximum(cx @ cw, 0)
    uncertain = float(np.quantile(predicted_err, 0.8))
    return GraderModel(features=FEATURES, weights=tuple(float(v) for v in w),
                       confidence_weights=tuple(float(v) for v in cw),
                       misconception_at=misconception_threshold(rows), misconception_cap_at=cap_at,
                       uncertain_error=uncertain,
                       training_hash=training_hash(rows), training_rows=len(rows), ridge=ridge, calibration=calibration)


def isotonic(x: np.ndarray, y: np.ndarray, w: np.ndarray, knots: int = 12) -> tuple[tuple[float, float], ...]:
    """Weighted isotonic regression of y on x (pool adjacent violators), as at most ``knots`` points
    (block centres) to interpolate between; clipped to 0–10."""
    order = np.lexsort((y, x))
    xs, ys, ws = x[order], y[order], w[order]
    blocks: list[list[float]] = []  # [weighted x sum, weighted y sum, weight]
    for xi, yi, wi in zip(xs, ys, ws, strict=True):
        blocks.append([xi * wi, yi * wi, wi])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            a, b = blocks.pop(), blocks.pop()
            blocks.append([a[0] + b[0], a[1] + b[1], a[2] + b[2]])
    points = [(bx / bw, min(max(by / bw, 0.0), 10.0)) for bx, by, bw in blocks]
    if len(points) > knots:  # keep evenly spaced blocks, always the two ends
        idx = sorted({round(k * (len(points) - 1) / (knots - 1)) for k in range(knots)})
        points = [points[i] for i in idx]
    return tuple((float(a), float(b)) for a, b in points)


CORE_CAP, SIDE_CAP = 3.5, 6.0
"""The caps a flagged misconception applies (RUBRIC.md step 5; agent/grading/rubric.py uses the same)."""


def _threshold_by_error(rows: Sequence[TrainingRow], oof: np.ndarray, y: np.ndarray) -> float:
    """The misconception strength from which capping the out-of-fold score (3.5 for a core point, 6.0
    otherwise) gives the lowest error on the gold dev rows — answers written apart from the material,
    unlike the exemplars, which were written to state their item's misconceptions. Ties → higher."""
    gold = [i for i, r in enumerate(rows) if r.key.startswith("gold:")]
    strength = np.array([rows[i].values.get("mis_strength", 0.0) for i in gold])
    core = np.array([rows[i].values.get("mis_core", 0.0) > 0 for i in gold])
    pred, lab = oof[gold], y[gold]
    best_t, best_err = 1.01, float(np.mean(np.abs(pred - lab)))
    for t in np.round(np.arange(0.10, 1.0, 0.025), 3):
        capped = np.where(strength >= t, np.minimum(pred, np.where(core, CORE_CAP, SIDE_CAP)), pred)
        err = float(np.mean(np.abs(capped - lab)))
        if err < best_err - 1e-12 or (abs(err - best_err) <= 1e-12 and t > best_t):
            best_t, best_err = float(t), err
    return best_t


def misconception_threshold(rows: Sequence[TrainingRow]) -> float:
    """The strength that best separates wrong-mechanism answers from correct ones: max F0.5 (precision
    counts more: naming a misconception the candidate did not state is worse than missing one) over the
    exemplars and the gold dev rows, each source weighted equally; ties → the higher threshold."""
    known = [(r.values.get("mis_strength", 0.0), bool(r.misconception_expected), r.key.split(":")[0]) for r in rows
             if r.misconception_expected is not None]
    if not known:
        return 0.5
    per_source = {src: sum(1 for *_x, s in known if s == src) for src in {k[2] for k in known}}
    w = {src: 1.0 / n for src, n in per_source.items()}
    best_t, best_f1 = 0.5, -1.0
    for t in sorted({round(s, 3) for s, _e, _src in known if s > 0}):
        tp = sum(w[src] for s, e, src in known if s >= t and e)
        fp = sum(w[src] for s, e, src in known if s >= t and not e)
        fn = sum(w[src] for s, e, src in known if s < t and e)
        f1 = 1.25 * tp / (1.25 * tp + 0.25 * fn + fp) if tp else 0.0  # F0.5
        if f1 >= best_f1 - 1e-12:
            best_t, best_f1 = t, f1
    return best_t
