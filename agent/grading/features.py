"""What the calibrated grader looks at, computed deterministically from an answer and the material.

Per key point: lexical coverage by the whole answer (the point's text or any of its aliases, glossary-
canonical tokens weighted by IDF; words the question contains count for nothing). Per claim and
misconception: how much of the misconception the claim states, and how much of what sets it apart
from the right point ("最小值" where the point says "最大值"), against the claim's support for the
point itself. Slots: literal right / wrong values. Exemplars: char-bigram TF-IDF nearest neighbours
with their scores, shrunk toward the item's prior when none is near. The document's own reference
(agent/grading/reference.py): how fully the answer recites it, clause by clause, and any clause it says the
other way round. Cues: negation, hedging, antonym swaps against the best-supported point. For
answers that are mostly not Chinese the multilingual embedding adds the same views (point / misconception
margin, nearest exemplars). Everything is a number in ``Features.vector()``; the evidence spans behind
them travel in ``Features`` too, so the grade can quote the answer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from agent.grading.claims import Claim, antonym_swap, hedges, negated, negates_near, split_claims
from agent.grading.coverage import IdfTable, canonical_tokens, cjk_bigrams
from agent.grading.model import GradingContext, ReferencePoint
from agent.grading.neighbours import (
    BEYOND_KNN_TAU,
    beyond_cosine,
    bigram_cosine,
    knn,
    wrong_margin,
)
from agent.grading.ordered import is_latin, order_kept, ordered_support, ordered_tokens
from agent.grading.reference import reference_conflicts, reference_features, said_in_reference
from agent.grading.signals import cjk_ratio, content_chars, has_depth, is_keyword_list
from knowledge.embeddings import Embedder
from knowledge.schema import Exemplar, Misconception, Slot

FEATURES: tuple[str, ...] = (
    "bias", "coverage", "coverage_soft", "main_coverage", "knn", "knn_sim", "knn_wrong_margin",
    "mis_strength", "mis_lexical", "mis_dense_margin", "mis_core", "slot_wrong", "slot_right", "contra", "hedge", "length", "short", "depth",
    "echo", "keyword_list", "non_chinese", "dense_coverage", "dense_mis_margin", "dense_knn", "no_material",
    "relevance", "relevance_top", "cov_x_knn", "knn_high", "reference_cov", "beyond_wrong_margin", "beyond_knn",
    "ref_recall", "ref_clause_min", "ref_precision", "ref_contra",
)


@dataclass(frozen=True)
class PointView:
    point: ReferencePoint
    coverage: float
    evidence: tuple[int, int] | None


@dataclass(frozen=True)
class MisconceptionHit:
    misconception: Misconception
    strength: float
    span: tuple[int, int]
    core: bool


@dataclass(frozen=True)
class SlotHit:
    slot: Slot
    wrong: bool
    span: tuple[int, int] | None


@dataclass(frozen=True)
class ReferenceConflict:
    """An answer claim that restates a clause of the document's reference and says its opposite."""

    span: tuple[int, int]
    clause: str
    why: str
    alignment: float
    point: str | None
    core: bool


@dataclass
class Features:
    values: dict[str, float] = field(default_factory=dict)
    points: list[PointView] = field(default_factory=list)
    misconceptions: list[MisconceptionHit] = field(default_factory=list)
    slots: list[SlotHit] = field(default_factory=list)
    conflicts: list[ReferenceConflict] = field(default_factory=list)
    verbatim_share: float = 0.0
    """Share of the answer's claims (by length) that are word for word in the reference (1.0 with no claims);
    not a model feature: the grader's `reference_restated` rule reads it."""

    def vector(self) -> np.ndarray:
        return np.array([self.values.get(n, 0.0) for n in FEATURES], dtype=np.float64)


# --------------------------------------------------------------------------------------------
def _specific(text: str, question_tokens: frozenset[str]) -> frozenset[str]:
    toks = canonical_tokens(text)
    return (toks - question_tokens) or toks


def support(target: str, tokens: frozenset[str], text: str, question_tokens: frozenset[str], idf: IdfTable) -> float:
    """How much of ``target`` (its specific words, IDF-weighted; its char bigrams) ``text`` states."""
    spec = _specific(target, question_tokens)
    total = math.fsum(idf.weight(t) for t in spec)
    if total <= 0:
        return 0.0
    token_cov = math.fsum(idf.weight(t) for t in spec & tokens) / total
    grams = cjk_bigrams(target)
    bigram_cov = len(grams & cjk_bigrams(text)) / len(grams) if grams else 0.0
    return max(token_cov, 0.85 * bigram_cov)


