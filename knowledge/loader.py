"""Read documents from disk safely: every problem becomes a LoadWarning naming the file, never a traceback.

A document is parsed whole before anything uses it: a parser that raises, a file cut off in the
middle of a character or changing while it is read, or a data file passed as notes is reported
(file, line when known, what to do) and contributes nothing. The items of one document have unique
ids by construction: an empty question is skipped and a repeated one merged, each with a warning
naming ``file:line``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.parsers import ParsedDoc, choose_parser
from knowledge.schema import KnowledgeNote, LoadWarning, QuestionItem
from knowledge.text import decode_document, looks_binary

DOC_SUFFIXES = (".md", ".markdown", ".txt", ".text")
TEXT_SUFFIXES = (".txt", ".text")
DEFAULT_MAX_DOC_MB = 20.0
_FORMAT_HINT = "请使用 `## 1. 问题` 标题、`1. 问题` 编号、`问：/答：` 或 `Q:/A:` 等格式（见 README「文档格式」）"


@dataclass(frozen=True)
class DocPath:
    """A document to load: ``name`` is its path inside the folder it came from (its file name when given
    directly; the bank's ``SourceRef.file``), ``label`` how a report names it (the folder included)."""

    path: Path
    name: str
    label: str


def expand_documents(paths: Iterable[Path]) -> tuple[list[DocPath], list[LoadWarning]]:
    """Documents to load: files as given, directories expanded to their .md/.markdown/.txt notes
    (sorted; hidden folders and files skipped)."""
    docs: list[DocPath] = []
    warnings: list[LoadWarning] = []
    for p in paths:
        if p.is_dir():
            found: list[Path] = []
            others: list[Path] = []
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if not f.is_file() or any(part.startswith(".") for part in rel.parts):
                    continue
                (found if f.suffix.lower() in DOC_SUFFIXES else others).append(f)
            if not found:
                warnings.append(LoadWarning(file=str(p), message="目录里没有 .md/.markdown/.txt 文档", hint="检查路径"))
            if others:
                example = "、".join(str(Path(p.name) / o.relative_to(p)) for o in others[:3])
                warnings.append(LoadWarning(file=str(p), message=f"跳过 {len(others)} 个不是 .md/.markdown/.txt 的文件（如 {example}）",
                                            hint="图片、数据文件不会加入题库"))
            docs.extend(DocPath(f, f.relative_to(p).as_posix(), (Path(p.name) / f.relative_to(p)).as_posix())
                        for f in found)
        elif p.is_file():
            docs.append(DocPath(p, p.name, str(p)))
        else:
            warnings.append(LoadWarning(file=str(p), message="文件不存在", hint="检查路径是否写对"))
    return docs, warnings


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[LoadWarning]]:
    """Files to load: files as given, directories expanded to their documents (sorted)."""
    docs, warnings = expand_documents(paths)
    return [d.path for d in docs], warnings


def read_document(path: Path, name: str, max_mb: float = DEFAULT_MAX_DOC_MB) -> tuple[bytes | None, ParsedDoc | None]:
    """The file's bytes, or (None, a skipped ParsedDoc saying why)."""
    try:
        size = path.stat().st_size
        if size > max_mb * 1024 * 1024:
            return None, _skipped(name, f"文件过大（{size / 1024 / 1024:.1f} MB，上限 {max_mb:g} MB），已跳过",
                                  "请拆分成多个小文件，或调大 MIANSHI_MAX_DOC_MB")
        data = path.read_bytes()
        if path.stat().st_size != len(data):
            return None, _skipped(name, "文件在读取时发生了变化（可能还在写入），已跳过", "等文件保存完成后再添加")
    except OSError as exc:
        return None, _skipped(name, f"无法读取：{exc.strerror or exc}", "检查文件权限")
    return data, None


def load_document(path: Path, display_name: str | None = None, max_mb: float = DEFAULT_MAX_DOC_MB) -> ParsedDoc:
    name = display_name or path.name
    data, skipped = read_document(path, name, max_mb)
    if data is None:
        return skipped or _skipped(name, "无法读取", "检查文件")
    return parse_bytes(data, name)


