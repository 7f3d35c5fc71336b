"""Text judgements the generic parser makes about users' notes (pure functions, no structure).

- is this line a question (``question_like``), or a label, a prompt instruction, an interview
  step such as 自我介绍 / 反问, an empty placeholder (``junk_reason``)?
- an answer's own text: images become ``（原文含图片）``, HTML tags are dropped (``<br>`` breaks the
  line, ``<summary>`` labels go), an answer that is only links is no answer, trailing remarks
  (面试感受, 点赞收藏, Thanks for reading) are not part of it.
"""

from __future__ import annotations

import re

from knowledge.text import strip_markdown

IMAGE_NOTE = "（原文含图片）"

_INTERROGATIVE = re.compile(
    r"什么|为什么|为啥|如何|怎么|怎样|哪些|哪个|哪里|哪种|几种|几个|多少|多大|是否|能否|可否|有没有|是不是|会不会|能不能"
    r"|吗|区别|差异|异同|不同|对比|比较|优缺点|优势|劣势|好处|坏处|作用|原理|机制|意义|目的|影响|难点|瓶颈"
    r"|介绍一下|介绍下|请介绍|简单介绍|讲讲|讲一下|讲下|说说|说一下|谈谈|聊聊|解释|简述|描述|阐述|理解|看法"
    r"|手撕|手写|推导|证明|估算|排查|如何选|怎么选",
)
_EN_QUESTION = re.compile(
    r"^(what|why|how|when|where|which|who|explain|describe|compare|derive|implement|design|walk|tell|"
    r"is|are|does|do|can|could|should|would|will|did|give|list|name)\b|\b(difference|vs\.?|versus)\b",
    re.I,
)
_PROCESS = re.compile(
    r"^(?:先?做?个?自我介绍|自我介绍一下|反问.*|反问环节.*|聊项目|项目介绍|介绍项目|项目深挖|闲聊|hr\s*面.*|结束|面试结束.*"
    r"|手撕代码|算法题|算法题目|代码题|coding)$",
    re.I,
)
_PROCESS_PHRASES = re.compile(r"你有什么(?:想|要)?问(?:我|的)|有什么(?:问题)?想问(?:我|的)|今天就到这里|今天先到这")
_PROMPT = re.compile(
    r"^(?:请?(?:用|使用)?(?:中文|英文|汉语)(?:来)?(?:回答|作答|输出)|生成\s*\d+|输出.{0,12}格式|不要|禁止|每(?:道|句|条|个)"
    r"|字数|不超过\s*\d+|以\s*json|用\s*json|按照?以下|你是一[名个位])",
    re.I,
)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.I)
_HTML_BREAK = re.compile(r"<br\s*/?>", re.I)
_HTML_SUMMARY = re.compile(r"<summary\b[^>]*>.*?</summary>", re.I | re.S)
_HTML_TAG = re.compile(r"</?(?:p|div|span|font|details|summary|b|i|u|strong|em|center|sup|sub|small|big|mark|a|h[1-6]"
                       r"|table|thead|tbody|tr|td|th|ul|ol|li|section|article|blockquote|code|pre)\b[^>]*>", re.I)
_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)|<?https?://\S+>?|www\.\S+")
_LINK_LABEL = re.compile(r"^(?:参考|参见|详见|见|原文|链接|来源|出处|传送门|答案见|see|ref(?:erence)?s?|source|link)?\s*[:：]?\s*$", re.I)
_COMMENTARY = re.compile(
    r"面试官(?:人)?(?:挺|很|非常|比较|超|特别)(?:好|nice|和善|耐心|专业)|感觉(?:还行|不错|一般|良好|应该)|应该能过|希望能?过|等通知|"
    r"求(?:过|offer|oc)|许愿|攒人品|加油|祝(?:大家|各位)|点赞|收藏|欢迎关注|求关注|关注公众号|转载请|侵删|欢迎(?:指正|交流|留言)|"
    r"面试感受|面试体验|整体体验|整体感觉|以上就是|持续更新|未完待续|"
    r"thanks? for reading|feel free to|happy (?:learning|coding)|hope (?:this|it) helps",
    re.I,
)


def clean_question(text: str) -> str:
    """The question's words: Markdown, HTML tags and a trailing colon removed, spaces collapsed."""
    text = _HTML_TAG.sub("", _HTML_IMAGE.sub("", _MD_IMAGE.sub("", text)))
    text = strip_markdown(text).strip()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" \t*_")


