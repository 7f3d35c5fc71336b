"""How much of the document's own reference an answer restates, clause by clause.

A recitation of the reference is a correct answer: it states every clause of it (char bigrams and Latin
words, the question's own words left out). An answer that reuses the reference's words for a wrong
mechanism keeps most of its words but drops or rewrites the clause that carries the mechanism, so the
weakest clause tells the two apart better than the overall overlap. Features (0–1):

- ``ref_recall``: share of the reference's units the answer contains;
- ``ref_clause_min``: the least-stated reference clause (its share of units in the answer);
- ``ref_precision``: share of the answer's units that come from the reference (a bare recitation ≈ 1).
"""

from __future__ import annotations

import re
from functools import lru_cache

from agent.grading.claims import split_claims
from knowledge.text import normalize

REFERENCE_CHARS = 1500
"""The reference is compared on its first REFERENCE_CHARS characters (as the other reference features)."""
MIN_CLAUSE_UNITS = 3


@lru_cache(maxsize=50000)
def units(text: str) -> frozenset[str]:
    """Char bigrams of Chinese runs plus Latin words and numbers, normalised."""
    t = normalize(text)
    out = {run[i:i + 2] for run in re.findall(r"[\u4e00-\u9fff]+", t) for i in range(len(run) - 1)}
    out.update(re.findall(r"[a-z0-9]+", t))
    return frozenset(out)


@lru_cache(maxsize=4096)
def _clauses(reference: str, question: str) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
    q = units(question)
    whole = units(reference) - q
    clauses = tuple(c for c in (units(cl.text) - q for cl in split_claims(reference)) if len(c) >= MIN_CLAUSE_UNITS)
    return whole, clauses


MIN_SAID_CHARS = 8


@lru_cache(maxsize=4096)
def _squashed(text: str) -> str:
    return re.sub(r"[\W_]+", "", normalize(text))


def said_in_reference(claim: str, reference: str, errors: tuple[str, ...] = ()) -> bool:
    """The claim is one of the reference's own sentences or clauses, word for word (case, spaces and
    punctuation aside): what the document says cannot be a misconception of its own question — a wording
    of a misconception that such a claim matches is matched by its words, not its meaning ("Query 来自
    Decoder，Key 和 Value 来自 Encoder" holds every word of "Q 来自 encoder，K、V 来自 decoder").
    A claim that holds a passage the material marks as wrong (``errors``) is not exempt: the document is wrong there.
    """
    c, r = _squashed(claim), _squashed(reference)
    at = r.find(c) if len(c) >= MIN_SAID_CHARS else -1
    if at < 0:
        return False
    for e in errors:
        s = _squashed(e)
        i = r.find(s) if s else -1
        while i >= 0:
            if i < at + len(c) and at < i + len(s):
                return False
            i = r.find(s, i + 1)
    return True


def reference_units(reference: str, question: str) -> int:
    """How many units of the reference (its first REFERENCE_CHARS characters) are its own, not the question's."""
    return len(_clauses(reference[:REFERENCE_CHARS], question)[0])


def reference_features(answer: str, reference: str, question: str) -> dict[str, float]:
    reference = reference[:REFERENCE_CHARS]
    whole, clauses = _clauses(reference, question)
    a = units(answer) - units(question)
    if not whole or not a:
        return {"ref_recall": 0.0, "ref_clause_min": 0.0, "ref_precision": 0.0}
    shared = len(whole & a)
    clause_min = min((len(c & a) / len(c) for c in clauses), default=shared / len(whole))
    return {"ref_recall": shared / len(whole), "ref_clause_min": clause_min, "ref_precision": shared / len(a)}


# contradictions -----------------------------------------------------------------------------------
_NEG_CHARS = "不没无非未"
_NEG_WORD = re.compile(rf"[{_NEG_CHARS}](?:是|会|能|需要?|用|必)?([\u4e00-\u9fff]{{2}})")
_COMPLEXITY = re.compile(r"O\s*\(\s*([^()]{1,16}?)\s*\)", re.I)
REF_SWAPS: tuple[tuple[str, str], ...] = (
    ("相对", "绝对"), ("升高", "降低"), ("从小到大", "从大到小"), ("增大", "减小"), ("变大", "变小"), ("增加", "减少"),
    ("上升", "下降"), ("上溢", "下溢"), ("最大", "最小"), ("更大", "更小"), ("加快", "减慢"), ("打开", "关闭"),
    ("开启", "关闭"), ("之前", "之后"), ("左乘", "右乘"), ("稀疏", "稠密"), ("线性", "平方"), ("消失", "爆炸"),
    ("冻结", "更新"), ("训练时", "推理时"), ("放大", "缩小"), ("大于", "小于"), ("串行", "并行"), ("双向", "单向"),
    ("高频", "低频"), ("可学习", "固定"), ("离散", "连续"), ("encoder", "decoder"), ("编码器", "解码器"),
)
ALIGN_MIN = 0.5
"""A claim is compared with a reference clause when it holds at least this share of the clause's units…"""
ALIGN_CLAIM = 0.3
"""…(the claim's side is lower: a swapped antonym changes the bigrams around it)…"""
ALIGN_UNITS = 5
"""…and the clause has at least this many (a three-word clause aligns with anything)."""


