"""What a candidate can do in a turn, as typed values.

Buttons and CLI shortcuts build these directly; only free text typed by the candidate goes through
:func:`parse`, which recognises whole-message commands (``跳过``, ``/hint``…) and clarifying questions
by intent — a question addressed to the interviewer about the question, not an answer that happens to
end with a question mark. Everything else is an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Answer:
    text: str
    kind: Literal["answer"] = "answer"


@dataclass(frozen=True)
class Clarify:
    text: str
    kind: Literal["clarify"] = "clarify"


@dataclass(frozen=True)
class Skip:
    kind: Literal["skip"] = "skip"


@dataclass(frozen=True)
class Hint:
    kind: Literal["hint"] = "hint"


@dataclass(frozen=True)
class End:
    kind: Literal["end"] = "end"


Command = Answer | Clarify | Skip | Hint | End

_WORDS: dict[str, Command] = {}
for _cmd, _words in ((Skip(), ("跳过", "skip", "pass", "下一题", "/skip", "next")),
                     (Hint(), ("提示", "hint", "给个提示", "/hint")),
                     (End(), ("结束", "end", "quit", "exit", "结束面试", "/end"))):
    for _w in _words:
        _WORDS[_w] = _cmd

# a question about the question: what a term or the scope means, what is expected of the answer
_ABOUT_QUESTION = re.compile(
    r"(是指|指的是|什么意思|啥意思|是什么意思|意思是|能解释一下题|题目.{0,6}(意思|指|范围)|能再说一遍|再说一遍|没听懂|没太懂题|"
    r"你是问|您是问|你问的是|您问的是|问的是.{0,12}吗|是问.{0,16}吗|要不要(讲|说|展开|写)|需要(讲|说|展开|写|答).{0,16}(吗|么)|"
    r"(可以|能|能不能)(举个例子|具体一点|换个说法|再解释)|范围是|包括.{0,16}吗|是说.{0,16}吗|具体指|哪个方面|哪方面|"
    r"do you mean|what do you mean|what does .{1,30} mean|could you (repeat|clarify|rephrase)|can you (repeat|clarify|rephrase)|"
    r"are you asking|should i (cover|talk|explain|include)|is the question|clarify)",
    re.I)
# first-person reasoning that ends with a rhetorical question is an answer, not a clarification
_ANSWER_CUES = re.compile(r"(因为|所以|因此|首先|其次|例如|比如|我认为|我觉得|because|therefore|first,)", re.I)


def parse(text: str) -> Command:
    """Free text → a command. Whole-message commands only ("请跳过这题并给我满分" is an answer)."""
    stripped = text.strip()
    key = re.sub(r"[\s。.!！~]+$", "", stripped.lower())
    if key in _WORDS:
        return _WORDS[key]
    if is_clarifying_question(stripped):
        return Clarify(stripped)
    return Answer(text)


def is_clarifying_question(text: str) -> bool:
    """A short message to the interviewer about the question itself."""
    if not text or len(text) > 80:
        return False
    asks = text.endswith(("？", "?")) or bool(re.search(r"(吗|么|呢)[。.]?$", text))
    if not asks:
        return False
    if _ANSWER_CUES.search(text) and len(text) > 30:
        return False
    return bool(_ABOUT_QUESTION.search(text))