def _variants(pt: ReferencePoint) -> list[str]:
    return [pt.text, *pt.aliases]


def _best_claim(target_tokens: frozenset[str], claims: list[Claim], claim_tokens: list[frozenset[str]],
                idf: IdfTable) -> int | None:
    best, best_score = None, 0.0
    for n, ct in enumerate(claim_tokens):
        sc = math.fsum(idf.weight(t) for t in target_tokens & ct)
        if sc > best_score:
            best, best_score = n, sc
    return best


def _distinct_words(wording: str, point_text: str, question_tokens: frozenset[str]) -> frozenset[str]:
    """Words of a wording of the misconception that the right point does not use (what makes it wrong)."""
    return (canonical_tokens(wording) - canonical_tokens(point_text)) - question_tokens


@lru_cache(maxsize=20000)
def slot_pattern(form: str) -> re.Pattern[str] | None:
    """A slot value as a pattern: case and spaces ignored, punctuation kept (``X^T`` is not ``xt``), and a
    value that starts or ends with a Latin letter or digit must not be part of a longer word (``min`` is
    not found in ``minimize``, ``4-bit`` not in ``14-bit``)."""
    form = unicodedata.normalize("NFKC", form).strip().lower()
    chars = [c for c in form if not c.isspace()]
    if not chars:
        return None
    body = r"\s*".join(re.escape(c) for c in chars)
    head = r"(?<![a-z0-9])" if chars[0].isascii() and chars[0].isalnum() else ""
    tail = r"(?![a-z0-9])" if chars[-1].isascii() and chars[-1].isalnum() else ""
    return re.compile(head + body + tail)


def find_form(forms: tuple[str, ...], answer: str) -> tuple[int, int] | None:
    text = unicodedata.normalize("NFKC", answer).lower()
    for f in forms:
        pat = slot_pattern(f)
        m = pat.search(text) if pat else None
        if m:
            return m.span()
    return None


def _slot_says_right(slot: Slot, text: str) -> bool:
    return find_form(slot.right, text) is not None and find_form(slot.wrong, text) is None


def _slot_hits(slots: tuple[Slot, ...], answer: str) -> list[SlotHit]:
    out = []
    for s in slots:
        if find_form(s.right, answer) is not None:
            out.append(SlotHit(s, False, None))
            continue
        span = find_form(s.wrong, answer)
        if span is not None:
            out.append(SlotHit(s, True, span))
    return out


# --------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------
_CONSEQUENCE = re.compile(r"[，,；;]\s*(?:所以|因此|因而|从而|于是|这样)")
MIN_HEAD_CHARS = 8


def _with_heads(wordings: tuple[str, ...]) -> list[str]:
    """The wordings, plus the head of each that states a wrong claim and then its consequence ("Decoder-only 的注意力
    是双向的，所以理解能力更强" → "Decoder-only 的注意力是双向的"): the claim alone is the mistake."""
    out = list(wordings)
    for w in wordings:
        m = _CONSEQUENCE.search(w)
        if m and content_chars(w[:m.start()]) >= MIN_HEAD_CHARS and w[:m.start()] not in out:
            out.append(w[:m.start()])
    return out


ORDER_MARGIN = 0.15
"""A Chinese wording of a misconception is not stated by a claim that keeps the linked point's word order
this much better than the wording's."""