def _complexity(text: str) -> set[str]:
    import unicodedata

    return {re.sub(r"\s+", "", unicodedata.normalize("NFKC", m.group(1)).lower()).replace("^", "") for m in
            _COMPLEXITY.finditer(text)}


def _negated_words(text: str) -> set[str]:
    return {m.group(1) for m in _NEG_WORD.finditer(text)}


def _affirmed(text: str, word: str) -> int:
    """How often ``text`` states ``word`` without a negation right before it."""
    return sum(1 for m in re.finditer(re.escape(word), text)
               if not (m.start() > 0 and text[m.start() - 1] in _NEG_CHARS)
               and not (m.start() > 1 and text[m.start() - 2] in _NEG_CHARS and text[m.start() - 1] in "是会能需用必要"))


def _same_subject(claim: str, clause: str, word: str) -> bool:
    """The claim shares at least two units of what the clause says before ``word`` (its subject): "不被优化器
    更新" said of a buffer does not deny "Parameter 会被优化器更新"."""
    head = units(clause[:clause.find(word)])
    return len(head & units(claim[:max(claim.find(word), 0)])) >= 2


def _aligned(claim_units: frozenset[str], clause_units: frozenset[str]) -> float:
    """Share of the clause's units the claim holds, when the claim is about it (0 otherwise)."""
    if len(clause_units) < ALIGN_UNITS or not claim_units:
        return 0.0
    shared = len(claim_units & clause_units)
    if shared / len(claim_units) < ALIGN_CLAIM or shared / len(clause_units) < ALIGN_MIN:
        return 0.0
    return shared / len(clause_units)


def clause_conflict(claim: str, clause: str, reference: str = "", question: str = "") -> tuple[float, str]:
    """(alignment, why) when ``claim`` restates the reference ``clause`` and says the opposite: a swapped
    antonym the reference never uses ("相对位置" → "绝对位置", compared after swapping it back), a word the clause affirms and the
    claim negates or the reverse ("天然不敏感" → "天然敏感"; the reference must not say the claim's form
    elsewhere, and the claim must share the clause's subject), or another complexity (O(n²) → O(n)).
    (0.0, "") when it does not."""
    q = units(question)
    ru = units(clause) - q
    low_c, low_r, low_all = claim.lower(), clause.lower(), (reference or clause).lower()
    swapped, said = low_c, []
    for a, b in REF_SWAPS:
        for x, y in ((a, b), (b, a)):  # the reference says x here and never says y
            if x in low_r and y in swapped and x not in low_c and y not in low_all:
                swapped = swapped.replace(y, x)
                said.append(f"「{x}」说成了「{y}」")
    if said:
        al = _aligned(units(swapped) - q, ru)
        return (al, "；".join(said)) if al else (0.0, "")
    al = _aligned(units(claim) - q, ru)
    if not al:
        return 0.0, ""
    whole = reference or clause
    neg_c, neg_r, neg_all = _negated_words(claim), _negated_words(clause), _negated_words(whole)
    for w in sorted(neg_c - neg_all):  # the reference never negates w
        if w in clause and _same_subject(claim, clause, w):
            return al, f"否定了「{w}」"
    for w in sorted(neg_r - neg_c):  # the reference never affirms w
        if (w in claim and not any(f"{n}{w}" in claim for n in _NEG_CHARS) and _affirmed(whole, w) == 0
                and _same_subject(claim, clause, w)):
            return al, f"把「不{w}」说成了「{w}」"
    cx_r, cx_c = _complexity(clause), _complexity(claim)
    if cx_r and cx_c and not (cx_r & cx_c):
        return al, f"复杂度 O({sorted(cx_r)[0]}) 说成了 O({sorted(cx_c)[0]})"
    return 0.0, ""


_PIECE = re.compile(r"[^，,；;。！？!?：:（）()\n]{4,}")


def _pieces(text: str) -> list[str]:
    """Clauses cut at every comma, colon and bracket too: one statement each, for alignment."""
    return [m.group(0).strip() for m in _PIECE.finditer(text)]


def reference_conflicts(claims: list[tuple[int, int, str]], reference: str, question: str
                        ) -> list[tuple[float, tuple[int, int], str, str]]:
    """(alignment, claim span, reference clause, why) for every piece of the answer that restates a clause
    of the reference and contradicts it (``clause_conflict``), strongest first."""
    reference = reference[:REFERENCE_CHARS]
    ref_pieces = _pieces(reference)
    out = []
    for s0, _e0, text in claims:
        for m in _PIECE.finditer(text):
            piece = m.group(0)
            found = max(((*clause_conflict(piece, rp, reference, question), rp) for rp in ref_pieces),
                        default=(0.0, "", ""))
            if found[0] > 0:
                out.append((found[0], (s0 + m.start(), s0 + m.end()), found[2], found[1]))
    out.sort(key=lambda h: (-h[0], h[1]))
    return out
