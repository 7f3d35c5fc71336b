"""Lexical side of retrieval: jieba segmentation + BM25 (bm25s, sparse and fast)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path

STOPWORDS = frozenset(
    ["的", "了", "是", "在", "和", "与", "及", "或", "吗", "呢", "吧", "啊", "么", "什么", "为什么", "为何", "怎么", "怎样", "如何", "哪些", "哪里", "一下", "一个", "介绍", "解释", "简述", "说说", "讲讲", "请", "你", "我", "他", "它", "有", "没有", "中", "里", "对", "把", "被", "要", "会", "能", "可以", "这个", "那个", "这", "那", "之", "其", "并", "也", "都", "就", "还", "又", "呀", "嘛", "the", "a", "an", "of", "to", "in", "is", "are", "what", "why", "how", "does", "do", "and", "or", "for", "with", "on"]
)


_JIEBA_QUIET = False


def tokenize(text: str) -> list[str]:
    global _JIEBA_QUIET
    import jieba

    if not _JIEBA_QUIET:  # once: setting the level clears logging's caches, which costs more than the cut
        jieba.setLogLevel(logging.WARNING)
        _JIEBA_QUIET = True
    text = unicodedata.normalize("NFKC", text).lower()
    return [t for t in jieba.cut_for_search(text) if t.strip() and any(c.isalnum() for c in t) and t not in STOPWORDS]


def tokenizer_id() -> str:
    """What the tokens depend on besides the text: jieba's version and the stopword list."""
    import jieba

    stop = hashlib.sha1("\n".join(sorted(STOPWORDS)).encode("utf-8")).hexdigest()[:12]
    return f"jieba-{jieba.__version__}-stop-{stop}"


class TokenCache:
    """Tokenised texts by the hash of their text. Segmenting the bank (~400 texts) costs about a second in
    every fresh process; the knowledge base writes the tokens beside ``bank.json`` at build time and a new
    process reads them back. A text not in the cache is tokenised as usual, so a stale cache is only slower."""

    def __init__(self, entries: dict[str, list[str]] | None = None) -> None:
        self._entries = dict(entries or {})
        self._used: set[str] = set()
        self.misses = 0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]

    def tokens(self, text: str) -> list[str]:
        key = self.key(text)
        self._used.add(key)
        got = self._entries.get(key)
        if got is None:
            got = self._entries[key] = tokenize(text)
            self.misses += 1
        return got

    def forget_usage(self) -> None:
        self._used.clear()
        self.misses = 0

    @classmethod
    def load(cls, path: Path) -> TokenCache:
        """The cache at ``path``; an empty one when it is missing, unreadable or made by another tokenizer."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("tokenizer") != tokenizer_id() or not isinstance(data.get("tokens"), dict):
                return cls()
            return cls({k: v for k, v in data["tokens"].items() if isinstance(v, list)})
        except (OSError, ValueError, AttributeError):
            return cls()

    def save(self, path: Path) -> None:
        """Write the texts used since the last ``forget_usage`` (atomically: a reader never sees half a file)."""
        kept = {k: self._entries[k] for k in sorted(self._used) if k in self._entries}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"tokenizer": tokenizer_id(), "tokens": kept}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)


class LexicalIndex:
    def __init__(self, ids: Sequence[str], texts: Sequence[str], cache: TokenCache | None = None) -> None:
        import bm25s

        self.ids = list(ids)
        self._bm25 = bm25s.BM25()
        tokens = cache.tokens if cache is not None else tokenize
        corpus = [tokens(t) or ["<empty>"] for t in texts]
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
