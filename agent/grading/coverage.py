"""Key-point coverage judged from meaning, deterministically.

Both sides are tokenised with jieba and every term of the domain glossary is mapped to one
canonical token, so 层归一化 / LayerNorm / LN are the same word and English answers meet Chinese
key points. Tokens are weighted by IDF over the bank; words the question itself contains count
for nothing (restating the question is not an answer). A char-bigram recall catches segmentation
mismatches. For answers that are mostly not Chinese, the multilingual embedding decides instead
when it is more generous than the lexical view.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from agent.grading.vocabulary import matcher
from knowledge.lexical import tokenize


@lru_cache(maxsize=20000)
def canonical_tokens(text: str) -> frozenset[str]:
    """jieba tokens plus one ``§n`` token for every synonym group the text mentions; a token that
    is itself a synonym term is replaced by its group so 梯度 and gradient become the same."""
    m = matcher()
    groups = m.groups_in(text)
    toks = {f"§{g}" for g in groups}
    for t in tokenize(text):
        g = _token_groups(t)
        toks.update(f"§{x}" for x in g) if g else toks.add(t)
    return frozenset(toks)


@lru_cache(maxsize=200000)
def _token_groups(token: str) -> frozenset[int]:
    """Synonym groups one token mentions (tokens repeat across answers, so this is cached)."""
    return frozenset(matcher().groups_in(token))


@lru_cache(maxsize=50000)
def cjk_bigrams(text: str) -> frozenset[str]:
    """The Chinese character bigrams of ``text`` (cached: material wordings and claims are compared many times)."""
    runs = re.findall(r"[\u4e00-\u9fff]+", text)
    return frozenset(r[i:i + 2] for r in runs for i in range(len(r) - 1))


@dataclass(frozen=True)
class Coverage:
    score: float
    evidence: tuple[int, int] | None


class IdfTable:
    def __init__(self, documents: Iterable[str]) -> None:
        counts: Counter[str] = Counter()
        n = 0
        for d in documents:
            n += 1
            counts.update(canonical_tokens(d))
        self.n = max(n, 1)
        self.idf = {t: math.log(1 + self.n / (1 + c)) for t, c in counts.items()}
        self.default = math.log(1 + self.n)

    def weight(self, token: str) -> float:
        return self.idf.get(token, self.default)


def point_coverage(point: str, answer: str, answer_tokens: frozenset[str], question_tokens: frozenset[str],
                   idf: IdfTable, spans: list[tuple[int, int]]) -> Coverage:
    tokens = canonical_tokens(point)
    specific = tokens - question_tokens
    if not specific:
        specific = tokens
    total = math.fsum(idf.weight(t) for t in specific)
    if total <= 0:
        return Coverage(0.0, None)
    hit = math.fsum(idf.weight(t) for t in specific & answer_tokens)
    token_cov = hit / total
    grams = cjk_bigrams(point) - cjk_bigrams(" ".join(question_tokens))
    bigram_cov = len(grams & cjk_bigrams(answer)) / len(grams) if grams else 0.0
    score = max(token_cov, 0.85 * bigram_cov)
    return Coverage(score, best_span(specific, answer, spans, idf) if score > 0 else None)


def best_span(tokens: frozenset[str], answer: str, spans: list[tuple[int, int]], idf: IdfTable) -> tuple[int, int] | None:
    best, best_score = None, 0.0
    for s, e in spans:
        seg_tokens = canonical_tokens(answer[s:e])
        sc = math.fsum(idf.weight(t) for t in tokens & seg_tokens)
        if sc > best_score:
            best, best_score = (s, e), sc
    return best
