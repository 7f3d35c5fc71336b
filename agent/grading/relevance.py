"""Is the answer about this question at all? A BM25 index over every bank item's material (question,
reference, key points and their aliases): an answer that matches another question's material far
better than its own is off topic, however fluent and on-domain it is."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from knowledge.lexical import LexicalIndex
from knowledge.schema import QuestionItem


def item_text(item: QuestionItem) -> str:
    parts = [item.question, item.reference_answer]
    for k in item.key_points:
        parts.append(k.text)
        parts.extend(k.aliases)
    return "\n".join(parts)


class RelevanceIndex:
    def __init__(self, items: Sequence[QuestionItem]) -> None:
        self.index = LexicalIndex([i.id for i in items], [item_text(i) for i in items])
        self.size = len(items)
        self._cached = lru_cache(maxsize=4096)(self._relevance)

    def relevance(self, item_id: str, answer: str) -> float:
        """The item's BM25 score for the answer over the best item's score (1.0 = this item is the best
        match; 0.0 = not among the matches)."""
        return self._cached(item_id, answer)

    def _relevance(self, item_id: str, answer: str) -> float:
        hits = self.index.search(answer[:2000], k=self.size)
        if not hits:
            return 0.0
        top = hits[0][1]
        own = next((s for i, s in hits if i == item_id), 0.0)
        return own / top if top > 0 else 0.0
