"""Lexical side of retrieval: jieba segmentation + BM25 (bm25s, sparse and fast)."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence

STOPWORDS = frozenset(
    ["的", "了", "是", "在", "和", "与", "及", "或", "吗", "呢", "吧", "啊", "么", "什么", "为什么", "为何", "怎么", "怎样", "如何", "哪些", "哪里", "一下", "一个", "介绍", "解释", "简述", "说说", "讲讲", "请", "你", "我", "他", "它", "有", "没有", "中", "里", "对", "把", "被", "要", "会", "能", "可以", "这个", "那个", "这", "那", "之", "其", "并", "也", "都", "就", "还", "又", "呀", "嘛", "the", "a", "an", "of", "to", "in", "is", "are", "what", "why", "how", "does", "do", "and", "or", "for", "with", "on"]
)


def tokenize(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    text = unicodedata.normalize("NFKC", text).lower()
    return [t for t in jieba.cut_for_search(text) if t.strip() and any(c.isalnum() for c in t) and t not in STOPWORDS]


class LexicalIndex:
    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        import bm25s

        self.ids = list(ids)
        self._bm25 = bm25s.BM25()
        corpus = [tokenize(t) or ["<empty>"] for t in texts]
        self._vocab = {tok for doc in corpus for tok in doc}
        if self.ids:
            self._bm25.index(corpus, show_progress=False)

    def search(self, text: str, k: int) -> list[tuple[str, float]]:
        tokens = [t for t in tokenize(text) if t in self._vocab]
        if not tokens or not self.ids:
            return []
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=False) if s > 0]
