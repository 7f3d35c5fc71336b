"""Offline grader against the human labels of eval/datasets/gold.jsonl, per split and per kind, with
the issue's targets beside each figure, the share of fluent-wrong answers flagged `misconception`, and
the human–human agreement of the second labeller on the test split.

    python benchmarks/grading_agreement.py [--split test] [--gold eval/datasets/gold.jsonl]

The test split is never used for training or tuning (see eval/train_grader.py); this script only reads it.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from common import BENCH_HOME, ROOT, built_kb, machine

from agent.examiner import Examiner
from eval.metrics import agreement

TARGETS = {  # kind: (low, high) the mean should fall in
    "excellent": (8.5, 10), "own_words": (8.5, 10), "reference_recited": (8.0, 10),
    "fluent_wrong": (0, 3.0), "fluent_wrong_refwords": (0, 3.0), "one_error": (4.0, 6.0), "english_wrong": (0, 3.0),
    "empty": (0, 1.0), "off_topic": (0, 1.0), "injection": (0, 1.0),
}
WRONG = ("fluent_wrong", "fluent_wrong_refwords")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="test")
    ap.add_argument("--gold", type=Path, default=ROOT / "eval" / "datasets" / "gold.jsonl")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if args.split == "all" or r["split"] == args.split]
    kb = built_kb(BENCH_HOME)
    ex = Examiner(kb)
    by_ref = {i.source.ref: i.id for i in kb.ensure_built().items}
    grades = [ex.examine(r["question"], r["answer"], by_ref.get(r["question_ref"] or "")).grade for r in rows]
    labels = [r["label"] for r in rows]
    kinds = [r["kind"] for r in rows]
    a = agreement(labels, [g.score for g in grades], kinds)
    print(f"# grading agreement — split={args.split}, n={a.n} — {machine()}")
    print(f"grader {grades[0].grader_version}: Spearman {a.spearman:.3f} (target ≥ 0.88), QWK {a.qwk:.3f} (≥ 0.85), "
          f"MAE {a.mae:.3f} (≤ 1.0), ±1 {a.within_one:.3f}")
    seconds = [r for r in rows if "label2" in r]
    if seconds:
        h = agreement([r["label"] for r in seconds], [r["label2"] for r in seconds])
        print(f"human–human (second labeller, n={h.n}): Spearman {h.spearman:.3f}, QWK {h.qwk:.3f}, MAE {h.mae:.3f}, "
              f"±1 {h.within_one:.3f}")
        g2 = agreement([r["label2"] for r in seconds], [g.score for r, g in zip(rows, grades, strict=True) if "label2" in r])
        print(f"grader vs second labeller: Spearman {g2.spearman:.3f}, QWK {g2.qwk:.3f}, MAE {g2.mae:.3f}")
    print("\n| kind | n | label mean | grader mean | target | ok |")
    print("|---|---|---|---|---|---|")
    for kind, (n, lab, pred) in a.per_kind.items():
        lo, hi = TARGETS.get(kind, (None, None))
        target = f"{lo:g}–{hi:g}" if lo is not None else "—"
        ok = "—" if lo is None else ("✓" if lo <= pred <= hi else "✗")
        print(f"| {kind} | {n} | {lab:.2f} | {pred:.2f} | {target} | {ok} |")
    flagged: dict[str, list[bool]] = defaultdict(list)
    for k, g in zip(kinds, grades, strict=True):
        if k in WRONG or k == "english_wrong":
            flagged[k].append("misconception" in g.flags)
    for k, v in flagged.items():
        print(f"{k}: `misconception` flagged in {sum(v)}/{len(v)} = {sum(v) / len(v):.0%} (target ≥ 80% for fluent-wrong)")
    inj = [g.score for k, g in zip(kinds, grades, strict=True) if k == "injection"]
    if inj:
        print(f"injection: max {max(inj):.1f} (target: none above 1.0 unless the real content earns it)")
    unc = sum(1 for g in grades if "uncertain" in g.flags)
    print(f"flagged uncertain: {unc}/{len(grades)} = {unc / len(grades):.0%}")


if __name__ == "__main__":
    main()
