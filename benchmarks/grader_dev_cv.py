"""How a grader change does on the gold **dev** split, without touching the test split: 5-fold
cross-validation by question with the real grader.

For each fold the calibrated models are refitted (eval/train_grader.py's ``fit_models``: ridge and
exemplar weight chosen by CV inside the training rows) on every exemplar plus the dev rows of the other
folds, then the held-out dev rows are graded by the full RubricGrader — caps, flags, off-topic, echo —
exactly as a user's answer would be. Prints Spearman / QWK / MAE, the mean per kind and how often
`misconception` is flagged on wrong and on right answers.

    python benchmarks/grader_dev_cv.py [--cache /tmp/devcv.pkl] [--recollect]

The training rows' features take ~4 min to compute; ``--cache`` keeps them (keyed by a hash of the
grader's code, the material and the gold file, so a stale cache is recomputed). The test split is never read.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import time
from collections import defaultdict
from pathlib import Path

from common import BENCH_HOME, ROOT, built_kb, machine

from agent.examiner import Examiner
from agent.grading.features import FEATURES
from agent.grading.rubric import VERSION
from eval.labelled import load_labelled
from eval.metrics import agreement
from eval.train_grader import RIGHT_KINDS, WRONG_KINDS, collect_rows, fit_models

FOLDS = 5


def fold_of(group: str) -> int:
    return int(hashlib.sha1(group.encode()).hexdigest(), 16) % FOLDS


def _inputs_hash(gold: Path) -> str:
    """What the training rows depend on: the grader's code, the material, how rows are collected, the gold file."""
    h = hashlib.sha256()
    for p in sorted([*(ROOT / "agent" / "grading").glob("*.py"), *(ROOT / "knowledge" / "data" / "rubrics").glob("*.jsonl"),
                     *(ROOT / "knowledge").glob("*.py"), ROOT / "eval" / "train_grader.py", gold]):
        h.update(p.read_bytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "eval" / "datasets" / "gold.jsonl")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/mianshi-devcv.pkl"))
    ap.add_argument("--recollect", action="store_true", help="recompute the training rows' features")
    args = ap.parse_args()
    dev, _ = load_labelled(args.gold, split="dev")
    kb = built_kb(BENCH_HOME)
    ex = Examiner(kb)
    key = (VERSION, FEATURES, _inputs_hash(args.gold))
    rows = None
    if args.cache.exists() and not args.recollect:
        cached_key, cached = pickle.loads(args.cache.read_bytes())
        rows = cached if cached_key == key else None
    if rows is None:
        t0 = time.perf_counter()
        rows = collect_rows(ex, dev)
        args.cache.write_bytes(pickle.dumps((key, rows)))
        print(f"features of {sum(len(v) for v in rows.values())} training rows in {time.perf_counter() - t0:.0f} s")
    by_ref = {i.source.ref: i.id for i in kb.ensure_built().items}
    shipped = ex.rubric.models
    scores: dict[str, float] = {}
    flagged: dict[str, bool] = {}
    for k in range(FOLDS):
        held = {r.id for r in dev if fold_of(r.question_ref or r.id) == k}
        train = {mode: [(row, w) for row, w in rs if not (row.key.startswith("gold:") and row.key[5:] in held)]
                 for mode, rs in rows.items()}
        ex.rubric.models = fit_models(train).models
        for r in dev:
            if r.id in held:
                g = ex.examine(r.question, r.answer, by_ref.get(r.question_ref or "")).grade
                scores[r.id], flagged[r.id] = g.score, "misconception" in g.flags
    ex.rubric.models = shipped
    labels = [r.label for r in dev]
    a = agreement(labels, [scores[r.id] for r in dev], [r.kind for r in dev])
    print(f"# grader dev CV ({FOLDS} folds by question) — {VERSION}, n={a.n} — {machine()}")
    print(f"Spearman {a.spearman:.3f}  QWK {a.qwk:.3f}  MAE {a.mae:.3f}  ±1 {a.within_one:.3f}")
    print("\n| kind | n | label | grader | |err| |")
    print("|---|---|---|---|---|")
    errs: dict[str, list[float]] = defaultdict(list)
    for r in dev:
        errs[r.kind].append(abs(scores[r.id] - r.label))
    for kind, (n, lab, pred) in a.per_kind.items():
        print(f"| {kind} | {n} | {lab:.2f} | {pred:.2f} | {sum(errs[kind]) / n:.2f} |")
    for name, kinds in (("wrong", WRONG_KINDS | {"one_error"}), ("right", RIGHT_KINDS | {"english"})):
        for kind in sorted(kinds):
            f = [flagged[r.id] for r in dev if r.kind == kind]
            if f:
                print(f"misconception flagged ({name}) {kind}: {sum(f)}/{len(f)}")


if __name__ == "__main__":
    main()
