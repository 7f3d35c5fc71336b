"""The calibrated grader is data: the shipped model is exactly what `mianshi eval train-grader` makes from
the shipped material and the gold dev split, and fitting is deterministic."""

from __future__ import annotations

import json

import numpy as np
import pytest

from agent.examiner import Examiner
from agent.grading.calibrated import GraderModel, ModelSet, TrainingRow, fit, isotonic, model_path
from agent.grading.features import FEATURES
from tests.conftest import ROOT


def rows(n: int = 60, seed: int = 3) -> list[TrainingRow]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        cov = float(rng.uniform())
        values = dict.fromkeys(FEATURES, 0.0) | {"bias": 1.0, "coverage": cov, "knn": 10 * cov, "mis_strength": 0.0}
        wrong = k % 7 == 0
        if wrong:
            values["mis_strength"] = 0.8
        out.append(TrainingRow(key=f"gold:g{k}", values=values, label=1.0 if wrong else round(9 * cov, 1),
                               misconception_expected=wrong, group=f"q{k % 12}"))
    return out


def test_fit_is_deterministic_and_the_hash_follows_the_data() -> None:
    a, b = fit(rows()), fit(list(reversed(rows())))
    assert a.to_json() == b.to_json()
    changed = rows()
    changed[5] = TrainingRow(key=changed[5].key, values=changed[5].values, label=changed[5].label + 1, group="q5")
    assert fit(changed).training_hash != a.training_hash
    assert GraderModel.from_json(a.to_json()).to_json() == a.to_json()


def test_isotonic_is_monotone_and_clipped() -> None:
    x = np.array([0.0, 1, 2, 3, 4, 5])
    y = np.array([1.0, 0.5, 3, 2.5, 12, 9])
    pts = isotonic(x, y, np.ones(6))
    ys = [p[1] for p in pts]
    assert ys == sorted(ys) and max(ys) <= 10 and min(ys) >= 0


def test_shipped_model_loads_and_matches_the_features() -> None:
    models = ModelSet.from_json(model_path().read_text(encoding="utf-8"))
    assert models.authored.features == FEATURES and models.authored.training_rows > 1000


@pytest.mark.slow
def test_shipped_model_is_reproduced_bit_for_bit_by_its_command(kb) -> None:  # type: ignore[no-untyped-def]
    from eval.train_grader import train

    report = train(Examiner(kb), ROOT / "eval" / "datasets" / "gold.jsonl")
    assert report.models.to_json() == model_path().read_text(encoding="utf-8")
    # training reads the dev split only: every gold row it used is a dev row that can be graded
    from agent.grading.signals import is_empty, strip_injection

    gold = [json.loads(line) for line in (ROOT / "eval" / "datasets" / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    usable = [r for r in gold if r["split"] == "dev" and r["question_ref"] and r["kind"] not in ("empty", "offbank")
              and not is_empty(strip_injection(r["answer"])[0])]
    assert report.gold_rows == len(usable)
