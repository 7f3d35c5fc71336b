"""Word order for English wordings of a misconception: who does what, not a bag of words.

Matched as a bag of words, "LayerNorm normalizes across the batch" is found in the right answer
"BatchNorm normalizes each feature across the batch". Here an English wording is stated by a claim only
when the claim names the wording's subject (its first content word: LayerNorm) and says the rest in the
same order: the share of the wording's IDF weight that a longest common subsequence with the claim keeps.
Tokens are the grader's own (jieba, glossary groups), so "normalizes" meets "归一化" and "normalize".
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from agent.grading.coverage import IdfTable, _token_groups
from knowledge.lexical import tokenize

FUNCTION_WORDS = frozenset(
    ["it", "its", "it's", "that", "this", "these", "those", "which", "who", "so", "by", "be", "been", "being", "as", "for", "on", "with", "an", "at", "or", "from", "just", "also", "then", "there", "their", "they", "them", "we", "you", "your", "our", "can", "will", "would", "could", "should", "may", "might", "must", "do", "does", "did", "has", "have", "had", "very", "really", "basically", "actually", "simply", "only", "all", "any", "each", "every", "some", "such", "than", "into", "over", "about"])
"""English words that carry no claim (besides the bank's stopwords, which ``tokenize`` already drops)."""
_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_latin(text: str) -> bool:
    """A wording with no Chinese character (an English wording of the material)."""
    return not _CJK.search(text)


@lru_cache(maxsize=50000)
def ordered_tokens(text: str) -> tuple[str, ...]:
    """The text's content tokens in order, each glossary term as its group (``§n``), each once."""
    out: dict[str, None] = {}
    for t in tokenize(text):
        if t in FUNCTION_WORDS:
            continue
        groups = _token_groups(t)
        for g in sorted(groups) if groups else ():
            out.setdefault(f"§{g}", None)
        if not groups:
            out.setdefault(t, None)
    return tuple(out)


def _lcs_weight(a: tuple[str, ...], b: tuple[str, ...], weights: list[float]) -> float:
    """The IDF weight of the heaviest common subsequence of ``a`` (weights[i] for a[i]) and ``b``."""
    prev = [0.0] * (len(b) + 1)
    for i, x in enumerate(a):
        cur = [0.0] * (len(b) + 1)
        for j, y in enumerate(b):
            cur[j + 1] = prev[j] + weights[i] if x == y else max(prev[j + 1], cur[j])
        prev = cur
    return prev[-1]


MIN_SHARED = 3
"""Order is compared on at least this many tokens a text shares with the claim."""


def order_kept(text: str, claim: str, idf: IdfTable) -> tuple[int, float]:
    """(shared tokens, 0–1): of the tokens ``text`` shares with the claim, the IDF share a longest common
    subsequence keeps — 1.0 when the claim says them in the text's order. A swap ("把权重的离群值迁移到激活"
    against "把激活的离群值迁移到权重") shares every token and keeps few of them in order."""
    c = ordered_tokens(claim)
    shared = tuple(t for t in ordered_tokens(text) if t in c)
    if len(shared) < MIN_SHARED:
        return len(shared), 0.0
    weights = [idf.weight(t) for t in shared]
    total = math.fsum(weights)
    return len(shared), (_lcs_weight(shared, c, weights) / total if total > 0 else 0.0)


def ordered_support(wording: str, claim: str, question_tokens: frozenset[str], idf: IdfTable) -> float:
    """How much of an English ``wording`` the claim states, in its order and about its subject (0–1).
    Words of the question count for nothing, except that the subject may be one ("BERT is …")."""
    w, c = ordered_tokens(wording), ordered_tokens(claim)
    if not w or not c or w[0] not in c:
        return 0.0
    specific = tuple(t for t in w if t not in question_tokens) or w
    weights = [idf.weight(t) for t in specific]
    total = math.fsum(weights)
    return _lcs_weight(specific, c, weights) / total if total > 0 else 0.0
