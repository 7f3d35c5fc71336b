"""Assemble the reference material a grader needs for one item (the knowledge base does the retrieval)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from agent.grading.model import GradingContext, ReferencePoint
from knowledge.chunking import Chunk
from knowledge.schema import QuestionItem
from knowledge.text import split_claims


def cite(item: QuestionItem) -> str:
    return f"{item.source.ref}（{item.source.doc} 第 {item.source.line} 行）"


def reference_of(item: QuestionItem) -> str:
    """The document's own reference: its answer text, else its own key points (003's 考点)."""
    return item.document_reference()


def _material(item: QuestionItem) -> dict[str, Any]:
    """The item's misconceptions, slots and exemplars; misconceptions link to the key points by id."""
    return {"misconceptions": item.misconceptions, "slots": item.slots, "exemplars": item.exemplars,
            "material": item.material, "reference_errors": item.reference_errors}


def build_context(item: QuestionItem | None, by_id: dict[str, QuestionItem],
                  references: Callable[[QuestionItem], Sequence[Chunk]] | None = None,
                  match_confidence: float = 1.0, score_cap: float | None = None) -> GradingContext:
    """The item's own key points; for an item without a reference (002's questions), the key points
    of the same question in other documents, else claims from the retrieved reference chunks."""
    if item is None:
        return GradingContext(match_confidence=match_confidence, score_cap=score_cap)
    related = [by_id[r] for r in item.related if r in by_id]
    pitfalls = [p.text for i in [item, *related] for p in i.pitfalls]
    sources = [cite(item)] + [cite(r) for r in related]
    if item.key_points:
        others = [kp.text for r in related for kp in r.key_points]
        points = [ReferencePoint(id=kp.id, text=kp.text, source=item.source.ref, alternates=tuple(others),
                                 weight=kp.weight, aliases=kp.aliases, probe=kp.probe)
                  for kp in item.key_points]
        return GradingContext(points=tuple(points), pitfalls=tuple(dict.fromkeys(pitfalls)),
                              reference_text=reference_of(item), sources=tuple(sources),
                              match_confidence=match_confidence, score_cap=score_cap, **_material(item))
    donor = next((r for r in related if r.key_points), None)
    if donor is not None:
        points = [ReferencePoint(id=f"{donor.source.ref}/{kp.id}", text=kp.text, source=donor.source.ref,
                                 weight=kp.weight, aliases=kp.aliases, probe=kp.probe)
                  for kp in donor.key_points]
        return GradingContext(points=tuple(points), pitfalls=tuple(dict.fromkeys(pitfalls)),
                              reference_text=reference_of(donor), sources=tuple(sources), borrowed=True,
                              match_confidence=match_confidence, score_cap=score_cap, **_material(donor))
    found = [c for c in (references(item) if references else []) if c.kind == "note" or "\n" in c.text]
    # the best chunk, plus knowledge notes of the item's own document (002's notes answer its questions)
    chunks = found[:1] + [c for c in found[1:4] if c.kind == "note" and c.file == item.source.file]
    points = []
    for c in chunks[:3]:
        body = c.text.split("\n", 1)[-1] if c.kind == "question" else c.text
        for n, claim in enumerate(split_claims(body, max_points=3)):
            points.append(ReferencePoint(id=f"{c.owner_id}/{n + 1}", text=claim, source=f"{c.file}:{c.line}"))
    sources += [f"{c.file} 第 {c.line} 行" for c in chunks[:3]]
    return GradingContext(points=tuple(points[:5]), pitfalls=tuple(dict.fromkeys(pitfalls)),
                          reference_text="\n".join(c.text for c in chunks[:3]), sources=tuple(dict.fromkeys(sources)),
                          borrowed=True, retrieved=True, match_confidence=match_confidence, score_cap=score_cap)
