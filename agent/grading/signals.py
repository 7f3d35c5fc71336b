"""Pure detectors over an answer's text: injection, empty, keyword lists, language, negation."""

from __future__ import annotations

import re
import unicodedata

MAX_GRADED_CHARS = 6000
"""Longer answers are graded on their first MAX_GRADED_CHARS characters and flagged `truncated`."""

_INJECTION = [
    r"忽略(?:掉)?(?:以上|之前|前面|上面|上述|所有|你的|系统)[^。\n]{0,12}(?:规则|指令|要求|设定|提示|评分)",
    r"(?:给|打|评)(?:我|本题|这道题|这个回答|本回答)?(?:一个)?(?:满分|10\s*分|十分|100\s*分|优秀)",
    r"(?:请|直接|务必|必须)[^。\n]{0,10}(?:给|打|评)[^。\n]{0,6}(?:满分|10\s*分|十分|优秀|高分)",
    r"评分(?:系统|器|模型|程序|员)[^。\n]{0,20}(?:给|打|评|输出|设置|注意|提示)",
    r"(?:score|分数|得分|评分)\s*[\"'”]?\s*[:=：]\s*[\"'“]?\s*(?:10|十|100|满分)",
    r"ignore\s+(?:all\s+)?(?:the\s+)?(?:previous|prior|above|earlier|your)\s+(?:instructions|rules|prompts?)",
    r"\bnote\s+to\s+the\s+(?:grader|evaluator|scorer)\b",
    r"\b(?:give|award|grant|assign|output|rate)\b[^.\n]{0,30}\b(?:full\s+marks|10\s*/\s*10|score\s*(?:of\s*)?10|perfect\s+score|10\s+points)",
    r"you\s+are\s+now\b|\bdebug\s+mode\b|\bdeveloper\s+mode\b",
    r"(?:^|[\s.。])(?:system|assistant|grader)\s*[:：]",
    r"\b(?:set|make)\s+(?:the\s+)?(?:label|score|grade)\s*(?:=|to)\s*10",
    r"(?:自动|一律|直接|都应)(?:给|得|判|评)?(?:满分|10\s*分|优秀)",
    r"</?\s*(?:answer|system|instruction|grade|score)\s*>",
    r"(?:以上|本)(?:答案|回答)(?:为|是|已(?:由|被))[^。\n]{0,10}(?:标准答案|专家审核|满分)",
    r"(?:我是|本人是)[^。\n]{0,10}(?:内推|面试官|管理员|考官)[^。\n]{0,10}(?:满分|通过|高分)",
    r"(?:评分|打分)(?:规则|标准)(?:补充|更新|第\s*\d+\s*条)",
]
_INJECTION_RE = re.compile("|".join(f"(?:{p})" for p in _INJECTION), re.I | re.M)
_SEGMENT = re.compile(r"(?:[^。！？!?\n；;.]|\.(?!\s|$))+(?:[。！？!?；;]|\.(?=\s|$))?|\n|\.")

_EMPTY = re.compile(
    r"^(?:不知道|不清楚|不会|不懂|不了解|没准备|没有准备|忘了|忘记了|跳过|略|pass|skip|n/?a|idk|i\s*don'?t\s*know|"
    r"no\s*idea|不太清楚|这题不会|这个不会|不记得了|没学过|无|空|\?+|？+|…+|\.+|e+m+|嗯+|啊+)(?:下一题吧?|换一题吧?|过吧?)?$",
    re.I,
)
_FILLER = re.compile(r"^(?:emm+|嗯+|呃+|额+|啊+|这个|那个|就是|我觉得|好像|可能)+", re.I)

def strip_injection(answer: str) -> tuple[str, bool]:
    """Remove sentences aimed at the grader rather than the question. Returns (rest, found)."""
    if not _INJECTION_RE.search(answer):
        return answer, False
    kept = [seg for seg in _SEGMENT.findall(answer) if not _INJECTION_RE.search(seg)]
    rest = "".join(kept).strip().strip("-").strip()
    rest = re.sub(r"[{}\[\]]*\s*\"?(?:score|grade|verdict)\"?\s*[:：][^,，}\n]*[,，]?", "", rest, flags=re.I)
    return rest.strip(), True


def content_chars(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def is_empty(answer: str) -> bool:
    compact = re.sub(r"[\s，,。.!！、~～]+", "", unicodedata.normalize("NFKC", answer)).lower()
    compact = _FILLER.sub("", compact)
    if content_chars(compact) <= 1:
        return True
    if _EMPTY.match(compact):
        return True
    return bool(re.fullmatch(r"(?:emm+|嗯+|呃+)?(?:这个)?(?:我)?(?:不知道|不会|没准备(?:这个|这题)?|不清楚|忘了)(?:这个|这题)?(?:吧|啊|呢)?", compact))


def cjk_ratio(text: str) -> float:
    """Share of Chinese in the text, counting a Chinese character and a Latin word alike."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    words = len(re.findall(r"[A-Za-z]+", text))
    return cjk / (cjk + words) if cjk + words else 0.0


_PREDICATE = re.compile(r"(更|较|擅长|调整|规避|建模|依赖|适合|不稳|[强弱高低快慢大小]$)")


def is_keyword_list(answer: str) -> bool:
    """Terms separated by 、，/ or line breaks with no sentence structure ("RoPE、外推、旋转")."""
    text = answer.strip()
    if not text or len(text) > 200:
        return False
    parts = [p.strip(" -*•") for p in re.split(r"[、，,；;|\n]+|\s{2,}|\s+(?=[A-Za-z\u4e00-\u9fff])(?<=[A-Za-z])", text) if p.strip(" -*•。.")]
    if len(parts) < 3:
        return False
    def term_like(p: str) -> bool:
        if re.search(r"\S\s*[：:]\s*\S", p):  # "FP16：快但容易溢出" explains a term
            return False
        cjk = sum(1 for ch in p if "\u4e00" <= ch <= "\u9fff")
        words = len(re.findall(r"[A-Za-z0-9][A-Za-z0-9\-_.]*", p))
        if _PREDICATE.search(p):  # "Pre-LN 更稳定", "CNN 擅长局部特征", "归纳偏置弱": says something of a term
            return False
        return cjk <= 8 and words <= 3 and content_chars(p) <= 24

    short = sum(1 for p in parts if term_like(p))
    verbs = re.search(r"(因为|所以|导致|使得|通过|可以|能够|会|用于|是为了|就是|由于|避免|防止|让|把|被|将|需要|因此|如果|"
                      r"一个|差不多|的|了|是|\bbecause\b|\bso that\b|\bwhich\b|\bis\b|\bare\b|\bmakes?\b)", text, re.I)
    return short / len(parts) >= 0.8 and not verbs


def has_depth(answer: str) -> bool:
    """Formulas, numbers, complexity or trade-off language: material for a depth bonus."""
    return bool(re.search(r"(=|√|O\(|\d+\s*(?:倍|%|bit|GB|MB|B\b|k\b)|推导|公式|相比|取舍|权衡|而|trade-?off|代价|缺点|局限)", answer))


def segments(answer: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentences/clauses, for verbatim evidence."""
    spans = []
    for m in re.finditer(r"[^。！？!?\n；;，,]+", answer):
        s, e = m.span()
        while s < e and answer[s].isspace():
            s += 1
        while e > s and answer[e - 1].isspace():
            e -= 1
        if e - s >= 2:
            spans.append((s, e))
    return spans