def compute(question: str, answer: str, ctx: GradingContext, idf: IdfTable, embedder: Embedder | None = None,
            exclude_exemplar: str | None = None, relevance: float | None = None) -> Features:
    """All features of one answer. ``exclude_exemplar`` leaves one exemplar out of the neighbours
    (training on the exemplars themselves); ``relevance`` is the item's BM25 share for the answer
    (agent/grading/relevance.py), 1.0 when unknown."""
    f = Features(values=dict.fromkeys(FEATURES, 0.0))
    v = f.values
    v["bias"] = 1.0
    question_tokens = canonical_tokens(question) if question else frozenset()
    answer_tokens = canonical_tokens(answer)
    claims = split_claims(answer)
    claim_tokens = [canonical_tokens(c.text) for c in claims]
    claim_english = [cjk_ratio(c.text) < 0.3 for c in claims]
    chinese = cjk_ratio(answer) >= 0.3

    # key points --------------------------------------------------------------------------------
    weights, covs, softs = [], [], []
    for pt in ctx.points:
        cov = max(support(t, answer_tokens, answer, question_tokens, idf) for t in _variants(pt))
        for alt in pt.alternates[:6]:
            if cov >= 0.6:
                break
            cov = max(cov, 0.8 * support(alt, answer_tokens, answer, question_tokens, idf))
        best = _best_claim(_specific(pt.text, question_tokens), claims, claim_tokens, idf)
        ev = (claims[best].start, claims[best].end) if best is not None and cov > 0.2 else None
        f.points.append(PointView(pt, cov, ev))
        weights.append(pt.weight)
        covs.append(1.0 if cov >= 0.5 else 0.5 if cov >= 0.25 else 0.0)
        softs.append(min(cov, 1.0))
    if weights:
        wsum = sum(weights)
        v["coverage"] = sum(w * c for w, c in zip(weights, covs, strict=True)) / wsum
        v["coverage_soft"] = sum(w * c for w, c in zip(weights, softs, strict=True)) / wsum
        top = max(weights)
        mains = [c for w, c in zip(weights, softs, strict=True) if w >= top]
        v["main_coverage"] = sum(mains) / len(mains)

    # misconceptions, per claim -------------------------------------------------------------------
    by_id = {pt.id.split("/")[-1]: pt for pt in ctx.points}
    top_weight = max((pt.weight for pt in ctx.points), default=1.0)
    candidates: list[MisconceptionHit] = []
    in_reference = [bool(ctx.reference_text) and said_in_reference(c.text, ctx.reference_text, ctx.reference_errors)
                    for c in claims]
    claim_chars = sum(len(c.text) for c in claims)
    f.verbatim_share = (sum(len(c.text) for c, said in zip(claims, in_reference, strict=True) if said) / claim_chars
                        if claim_chars else 1.0)
    for m in ctx.misconceptions:
        linked = by_id.get(m.point) if m.point else None
        point_text = linked.text if linked else " ".join(pt.text for pt in ctx.points)
        right_words = point_text + " " + " ".join(linked.aliases if linked else ())
        # each wording of the misconception (its text, its aliases — other words, English) with the words that
        # set that wording apart from the right point: what makes it wrong
        wordings = []
        full = (m.text, *m.aliases)
        for text in _with_heads(full):
            distinct = _distinct_words(text, right_words, question_tokens)
            subject = ordered_tokens(text)[0] if text not in full and ordered_tokens(text) else None
            wordings.append((text, distinct, math.fsum(idf.weight(t) for t in distinct), is_latin(text), subject))
        right_en = [a for a in (linked.aliases if linked else ()) if is_latin(a) and len(a.split()) >= 3]
        right_zh = [t for t in ((linked.text, *linked.aliases) if linked else ()) if not is_latin(t)]
        decided = [s for s in ctx.slots if m.point and s.point == m.point]
        core = linked is None or linked.weight >= top_weight
        for c, ct, english, said in zip(claims, claim_tokens, claim_english, in_reference, strict=True):
            if said:
                continue  # the document's reference says this, word for word
            if any(_slot_says_right(s, c.text) for s in decided):
                continue  # the deterministic check on this point finds the claim right (A=Q−V is not "A=V−Q")
            right_sup: float | None = None
            right_order: float | None = None
            strongest = 0.0
            for text, distinct, dist_total, latin, subject in wordings:
                if latin and not english:
                    continue  # English wordings are matched in order, against English claims only
                if subject is not None and subject not in ordered_tokens(c.text):
                    continue  # a head alone says little: only of its own subject
                stated = (ordered_support(text, c.text, question_tokens, idf) if latin
                          else support(text, ct, c.text, question_tokens, idf))
                if stated < 0.3:
                    continue
                if not latin and right_zh:
                    # the same words in the right point's order are the right point ("swap" misconceptions)
                    if right_order is None:
                        right_order = max(order_kept(r, c.text, idf)[1] for r in right_zh)
                    if right_order >= order_kept(text, c.text, idf)[1] + ORDER_MARGIN:
                        continue
                if right_sup is None:
                    right_sup = support(linked.text, ct, c.text, question_tokens, idf) if linked else 0.0
                    if english:
                        right_sup = max([right_sup, *(ordered_support(a, c.text, question_tokens, idf) for a in right_en)])
                apart = math.fsum(idf.weight(t) for t in distinct & ct) / dist_total if dist_total > 0 else 0.5
                strength = stated * (0.25 + 0.75 * apart) - 0.3 * max(0.0, right_sup - stated)
                if negates_near(c.text, [t for t in distinct if not t.startswith("§")] or [text[:4]]):
                    strength *= 0.3
                strongest = max(strongest, strength)
            if strongest > 0:
                candidates.append(MisconceptionHit(m, strongest, (c.start, c.end), core))
    candidates.sort(key=lambda h: (-h.strength, h.misconception.id, h.span))
    if candidates:
        chosen: MisconceptionHit | None = candidates[0]
        v["mis_lexical"] = candidates[0].strength
        if embedder is not None and candidates[0].strength >= DENSE_MIN and chinese:
            chosen = _dense_check(candidates, answer, ctx, embedder, v)
        if chosen is not None:
            f.misconceptions.append(chosen)
            v["mis_strength"] = chosen.strength
            v["mis_core"] = chosen.strength if chosen.core else 0.0
    # slots -------------------------------------------------------------------------------------------
    f.slots = _slot_hits(ctx.slots, answer)
    if ctx.slots:
        v["slot_wrong"] = float(sum(1 for s in f.slots if s.wrong))
        v["slot_right"] = sum(1 for s in f.slots if not s.wrong) / len(ctx.slots)

    # contradictions: a claim that states a point's words with a swapped antonym or a negation -------
    contra = 0.0
    for pt in ctx.points:
        spec = _specific(pt.text, question_tokens)
        best = _best_claim(spec, claims, claim_tokens, idf)
        if best is None:
            continue
        c = claims[best]
        sup = support(pt.text, claim_tokens[best], c.text, question_tokens, idf)
        if sup < 0.4:
            continue
        swapped = antonym_swap(c.text, pt.text)
        if swapped or negated(c.text, pt.text):
            contra = max(contra, sup * (pt.weight / top_weight))
    v["contra"] = contra

    # exemplars -----------------------------------------------------------------------------------------
    exemplars = [e for e in ctx.exemplars if e.answer != exclude_exemplar]
    if exemplars:
        sims = [bigram_cosine(answer, e.answer) for e in exemplars]
        v["knn"], v["knn_sim"] = knn(sims, [e.score for e in exemplars])
        v["knn_wrong_margin"] = wrong_margin(sims, exemplars)
        if ctx.reference_text:
            ref = ctx.reference_text[:1500] + "\n" + question
            bsims = [beyond_cosine(answer, e.answer, ref) for e in exemplars]
            v["beyond_wrong_margin"] = wrong_margin(bsims, exemplars)
            v["beyond_knn"] = knn(bsims, [e.score for e in exemplars], tau=BEYOND_KNN_TAU)[0]
    else:
        v["no_material"] = 1.0

    # form -----------------------------------------------------------------------------------------------
    chars = content_chars(answer)
    v["length"] = min(math.log1p(chars) / math.log1p(400), 1.5)
    v["short"] = 1.0 if chars < 40 else 0.0
    v["depth"] = 1.0 if has_depth(answer) else 0.0
    v["hedge"] = min(hedges(answer), 3) / 3
    v["keyword_list"] = 1.0 if is_keyword_list(answer) else 0.0
    echo_sources = [question, *ctx.echo_of]
    v["echo"] = max((echo_share(answer, s) for s in echo_sources if s), default=0.0)

    # other languages: the multilingual embedding ------------------------------------------------------
    if not chinese:
        v["non_chinese"] = 1.0
        # e5 similarity of very short or markup-only text is inflated (0.84–0.87 to anything)
        if embedder is not None and ctx.points and len(re.findall(r"[A-Za-z]{2,}", re.sub(r"<[^>]*>", " ", answer))) >= 5:
            _dense(f, answer, ctx, embedder, exemplars)
            # Chinese exemplars and points are out of reach of the bigram and token views
            v["knn"] = v.get("dense_knn", v.get("knn", 0.0))
            v["coverage"] = max(v.get("coverage", 0.0), v.get("dense_coverage", 0.0))
            v["coverage_soft"] = max(v.get("coverage_soft", 0.0), v.get("dense_coverage", 0.0))
    if ctx.reference_text:
        v["reference_cov"] = support(ctx.reference_text[:1500], answer_tokens, answer, question_tokens, idf)
        v.update(reference_features(answer, ctx.reference_text, question))
        found = reference_conflicts([(c.start, c.end, c.text) for c in claims], ctx.reference_text, question)
        for al, span, clause, why in found[:1]:
            linked = _linked_point(clause, ctx, question_tokens, idf)
            f.conflicts.append(ReferenceConflict(span, clause, why, al, linked.id.split("/")[-1] if linked else None,
                                                 linked is None or linked.weight >= top_weight))
            v["ref_contra"] = al
    rel = 1.0 if relevance is None else relevance
    v["relevance"] = rel
    v["relevance_top"] = 1.0 if rel >= 0.999 else 0.0
    v["cov_x_knn"] = v["coverage_soft"] * v["knn"] / 10
    v["knn_high"] = max(v["knn"] - 7.0, 0.0)
    # rounded: embeddings computed in another batch differ in the last bits; features (and the model
    # trained on them) must not
    for name in FEATURES:
        v[name] = round(float(v[name]), 5)
    return f