def parse_bytes(data: bytes, name: str) -> ParsedDoc:
    if not data.strip():
        return _skipped(name, "文件为空，已跳过", "写入题目后再添加")
    if looks_binary(data):
        return _skipped(name, "不是文本文件（看起来是二进制），已跳过", "请提供 UTF-8 编码的 .md 或 .txt 文档")
    if truncated_utf8(data):
        return _skipped(name, "文件末尾不完整（最后一个字符被截断，可能还没写完），整个文件未加入",
                        "等文件保存完整后再添加；其余文件不受影响")
    warnings: list[LoadWarning] = []
    try:
        text, encoding = decode_document(data)
    except UnicodeDecodeError as exc:
        return _skipped(name, f"无法识别文件编码（第 {exc.start} 字节）", "请另存为 UTF-8 编码")
    if encoding == "gb18030":
        warnings.append(LoadWarning(file=name, message="文件不是 UTF-8，已按 GBK/GB18030 读取",
                                    hint="建议另存为 UTF-8，避免乱码"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if name.lower().endswith(TEXT_SUFFIXES) and (reason := data_file_reason(text)):
        return _skipped(name, f"{reason}，不是笔记，已跳过", "题库只收 Markdown / 文本笔记；答题记录请用 `mianshi eval run`")
    try:
        parser = choose_parser(text)
        doc = parser.parse(text, name)
    except Exception as exc:  # a parser bug must not stop the other documents
        line = _error_line(exc)
        return ParsedDoc(warnings=[LoadWarning(file=name, line=line, message=f"解析失败（{type(exc).__name__}: {exc}），整个文件未加入",
                                               hint="其余文件不受影响；请把该文件和这条信息反馈给我们")], parser="")
    doc.warnings[:0] = warnings
    unique_items(doc, name)
    if not doc.items and not doc.notes:
        doc.warnings.append(LoadWarning(file=name, line=1, message="没有识别出任何题目（格式未知）", hint=_FORMAT_HINT))
    return doc


def unique_items(doc: ParsedDoc, name: str) -> None:
    """Ids unique by construction: skip empty questions, merge a repeated question into the first
    (keeping the answer when only the repeat has one), drop repeated notes."""
    by_id: dict[str, int] = {}
    items: list[QuestionItem] = []
    for item in doc.items:
        if not item.question.strip():
            doc.skipped.append(LoadWarning(file=name, line=item.source.line, message="空题目，已跳过"))
            continue
        k = by_id.get(item.id)
        if k is None:
            by_id[item.id] = len(items)
            items.append(item)
            continue
        first = items[k]
        doc.warnings.append(LoadWarning(file=name, line=item.source.line,
                                        message=f"与第 {first.source.line} 行的题目重复，已合并",
                                        hint="同一文件里的同一道题只保留一条"))
        if not first.has_reference and item.has_reference:
            items[k] = item.model_copy(update={"source": first.source})
    numbers: set[str] = set()
    for k, item in enumerate(items):
        if item.source.number and item.source.number in numbers:  # a second round restarting at 1: refer by line
            items[k] = item.model_copy(update={"source": item.source.model_copy(update={"number": ""})})
        numbers.add(item.source.number)
    doc.items = items
    seen: set[str] = set()
    notes: list[KnowledgeNote] = []
    for note in doc.notes:
        if note.id not in seen:
            seen.add(note.id)
            notes.append(note)
    doc.notes = notes


def truncated_utf8(data: bytes) -> bool:
    """Valid UTF-8 except for an incomplete character at the very end: a file cut off while written."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.start >= len(data) - 3 and _utf8_prefix_ok(data[:exc.start])
    return False


def _utf8_prefix_ok(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(b >= 0x80 for b in data)


_NUMERIC = re.compile(r"[\d\s.,;:+\-eE%/|\t]")


def data_file_reason(text: str) -> str | None:
    """Why a .txt file is a data file rather than notes (JSON, CSV/TSV-like, mostly numbers), or None."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None
    stripped = text.strip()
    if stripped[:1] in "[{":
        try:
            json.loads(stripped)
            return "内容是 JSON 数据"
        except ValueError:
            pass
        if sum(1 for ln in lines if _is_json(ln)) >= 0.8 * len(lines):
            return "内容是 JSON Lines 数据"
    if len(lines) >= 3:
        for delim, label in (("\t", "TSV"), (",", "CSV")):
            counts = [ln.count(delim) for ln in lines]
            common = max(set(counts), key=counts.count)
            if common >= 1 and counts.count(common) >= 0.8 * len(lines) and not _sentences(lines, delim):
                return f"内容是 {label} 表格数据（每行 {common + 1} 列）"
    chars = "".join(lines)
    if len(chars) >= 20 and sum(1 for c in chars if _NUMERIC.match(c)) >= 0.7 * len(chars):
        return "内容几乎都是数字"
    return None


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _sentences(lines: list[str], delim: str) -> bool:
    """Prose with commas (an English note) rather than a table: long cells ending like sentences."""
    cells = [c.strip() for ln in lines for c in ln.split(delim)]
    return sum(1 for c in cells if c.endswith(("。", "？", "?", ".", "！", "!"))) > 0.3 * len(cells) and delim == ","


def _error_line(exc: Exception) -> int | None:
    """The document line a parser error names, when it says (``lineno`` / ``line`` attribute)."""
    for attr in ("lineno", "line"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and value >= 1:
            return value
    return None


def _skipped(name: str, message: str, hint: str) -> ParsedDoc:
    return ParsedDoc(warnings=[LoadWarning(file=name, message=message, hint=hint)], parser="")
