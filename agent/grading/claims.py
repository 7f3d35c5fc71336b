"""An answer split into claims (sentences and clauses) with their spans, and the cues inside a claim:
negation, hedging, and antonym swaps against a key point (the words that turn a right claim wrong)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_CLAIM = re.compile(r"[^。！？!?\n；;]+")
_NEGATION = re.compile(r"(不是|并不|并非|没有|不会|不能|无法|不需要|无需|不用|不必|而非|不等于|不等同|不同于|不意味着|不代表|\bnot\b|\bno\b|\bnever\b|n't\b|\bwithout\b)",
                       re.I)
_HEDGE = re.compile(r"(可能|好像|大概|也许|应该是|不太确定|我猜|记不清|似乎|差不多吧|\bmaybe\b|\bprobably\b|\bi think\b|"
                    r"\bi guess\b|\bnot sure\b)", re.I)
ANTONYMS: tuple[tuple[str, str], ...] = (
    ("增大", "减小"), ("变大", "变小"), ("增加", "减少"), ("提高", "降低"), ("上升", "下降"), ("上溢", "下溢"),
    ("最大", "最小"), ("更大", "更小"), ("变长", "变短"), ("加快", "减慢"), ("更快", "更慢"), ("打开", "关闭"),
    ("开启", "关闭"), ("启用", "禁用"), ("之前", "之后"), ("前面", "后面"), ("左乘", "右乘"), ("稀疏", "稠密"),
    ("线性", "平方"), ("消失", "爆炸"), ("冻结", "更新"), ("训练时", "推理时"), ("保留", "丢弃"), ("放大", "缩小"),
    ("大于", "小于"), ("相同", "不同"), ("共享", "独立"), ("串行", "并行"),
    ("increase", "decrease"), ("larger", "smaller"), ("faster", "slower"), ("before", "after"), ("max", "min"),
    ("overflow", "underflow"), ("enable", "disable"), ("training", "inference"), ("more", "less"), ("higher", "lower"),
    ("vanishing", "exploding"), ("sparse", "dense"), ("linear", "quadratic"),
)
_ANTI: dict[str, str] = {}
for _a, _b in ANTONYMS:
    _ANTI.setdefault(_a, _b)
    _ANTI.setdefault(_b, _a)


@dataclass(frozen=True)
class Claim:
    start: int
    end: int
    text: str


def split_claims(answer: str, min_chars: int = 3) -> list[Claim]:
    """Sentences (。！？；, an English full stop, line breaks); a long sentence is split again on ，/, so each claim holds
    about one statement. Spans index the original answer, for verbatim evidence."""
    out: list[Claim] = []
    for s, e in _sentences(answer):
        pieces = [(s, e)]
        if e - s > 60:
            pieces = [(s + a.start(), s + a.end()) for a in re.finditer(r"[^，,]+", answer[s:e])]
            pieces = _merge_short(pieces, answer)
        for ps, pe in pieces:
            while ps < pe and answer[ps].isspace():
                ps += 1
            while pe > ps and answer[pe - 1].isspace():
                pe -= 1
            if sum(ch.isalnum() for ch in answer[ps:pe]) >= min_chars:
                out.append(Claim(ps, pe, answer[ps:pe]))
    return out


_EN_STOP = re.compile(r"(?<=[A-Za-z0-9)\]\"'])\.\s+(?=[A-Z(\"'])")
"""An English full stop: after a word, before the capital of the next sentence (not 0.5, not e.g. the)."""


def _sentences(answer: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for m in _CLAIM.finditer(answer):
        s, e = m.span()
        for stop in _EN_STOP.finditer(answer, s, e):
            out.append((s, stop.start()))
            s = stop.end()
        out.append((s, e))
    return out


def _merge_short(pieces: list[tuple[int, int]], answer: str) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in pieces:
        if merged and (e - s < 12 or merged[-1][1] - merged[-1][0] < 12):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def negated(claim: str, reference: str) -> bool:
    """The claim negates where the reference does not ("不会溢出" against "会溢出")."""
    return bool(_NEGATION.search(claim)) and not _NEGATION.search(reference)


def negates_near(claim: str, words: Iterable[str], window: int = 6) -> bool:
    """A negation cue ("不是", "并非", "not") shortly before one of ``words`` in the claim: the claim
    denies it ("不是减去最小值") rather than states it."""
    low = claim.lower()
    for w in words:
        pos = low.find(w.lower())
        while pos >= 0:
            if _NEGATION.search(low[max(0, pos - window):pos]):
                return True
            pos = low.find(w.lower(), pos + 1)
    return False


def hedges(answer: str) -> int:
    return len(_HEDGE.findall(answer))


def antonym_swap(claim: str, reference: str) -> str:
    """A word of the reference whose antonym the claim states instead (the claim lacks the word itself);
    empty when there is none. ("减去最小值" against "减去最大值" → "最大")."""
    low_c, low_r = claim.lower(), reference.lower()
    for word, anti in _ANTI.items():
        if word in low_r and anti in low_c and word not in low_c and anti not in low_r:
            return word
    return ""