def _linked_point(clause: str, ctx: GradingContext, question_tokens: frozenset[str], idf: IdfTable
                  ) -> ReferencePoint | None:
    """The key point a reference clause states (the best-supported one, if any supports it at all)."""
    tokens = canonical_tokens(clause)
    scored = [(max(support(t, tokens, clause, question_tokens, idf) for t in _variants(pt)), pt) for pt in ctx.points]
    best = max(scored, key=lambda x: x[0], default=(0.0, None))
    return best[1] if best[0] >= 0.3 else None


DENSE_CLAIMS = 1
"""At most this many candidate claims per answer are embedded (one short e5 pass, ~10–15 ms on 2 cores)."""
DENSE_MIN = 0.35
"""Only a lexical candidate at least this strong is checked with the embedding (speed: most answers need none)."""


def _dense_check(candidates: list[MisconceptionHit], answer: str, ctx: GradingContext, embedder: Embedder,
                 v: dict[str, float]) -> MisconceptionHit | None:
    """Does the claim say the misconception or the right point? The e5 margin between the two decides
    (cosines crowd near 0.95, a margin does not): a candidate whose claim is closer to a key point than
    to the misconception is dropped. Returns the strongest candidate that survives."""
    spans: list[tuple[int, int]] = []
    for h in candidates:
        if h.span not in spans:
            spans.append(h.span)
        if len(spans) == DENSE_CLAIMS:
            break
    kept = [h for h in candidates if h.span in spans]
    mis_texts = list(dict.fromkeys(h.misconception.text for h in kept))
    point_texts = [pt.text for pt in ctx.points]
    claim_texts = [answer[s:e][:200] for s, e in spans]
    vecs = embedder.passages([*claim_texts, *mis_texts, *point_texts])
    cv, mv, pv = vecs[:len(spans)], vecs[len(spans):len(spans) + len(mis_texts)], vecs[len(spans) + len(mis_texts):]
    best: MisconceptionHit | None = None
    best_margin = -1.0
    for h in kept:
        ci, mi = spans.index(h.span), mis_texts.index(h.misconception.text)
        margin = float(cv[ci] @ mv[mi] - (np.max(pv @ cv[ci]) if len(pv) else 0.0))
        best_margin = max(best_margin, margin)
        if margin > 0 and (best is None or h.strength > best.strength):
            best = h
    v["mis_dense_margin"] = max(min(best_margin, 0.1), -0.1) * 10
    return best


