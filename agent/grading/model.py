"""The Grade every grader returns (rubric and LLM alike), and what a grader is given."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from knowledge.schema import Exemplar, MaterialOrigin, Misconception, QuestionItem, Slot

Verdict = Literal["优秀", "良好", "及格", "不及格"]
PointVerdict = Literal["covered", "partial", "missed"]

BANDS: tuple[tuple[float, Verdict], ...] = ((8.5, "优秀"), (7.0, "良好"), (6.0, "及格"), (0.0, "不及格"))
"""Score bands (eval/datasets/RUBRIC.md): 优秀 ≥ 8.5, 良好 7.0–8.4, 及格 6.0–6.9, 不及格 < 6."""

FLAGS = {
    "empty": "回答为空或表示不会",
    "off_topic": "答非所问",
    "injection": "回答中含有试图操纵评分的内容，已忽略",
    "keyword_list": "只罗列关键词、缺少解释",
    "superficial": "回答过于简短空泛",
    "truncated": "回答过长，只评了前面部分",
    "non_chinese": "非中文回答（按内容评分）",
    "no_reference": "题库中没有这道题的参考答案",
    "low_match": "与题库题目的匹配度低",
    "pitfall": "落入了常见坑位",
    "contradiction": "与参考答案的明确结论相矛盾",
    "misconception": "包含常见的错误说法",
    "uncertain": "离线评分把握不大，建议人工或大模型复核",
    "echo": "主要在复述题目或面试官的话",
    "derived_material": "这道题没有编写好的评分材料，按参考答案原文评分",
    "llm_clamped": "大模型的分数与它自己的判定不符，已按判定限定",
    "unverified_evidence": "大模型引用的原文在回答中找不到，已忽略",
    "llm_fallback": "大模型评分失败，已改用离线评分",
    "hint_used": "使用了提示，分数有上限",
    "reference_restated": "回答复述了题库的参考答案，按参考答案给分（至少 8 分；讲清还缺的要点可以更高）",
}


def verdict_for(score: float) -> Verdict:
    return next(v for low, v in BANDS if score >= low)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KeyPointResult(Frozen):
    id: str
    text: str
    verdict: PointVerdict
    evidence: str = ""
    """A verbatim span of the answer supporting the verdict, or empty."""
    source: str = ""


class Finding(Frozen):
    """A wrong claim found in the answer: the answer's own words, the misconception it states, and why."""

    text: str
    """Verbatim span of the answer."""
    claim: str
    why: str
    point: str | None = None
    core: bool = True
    slot: bool = False
    """Found by a deterministic check (a wrong slot value, or a clause of the reference said the opposite way),
    not by claim matching."""


class Grade(Frozen):
    score: float = Field(ge=0, le=10)
    verdict: Verdict
    key_points: tuple[KeyPointResult, ...] = ()
    pitfalls_hit: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    feedback: str = ""
    grader: str
    grader_version: str
    prompt_version: str = ""
    confidence: float = Field(default=1.0, ge=0, le=1)
    item_id: str | None = None
    misconceptions: tuple[Finding, ...] = ()
    references: tuple[str, ...] = ()
    """Sources to study, e.g. ``003:21 (003_….txt 第 63 行)``."""

    @property
    def covered(self) -> list[KeyPointResult]:
        return [k for k in self.key_points if k.verdict == "covered"]

    @property
    def missed(self) -> list[KeyPointResult]:
        return [k for k in self.key_points if k.verdict != "covered"]


class ReferencePoint(Frozen):
    id: str
    text: str
    source: str = ""
    weight: float = 1.0
    alternates: tuple[str, ...] = ()
    """Key points of the same question in other documents; one that says the same thing counts too."""
    aliases: tuple[str, ...] = ()
    """Authored other ways of stating this point (synonyms, English, formula)."""
    probe: str = ""


class GradingContext(Frozen):
    """Reference material for one answer: the item's own key points, or borrowed ones (related items,
    retrieved chunks) when it has none, plus pitfalls and the sources to cite."""

    points: tuple[ReferencePoint, ...] = ()
    pitfalls: tuple[str, ...] = ()
    reference_text: str = ""
    sources: tuple[str, ...] = ()
    borrowed: bool = False
    retrieved: bool = False
    """The points are claims from retrieved chunks (supporting material), not an answer key."""
    match_confidence: float = 1.0
    score_cap: float | None = None
    """An upper bound imposed by the flow (e.g. after a hint)."""
    misconceptions: tuple[Misconception, ...] = ()
    slots: tuple[Slot, ...] = ()
    exemplars: tuple[Exemplar, ...] = ()
    material: MaterialOrigin = "derived"
    """authored / generated material, or points derived from the reference text only."""
    reference_errors: tuple[str, ...] = ()
    """Passages of ``reference_text`` the material marks as wrong: they are not the answer key."""
    echo_of: tuple[str, ...] = ()
    """What the interviewer said to prompt this answer (the question, a probe, a hint): restating it earns nothing."""


class Grader(Protocol):
    name: str

    def grade(self, item: QuestionItem | None, answer: str, context: GradingContext) -> Grade: ...
