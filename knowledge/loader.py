"""Read documents from disk safely: every problem becomes a LoadWarning naming the file, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from knowledge.parsers import ParsedDoc, choose_parser
from knowledge.schema import LoadWarning
from knowledge.text import decode_document, looks_binary

DOC_SUFFIXES = (".md", ".markdown", ".txt", ".text")
DEFAULT_MAX_DOC_MB = 20.0
_FORMAT_HINT = "请使用 `## 1. 问题` 标题、`1. 问题` 编号、`问：/答：` 或 `Q:/A:` 等格式（见 README「文档格式」）"


def expand_paths(paths: Iterable[Path]) -> tuple[list[Path], list[LoadWarning]]:
    """Files to load: files as given, directories expanded to their documents (sorted)."""
    files: list[Path] = []
    warnings: list[LoadWarning] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in DOC_SUFFIXES)
            if not found:
                warnings.append(LoadWarning(file=str(p), message="目录里没有 .md/.txt 文档", hint="检查路径"))
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            warnings.append(LoadWarning(file=str(p), message="文件不存在", hint="检查路径是否写对"))
    return files, warnings


def load_document(path: Path, display_name: str | None = None, max_mb: float = DEFAULT_MAX_DOC_MB) -> ParsedDoc:
    name = display_name or path.name
    try:
        size = path.stat().st_size
        if size > max_mb * 1024 * 1024:
            return _skipped(name, f"文件过大（{size / 1024 / 1024:.1f} MB，上限 {max_mb:g} MB），已跳过",
                            "请拆分成多个小文件，或调大 MIANSHI_MAX_DOC_MB")
        data = path.read_bytes()
    except OSError as exc:
        return _skipped(name, f"无法读取：{exc.strerror or exc}", "检查文件权限")
    return parse_bytes(data, name)


def parse_bytes(data: bytes, name: str) -> ParsedDoc:
    if not data.strip():
        return _skipped(name, "文件为空，已跳过", "写入题目后再添加")
    if looks_binary(data):
        return _skipped(name, "不是文本文件（看起来是二进制），已跳过", "请提供 UTF-8 编码的 .md 或 .txt 文档")
    warnings: list[LoadWarning] = []
    try:
        text, encoding = decode_document(data)
    except UnicodeDecodeError as exc:
        return _skipped(name, f"无法识别文件编码（第 {exc.start} 字节）", "请另存为 UTF-8 编码")
    if encoding == "gb18030":
        warnings.append(LoadWarning(file=name, message="文件不是 UTF-8，已按 GBK/GB18030 读取",
                                    hint="建议另存为 UTF-8，避免乱码"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        parser = choose_parser(text)
        doc = parser.parse(text, name)
    except Exception as exc:  # a parser bug must not stop the other documents
        return _skipped(name, f"解析失败（{type(exc).__name__}: {exc}）", "请把该文件和这条信息反馈给我们")
    doc.warnings[:0] = warnings
    if not doc.items and not doc.notes:
        doc.warnings.append(LoadWarning(file=name, line=1, message="没有识别出任何题目（格式未知）", hint=_FORMAT_HINT))
    return doc


def _skipped(name: str, message: str, hint: str) -> ParsedDoc:
    return ParsedDoc(warnings=[LoadWarning(file=name, message=message, hint=hint)], parser="")
