"""Merge helper-written phrasings into the bundled grading material, keeping only those that pass checks.

    python scripts/merge_material_aliases.py CANDIDATES.jsonl... [--review REVIEW.jsonl...] [--write] [--note TEXT]

Candidate lines (from the authoring brief):
    {"ref": "003:42", "id": "m5", "zh": [...], "en": [...]}    other wordings of a misconception
    {"ref": "003:42", "point": "k4", "en": [...]}              English wordings of a key point
Review lines (second pass): {"ref": "003:42", "id": "m5" | "point": "k4", "drop": ["wording", ...]}.

A misconception wording is kept only if it (1) is 4–100 characters (an English one up to 160, as a misconception's text), (2) is not already the text or an alias,
(3) keeps words that set it apart from the right point (else the grader could not tell it from the point),
and (4) is not stated (the grader's own ``support`` ≥ 0.5, in order for English wordings) by any sentence of the item's right texts: its key
points and their aliases, the document's reference, its excellent / own_words / good exemplars. A key-point
wording is kept only if it has at least three words and no fluent_wrong exemplar of the item states it.
Without ``--write`` it only reports. The evaluation answers (eval/datasets) are never read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.grading.claims import split_claims  # noqa: E402
from agent.grading.coverage import IdfTable, canonical_tokens  # noqa: E402
from agent.grading.features import _distinct_words, support  # noqa: E402
from agent.grading.ordered import is_latin, ordered_support  # noqa: E402
from agent.grading.signals import cjk_ratio  # noqa: E402
from knowledge.bank import bundled_seed_dir, load_documents  # noqa: E402

RUBRICS = ROOT / "knowledge" / "data" / "rubrics"
RIGHT_KINDS = ("excellent", "own_words", "good")


def states(wording: str, texts: list[str], question_tokens: frozenset[str], idf: IdfTable) -> str | None:
    """The first sentence of ``texts`` that states ``wording`` as the grader would find it (support ≥ 0.5; an
    English wording in order, in English sentences: agent/grading/ordered.py), if any."""
    latin = is_latin(wording)
    for text in texts:
        for c in split_claims(text):
            if latin:
                if cjk_ratio(c.text) < 0.3 and ordered_support(wording, c.text, question_tokens, idf) >= 0.5:
                    return c.text
            elif support(wording, canonical_tokens(c.text), c.text, question_tokens, idf) >= 0.5:
                return c.text
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("candidates", nargs="+", type=Path)
    ap.add_argument("--review", nargs="*", type=Path, default=[])
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--note", default="")
    ap.add_argument("--skip-en-misconceptions", action="store_true",
                    help="keep no English wordings of misconceptions (lexical English matching flagged correct English answers)")
    ap.add_argument("--dump", type=Path, help="write the kept wordings (for the review pass) to this JSONL file")
    args = ap.parse_args()

    items = {i.source.ref: i for i in load_documents([bundled_seed_dir()]).items}
    idf = IdfTable([t for i in items.values() for t in (i.question, i.reference_answer or "", *(k.text for k in i.key_points))])
    files = {p.stem: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
             for p in sorted(RUBRICS.glob("*.jsonl"))}
    by_ref = {row["ref"]: row for rows in files.values() for row in rows}
    drops: dict[tuple[str, str], set[str]] = {}
    for path in args.review:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                drops.setdefault((r["ref"], r.get("id") or r.get("point")), set()).update(r.get("drop", []))

    stats: Counter[str] = Counter()
    kept: list[dict[str, object]] = []
    added: dict[str, Counter[str]] = {}

    def known(entry: dict[str, Any], wording: str) -> bool:
        return wording == entry["text"] or wording in (entry.get("aliases") or [])

    def add(entry: dict[str, Any], wording: str, ref: str, kind: str, record: dict[str, object]) -> None:
        """Keep a wording: an alias of the misconception or key point, counted for the line's note, dumped for review."""
        entry["aliases"] = [*(entry.get("aliases") or []), wording]
        added.setdefault(ref, Counter())[kind] += 1
        kept.append({"ref": ref, **record, "wording": wording})
    for path in args.candidates:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                cand = json.loads(line)
                row = by_ref[cand["ref"]]
            except (ValueError, KeyError) as exc:
                print(f"{path}:{n}: skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
                stats["bad_line"] += 1
                continue
            item = items.get(cand["ref"])
            qt = canonical_tokens(row["question"])
            points = {k["id"]: k for k in row["key_points"]}
            right_texts = [k["text"] for k in row["key_points"]] + [a for k in row["key_points"] for a in k.get("aliases") or []]
            right_texts += [e["answer"] for e in row["exemplars"] if e["kind"] in RIGHT_KINDS]
            if item is not None and item.reference_answer:
                right_texts.append(item.reference_answer)
            wrong_texts = [e["answer"] for e in row["exemplars"] if e["kind"] == "fluent_wrong"]
            if "id" in cand:
                mis = next((m for m in row["misconceptions"] if m["id"] == cand["id"]), None)
                if mis is None:
                    stats["unknown_misconception"] += 1
                    continue
                linked = points.get(mis.get("point") or "")
                right_words = (linked["text"] + " " + " ".join(linked.get("aliases") or [])) if linked else \
                    " ".join(k["text"] for k in row["key_points"])
                english = [] if args.skip_en_misconceptions else cand.get("en", [])
                for wording in [*cand.get("zh", []), *english]:
                    wording = str(wording).strip()
                    why = None
                    if not 4 <= len(wording) <= (160 if is_latin(wording) else 100):
                        why = "length"
                    elif known(mis, wording):
                        why = "duplicate"
                    elif not _distinct_words(wording, right_words, qt):
                        why = "no_words_apart_from_the_point"
                    elif wording in drops.get((cand["ref"], cand["id"]), set()):
                        why = "review_dropped"
                    elif states(wording, right_texts, qt, idf):
                        why = "a_right_text_states_it"
                    stats[why or "kept_misconception_wording"] += 1
                    if why is None:
                        add(mis, wording, cand["ref"], "mis", {"id": cand["id"], "misconception": mis["text"], "why": mis["why"],
                                                                 "point": linked["text"] if linked else None})
            elif "point" in cand and cand["point"] in points:
                k = points[cand["point"]]
                for wording in cand.get("en", []):
                    wording = str(wording).strip()
                    why = None
                    if len(wording.split()) < 3 or len(wording) > 100:
                        why = "point_too_short_or_long"
                    elif known(k, wording):
                        why = "duplicate"
                    elif wording in drops.get((cand["ref"], cand["point"]), set()):
                        why = "review_dropped"
                    elif states(wording, wrong_texts, qt, idf):
                        why = "a_wrong_exemplar_states_it"
                    stats[why or "kept_point_wording"] += 1
                    if why is None:
                        add(k, wording, cand["ref"], "point", {"point": cand["point"], "text": k["text"]})
            else:
                stats["unknown_point"] += 1
    for key, n in sorted(stats.items()):
        print(f"{key}: {n}")
    print(f"lines changed: {len(added)}")
    if args.dump:
        args.dump.write_text("".join(json.dumps(k, ensure_ascii=False) + "\n" for k in kept), encoding="utf-8")
    if args.write:
        for ref, counts in added.items():
            row = by_ref[ref]
            note = (f" {args.note}: +{counts['mis']} misconception wordings, +{counts['point']} English key-point wordings."
                    if args.note else "")
            row["provenance"]["notes"] = (row["provenance"].get("notes", "") + note).strip()
        for stem, rows in files.items():
            (RUBRICS / f"{stem}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
