"""Score the generic parser against the sample notes in tests/data/notes (and holdout/).

Each ``name.md`` / ``name.txt`` has ``name.expected.json``: a list of ``{question, answer_head,
answer_tail}`` (``answer_head`` null for a question kept without a reference). An expected item is
right when an item with exactly that question (whitespace ignored) is parsed and its reference
answer starts with ``answer_head`` and ends with ``answer_tail`` (whitespace, Markdown markers,
bullet markers and fence lines ignored), or is empty for a question-only item. A parsed item whose
question is not expected is junk. The rate is right / (expected + junk).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.loader import load_document
from knowledge.text import strip_markdown

NOTES = Path(__file__).resolve().parent.parent / "data" / "notes"
HOLDOUT = NOTES / "holdout"


def squash(text: str) -> str:
    return "".join(text.split())


def plain(text: str) -> str:
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith(("```", "~~~"))]
    lines = [re.sub(r"^\s*[-*+]\s+", "", ln) for ln in lines]
    return squash(strip_markdown("\n".join(lines)))


@dataclass
class SampleScore:
    name: str
    expected: int
    right: int
    junk: int
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.right / max(self.expected + self.junk, 1)


def samples(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.suffix in (".md", ".txt") and (p.parent / f"{p.stem}.expected.json").exists())


def score_sample(path: Path) -> SampleScore:
    expected = json.loads((path.parent / f"{path.stem}.expected.json").read_text(encoding="utf-8"))
    items = list(load_document(path).items)
    used: set[int] = set()
    right = 0
    errors: list[str] = []
    for exp in expected:
        k = next((k for k, i in enumerate(items) if k not in used and squash(i.question) == squash(exp["question"])), None)
        if k is None:
            errors.append(f"missing: {exp['question']}")
            continue
        used.add(k)
        answer = plain(items[k].reference_answer)
        if exp["answer_head"] is None:
            ok = answer == ""
        else:
            ok = answer.startswith(plain(exp["answer_head"])) and answer.endswith(plain(exp["answer_tail"] or ""))
        if ok:
            right += 1
        else:
            errors.append(f"answer of {exp['question']!r}: {items[k].reference_answer[:60]!r}…{items[k].reference_answer[-40:]!r}")
    junk = [i for k, i in enumerate(items) if k not in used]
    errors += [f"junk: {i.question!r} (line {i.source.line})" for i in junk]
    return SampleScore(path.name, len(expected), right, len(junk), errors)


def score_folder(folder: Path) -> tuple[float, list[SampleScore]]:
    scores = [score_sample(p) for p in samples(folder)]
    total = sum(s.expected + s.junk for s in scores)
    return sum(s.right for s in scores) / max(total, 1), scores