def echo_share(answer: str, said: str) -> float:
    """Share of the answer's words that only restate what was said to the candidate."""
    a = canonical_tokens(answer)
    if not a:
        return 0.0
    return len(a & canonical_tokens(said)) / len(a)


DENSE_KNN_TAU = 0.04
"""The pseudo-neighbour of ``dense_knn``, whose similarities are margins over the mean (+0.05)."""


def _dense(f: Features, answer: str, ctx: GradingContext, embedder: Embedder, exemplars: list[Exemplar]) -> None:
    texts = [answer[:600], *[pt.text for pt in ctx.points], *[m.text for m in ctx.misconceptions],
             *[e.answer[:600] for e in exemplars]]  # the material's vectors are shipped (agent/grading/vectors.py)
    vecs = embedder.passages(texts)
    a = vecs[0]
    n_p, n_m = len(ctx.points), len(ctx.misconceptions)
    pts = vecs[1:1 + n_p] @ a
    f.values["dense_coverage"] = float(np.clip((np.mean(pts) - 0.78) / 0.1, 0, 1.5))
    if n_m:
        mis = vecs[1 + n_p:1 + n_p + n_m] @ a
        f.values["dense_mis_margin"] = float(np.max(mis) - np.max(pts))
    if exemplars:
        sims = (vecs[1 + n_p + n_m:] @ a).tolist()
        # cosines crowd near 0.9: neighbours by margin over the mean
        base = float(np.mean(sims))
        f.values["dense_knn"] = knn([max(s - base + 0.05, 0.0) for s in sims], [e.score for e in exemplars],
                                    tau=DENSE_KNN_TAU)[0]