def question_like(text: str) -> bool:
    t = text.strip()
    return t.endswith(("？", "?")) or bool(_INTERROGATIVE.search(t)) or bool(_EN_QUESTION.search(t))


def junk_reason(question: str) -> str | None:
    """Why a question-shaped line is not an interview question, or None when it may be one."""
    q = question.strip()
    bare = q.strip(" ：:。.!！~～")
    if not bare:
        return "空题目（只有编号，没有内容），已跳过"
    if _PROCESS.match(bare) or _PROCESS_PHRASES.search(q):
        return f"「{_short(q)}」是面试流程（自我介绍 / 反问等），不是题目"
    if _PROMPT.match(bare) and not q.endswith(("？", "?")):
        return f"「{_short(q)}」是提示词里的要求，不是题目"
    if q.endswith((":", "：")) and not question_like(q[:-1]):
        return f"「{_short(q)}」是标签或小标题，不是题目"
    if is_link_only([q]):
        return f"「{_short(q)}」只有链接，不是题目"
    if len(re.sub(r"\W", "", bare)) < 2:
        return f"「{_short(q)}」太短，不像题目"
    return None


def prompt_instruction(text: str) -> bool:
    return bool(_PROMPT.match(text.strip(" ：:。.")))


def clean_answer_line(line: str) -> str:
    """One answer line: images become the image note, HTML tags go (``<br>`` ends the line)."""
    line = _MD_IMAGE.sub(IMAGE_NOTE, line)
    line = _HTML_IMAGE.sub(IMAGE_NOTE, line)
    line = _HTML_BREAK.sub("\n", line)
    line = _HTML_SUMMARY.sub("", line)
    line = _HTML_TAG.sub("", line)
    return line.rstrip()


def clean_answer(lines: list[str]) -> list[str]:
    """Answer lines with images/HTML handled, repeated image notes merged, blank runs squeezed."""
    out: list[str] = []
    for raw in lines:
        for line in clean_answer_line(raw).split("\n"):
            if line.strip() == IMAGE_NOTE and out and _last_text(out) == IMAGE_NOTE:
                continue
            if not line.strip() and raw.strip() and not out:
                continue
            out.append(line.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    squeezed: list[str] = []
    for line in out:
        if not line.strip() and squeezed and not squeezed[-1].strip():
            continue
        squeezed.append(line)
    return squeezed


def _last_text(lines: list[str]) -> str:
    return next((ln.strip() for ln in reversed(lines) if ln.strip()), "")


def is_link_only(lines: list[str]) -> bool:
    """Only links (and a label such as 参考：) — a pointer to an answer, not an answer."""
    text = " ".join(ln.strip() for ln in lines if ln.strip())
    if not text or not _LINK.search(text):
        return False
    rest = _LINK.sub(" ", text)
    rest = re.sub(r"[-*+>•|]", " ", rest)
    return all(_LINK_LABEL.match(part) for part in re.split(r"\s{2,}|[，,；;。]", rest.strip()) if part.strip()) \
        or not re.sub(r"\W", "", rest)


def is_commentary(paragraph: str) -> bool:
    """A remark about the interview or the post (面试感受, 点赞收藏…), not technical content."""
    text = paragraph.strip().strip("（）()")
    return bool(text) and len(text) <= 160 and bool(_COMMENTARY.search(text))


def strip_trailing_commentary(lines: list[str]) -> tuple[list[str], int]:
    """Drop trailing paragraphs that are commentary, or a lead-in line ending with a colon that
    introduces nothing; returns (lines kept, number of lines dropped)."""
    end = len(lines)
    while end > 0:
        while end > 0 and not lines[end - 1].strip():
            end -= 1
        start = end
        while start > 0 and lines[start - 1].strip():
            start -= 1
        if start == end or lines[start].lstrip().startswith(("```", "~~~", "|")):
            break
        paragraph = " ".join(ln.strip() for ln in lines[start:end])
        lead_in = end - start == 1 and paragraph.endswith((":", "："))
        if not (is_commentary(paragraph) or lead_in):
            break
        end = start
    kept = lines[:end]
    while kept and not kept[-1].strip():
        kept.pop()
    return kept, len(lines) - len(kept)


def _short(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
