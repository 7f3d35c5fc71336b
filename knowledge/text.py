"""Pure text helpers shared by the parsers, the bank and retrieval."""

from __future__ import annotations

import re
import unicodedata

_MD_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"\1"),
    (re.compile(r"__(.+?)__"), r"\1"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"\$\$(.+?)\$\$"), r"\1"),
    (re.compile(r"\$(.+?)\$"), r"\1"),
    (re.compile(r"\\\[(.+?)\\\]", re.S), r"\1"),
    (re.compile(r"\\text\{([^}]*)\}"), r"\1"),
    (re.compile(r"\\sqrt\{([^}]*)\}"), r"√\1"),
    (re.compile(r"\\frac\{([^}]*)\}\{([^}]*)\}"), r"(\1)/(\2)"),
    (re.compile(r"\\(left|right)"), ""),
]
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2705\u23f1\ufe0f]")


def strip_markdown(text: str) -> str:
    """Remove inline Markdown/LaTeX markers, keep the words."""
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text.strip()


def clean_title(text: str) -> str:
    """A heading or section title without Markdown, emoji and a trailing '（N题）' count."""
    text = strip_markdown(text.strip().lstrip("#").strip())
    text = _EMOJI.sub("", text)
    text = re.sub(r"[（(]\s*\d+\s*题\s*[)）]\s*$", "", text)
    return text.strip(" ：:*").strip()


def normalize(text: str) -> str:
    """Lower-case NFKC text without spaces or punctuation, for comparing wordings."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum() or ch in "√")


_SENT_END = re.compile(r"(?<=[。！？!?；;])|\n+")


def split_claims(text: str, max_points: int = 8) -> list[str]:
    """Split a reference answer into atomic claims for key points.

    Sentences first (。！？；, line breaks, bullets); a single long sentence is split on its
    clauses (，、) with short fragments merged into their neighbour.
    """
    text = strip_markdown(text)
    parts: list[str] = []
    for raw in _SENT_END.split(text):
        piece = re.sub(r"^\s*(?:[-*•]|\d+[.)、）])\s*", "", raw).strip(" 。；;，,")
        if len(normalize(piece)) >= 4:
            parts.append(piece)
    if len(parts) == 1 and len(normalize(parts[0])) >= 24:
        parts = _split_clauses(parts[0])
    elif len(parts) >= 1 and len(parts) < 3:
        out: list[str] = []
        for p in parts:
            out.extend(_split_clauses(p) if len(normalize(p)) >= 40 else [p])
        parts = out
    if len(parts) == 1:
        enum = [p.strip() for p in parts[0].split("、")]
        if len(enum) > 1 and all(len(normalize(p)) >= 4 for p in enum):
            parts = enum
    return _merge_tail(parts, max_points)


def _split_clauses(sentence: str) -> list[str]:
    pieces = [p.strip() for p in re.split(r"[，,]", sentence) if p.strip()]
    merged: list[str] = []
    for p in pieces:
        if merged and (len(normalize(p)) < 6 or len(normalize(merged[-1])) < 6):
            merged[-1] = f"{merged[-1]}，{p}"
        else:
            merged.append(p)
    return merged


def _merge_tail(parts: list[str], max_points: int) -> list[str]:
    merged: list[str] = []
    for p in parts:
        if merged and merged[-1].endswith(("：", ":")):
            merged[-1] = f"{merged[-1]}{p}"
        else:
            merged.append(p)
    parts = merged
    while len(parts) > max_points:
        parts[-2] = f"{parts[-2]}；{parts[-1]}"
        parts.pop()
    return parts


def decode_document(data: bytes) -> tuple[str, str]:
    """Decode a document; returns (text, encoding). Raises UnicodeDecodeError when nothing fits."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return data.decode("gb18030"), "gb18030"


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return not (sample.startswith((b"\xff\xfe", b"\xfe\xff")))
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.05
