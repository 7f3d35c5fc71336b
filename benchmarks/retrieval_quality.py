"""Retrieval quality on the hand-written paraphrase dev set (benchmarks/data/).

Prints recall@1 / recall@5 for dense only, lexical only and hybrid; the off-bank rejection rate;
fits the confidence calibration (logistic regression) on the dev split only and reports it on
the test split; and the precision/recall of cross-document `related` links against the
dataset's `also` annotations.

    python benchmarks/retrieval_quality.py [--fit]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from common import DATA, built_kb, machine, read_jsonl

from knowledge.retrieval import Calibration


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit", action="store_true", help="print a freshly fitted calibration")
    args = ap.parse_args()
    kb = built_kb()
    bank = kb.bank()
    ref_of = {i.id: i.source.ref for i in bank.items}
    dev = read_jsonl(DATA / "retrieval_dev.jsonl")
    off = read_jsonl(DATA / "offbank_probes.jsonl")
    matcher = kb._matcher
    print(f"# retrieval quality — {machine()}")
    print(f"paraphrases: {len(dev)} ({sum(r['split'] == 'dev' for r in dev)} dev / {sum(r['split'] == 'test' for r in dev)} test); "
          f"off-bank probes: {len(off)}")
    print("| mode | split | recall@1 | recall@5 |\n|---|---|---|---|")
    feats: dict[str, list[tuple[tuple[float, ...], int]]] = {"dev": [], "test": []}
    for mode in ("dense", "lexical", "hybrid"):
        for split in ("dev", "test", "all"):
            rows = [r for r in dev if split == "all" or r["split"] == split]
            r1 = r5 = 0
            for r in rows:
                ok = {r["target"], *r.get("also", [])}
                ranked, f = matcher.rank(r["query"], mode)
                refs = [ref_of[i] for i, _ in ranked[:5]]
                r1 += bool(refs) and refs[0] in ok
                r5 += any(x in ok for x in refs)
                if mode == "hybrid" and split != "all":
                    feats[split].append((f, int(bool(refs) and refs[0] in ok)))
            print(f"| {mode} | {split} | {r1 / len(rows):.3f} | {r5 / len(rows):.3f} |")
    for p in off:
        _, f = matcher.rank(p["query"], "hybrid")
        feats[p["split"]].append((f, 0))
    cal = fit(feats["dev"]) if args.fit else matcher.calibration
    if args.fit:
        print(f"fitted on dev: {cal}")
    for split in ("dev", "test"):
        report(split, feats[split], cal, kb.settings.match_threshold)
    for split in ("dev", "test"):
        probes = [p for p in off if p["split"] == split]
        print(f"off-bank probes rejected ({split}): {offbank_rejection(kb, probes):.3f} of {len(probes)}")
    related_quality(bank, dev)


def fit(samples: list[tuple[tuple[float, ...], int]], l2: float = 0.01, steps: int = 20000) -> Calibration:
    x = np.array([s[0] for s in samples], dtype=np.float64)
    y = np.array([s[1] for s in samples], dtype=np.float64)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w = np.zeros(z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.1 * (z.T @ (p - y) / len(y) + l2 * w)
        b -= 0.1 * float(np.mean(p - y))
    ws = w / sd
    bias = b - float(np.sum(w * mu / sd))
    return Calibration(bias=round(bias, 3), w_dense=round(ws[0], 3), w_margin=round(ws[1], 3),
                       w_lexical=round(ws[2], 3), w_agree=round(ws[3], 3))


def report(split: str, samples: list[tuple[tuple[float, ...], int]], cal: Calibration, threshold: float) -> None:
    confs = np.array([cal.confidence(*f) for f, _ in samples])
    ys = np.array([y for _, y in samples])
    n_on = len(samples)
    matched = confs >= threshold
    precision = float(ys[matched].mean()) if matched.any() else float("nan")
    brier = float(np.mean((confs - ys) ** 2))
    ll = -float(np.mean(ys * np.log(np.clip(confs, 1e-6, 1)) + (1 - ys) * np.log(np.clip(1 - confs, 1e-6, 1))))
    print(f"{split}: threshold {threshold}: matched {int(matched.sum())}/{n_on}, precision of matched {precision:.3f}, "
          f"correct top-1 accepted {int((matched & (ys == 1)).sum())}/{int(ys.sum())}, brier {brier:.3f}, logloss {ll:.3f}")


def offbank_rejection(kb, probes) -> float:  # type: ignore[no-untyped-def]
    return sum(not kb.search(p["query"]).matched for p in probes) / len(probes)


def related_quality(bank, dev) -> None:  # type: ignore[no-untyped-def]
    by_ref = {i.source.ref: i for i in bank.items}
    id_ref = {i.id: i.source.ref for i in bank.items}
    groups = [{r["target"], *r.get("also", [])} for r in dev if r.get("also")]
    true_pairs = {frozenset((a, b)) for g in groups for a in g for b in g if a < b and a[:3] != b[:3]}
    linked = {frozenset((i.source.ref, id_ref[j])) for i in bank.items for j in i.related}
    judged = {p for p in linked if any(x in g for g in groups for x in p)}
    tp = len(true_pairs & linked)
    print(f"related links: {len(linked)} pairs; recall vs annotated groups {tp}/{len(true_pairs)} = {tp / max(len(true_pairs), 1):.2f}; "
          f"precision among links touching an annotated group {len(judged & true_pairs)}/{len(judged)} = "
          f"{len(judged & true_pairs) / max(len(judged), 1):.2f}")
    _ = by_ref, math


if __name__ == "__main__":
    main()
