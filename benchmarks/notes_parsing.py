"""How exactly the generic parser reads users' notes: the sample notes in tests/data/notes.

Prints the exact-match rate (question text exact, answer attached to the right question, no junk
items; see tests/knowledge/notes_scoring.py) on the 15 development samples and, separately, on the
5 held-out samples (holdout/), plus per-file figures and every miss.

    python benchmarks/notes_parsing.py
"""

from __future__ import annotations

from common import machine

from tests.knowledge.notes_scoring import HOLDOUT, NOTES, score_folder


def main() -> None:
    print(f"# notes parsing — {machine()}")
    for label, folder in (("development", NOTES), ("held-out", HOLDOUT)):
        rate, scores = score_folder(folder)
        right = sum(s.right for s in scores)
        total = sum(s.expected + s.junk for s in scores)
        print(f"{label}: {rate:.1%} exact ({right}/{total} over {len(scores)} files; "
              f"{sum(s.junk for s in scores)} junk items)")
        for s in scores:
            print(f"  {s.name}: {s.right}/{s.expected} right, {s.junk} junk")
            for e in s.errors:
                print(f"    {e}")


if __name__ == "__main__":
    main()
