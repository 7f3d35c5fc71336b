"""Answer files -> rows to grade (pure parsing; each row or problem carries its file and line).

Formats (``--format auto`` picks by extension, then by content):
- ``jsonl``: one JSON object a line — a row ``{"id"?, "question", "answer", "item_id"?}`` or a
  session ``{"id"?, "turns": [{"role": "interviewer"|"candidate", "content"|"text": …}]}``;
- ``json``: one such object, or an array of them;
- ``csv``: header ``question,answer[,id]`` (also 问题/回答); UTF-8, UTF-8 with BOM or GB18030;
- ``md``: transcripts (see eval/transcripts.py).

A bad row (no answer, a broken JSON line, undecodable bytes, a CSV line whose quote is never closed)
becomes an :class:`InputProblem` and the rest of the file is still read; columns/keys that are not read
are reported once. A directory never yields the batch's own outputs: a folder holding ``grades.jsonl``
(an earlier ``--out``) is skipped, and so is a results or report file found elsewhere. Rows get stable ids: the given id, else ``<file name>:<line>``
(``#<n>`` for the n-th answer of a session); a repeated id gets a ``~2`` suffix so every row is unique.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eval.transcripts import PairProblem, Turn, pair_turns, parse_markdown, role_of

Format = Literal["auto", "jsonl", "json", "csv", "md"]
FORMATS: tuple[str, ...] = ("auto", "jsonl", "json", "csv", "md")
SUFFIXES: dict[str, Format] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "csv",
                               ".md": "md", ".markdown": "md"}
QUESTION_COLUMNS = ("question", "问题", "题目")
ANSWER_COLUMNS = ("answer", "回答", "答案")
ID_COLUMNS = ("id", "编号")
ROW_KEYS = frozenset({"id", "question", "answer", "item_id", "turns"})
OUTPUT_FILES = frozenset({"grades.jsonl", "grades.csv", "report.md", "report.html"})
"""What ``eval run --out DIR`` writes; a folder holding grades.jsonl is an output folder."""
RESULT_KEYS = frozenset({"score", "verdict", "source"})
REPORT_TITLE = "# 批量评分报告"


@dataclass(frozen=True)
class AnswerRow:
    id: str
    question: str
    answer: str
    file: str
    line: int
    item_id: str | None = None
    """A bank item id to grade against, when the input names one."""

    @property
    def source(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class InputProblem:
    file: str
    line: int | None
    message: str

    def render(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class _Parsed:
    question: str
    answer: str
    line: int
    id: str | None = None
    item_id: str | None = None
    suffix: str = ""
    """Appended to the generated ``file:line`` id (the n-th answer of a session)."""


@dataclass(frozen=True)
class _Unknown:
    """Columns or keys of a file that are not read (reported once per run)."""

    line: int | None
    names: tuple[str, ...]
    what: str
    known: str


Parsed = _Parsed | PairProblem | _Unknown


def read_inputs(paths: Sequence[Path], fmt: Format = "auto") -> Iterator[AnswerRow | InputProblem]:
    """Rows and problems of every file, in order. Directories are expanded to their known files."""
    seen: dict[str, int] = {}
    unknown: set[str] = set()
    for path in expand(paths):
        if isinstance(path, InputProblem):
            yield path
            continue
        label = str(path)
        for got in _read_file(path, fmt):
            if isinstance(got, _Unknown):
                names = [n for n in got.names if n not in unknown]
                unknown.update(names)
                if names:
                    yield InputProblem(label, got.line, f"未知的{got.what}「{'」「'.join(names)}」已忽略"
                                                        f"（只读 {got.known}；同名的{got.what}不再重复提示）")
                continue
            if isinstance(got, PairProblem):
                yield InputProblem(label, got.line, got.message)
                continue
            base = got.id or f"{path.name}:{got.line}{got.suffix}"
            n = seen.get(base, 0) + 1
            seen[base] = n
            row_id = base if n == 1 else f"{base}~{n}"
            if n > 1:
                yield InputProblem(label, got.line, f"ID「{base}」重复，这一条改用「{row_id}」")
            yield AnswerRow(id=row_id, question=got.question, answer=got.answer, file=label, line=got.line,
                            item_id=got.item_id)


def expand(paths: Iterable[Path]) -> Iterator[Path | InputProblem]:
    """Files to read: as given, or a directory's known files (sorted), never an output folder of
    ``eval run`` (holding grades.jsonl) nor hidden folders."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(folder: Path) -> Iterator[Path | InputProblem]:
    if (folder / "grades.jsonl").exists():
        yield InputProblem(str(folder), None, "是评测输出目录（含 grades.jsonl，可能是之前的 --out），已跳过")
        return
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        yield InputProblem(str(folder), None, f"无法读取目录（{exc.strerror or exc}），已跳过")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file() and entry.suffix.lower() in {*SUFFIXES, ".txt"}:
            yield entry


def _read_file(path: Path, fmt: Format) -> Iterator[Parsed]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield PairProblem(None, f"无法读取文件（{exc.strerror or exc}），已跳过")
        return
    if not data.strip():
        yield PairProblem(None, "文件为空，已跳过")
        return
    lines, bad = decode_lines(data)
    for number in bad:
        yield PairProblem(number, "含有无法解码的字节（既不是 UTF-8 也不是 GB18030），这一行已跳过")
    kind = detect_format(path, lines) if fmt == "auto" else fmt
    if reason := _output_file(path, lines, kind):
        yield PairProblem(None, reason)
        return
    if kind == "jsonl":
        yield from parse_jsonl(lines)
    elif kind == "json":
        yield from parse_json(lines)
    elif kind == "csv":
        yield from parse_csv(lines)
    else:
        for got in parse_markdown(lines):
            yield got if isinstance(got, PairProblem) else _Parsed(got.question, got.answer, got.line)


def decode_lines(data: bytes) -> tuple[list[str | None], list[int]]:
    """Lines of a file (``None`` for an undecodable one) and the numbers of those lines.

    UTF-8 (with or without BOM) unless most non-ASCII lines fail it, then GB18030; decoded per line so
    one broken line does not lose the file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw = [line[:-1] if line.endswith(b"\r") else line for line in data.split(b"\n")]
    try:
        text: list[str | None] = list(data.decode("utf-8").replace("\r\n", "\n").split("\n"))
        return text, []
    except UnicodeDecodeError:
        pass
    wide = [line for line in raw if any(b >= 0x80 for b in line)]
    utf8_ok = sum(1 for line in wide if _decodes(line, "utf-8"))
    encoding = "utf-8" if utf8_ok * 2 >= len(wide) else "gb18030"
    lines: list[str | None] = []
    bad: list[int] = []
    for number, line in enumerate(raw, start=1):
        try:
            lines.append(line.decode(encoding))
        except UnicodeDecodeError:
            lines.append(None)
            bad.append(number)
    return lines, bad


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _output_file(path: Path, lines: Sequence[str | None], kind: str) -> str | None:
    """Why the file is an output of ``eval run`` (results or a report), not answers to grade."""
    first = next((t.strip() for t in lines if t and t.strip()), "")
    if kind == "md" and first.startswith(REPORT_TITLE):
        return "是批量评测的报告（report.md），不是答题记录，已跳过"
    if kind in ("jsonl", "json"):
        try:
            obj = json.loads(first.rstrip(","))
        except ValueError:
            obj = None
        if isinstance(obj, dict) and set(obj) >= RESULT_KEYS:
            return "是评测结果（grades.jsonl 格式），不是答题记录，已跳过"
    if kind == "csv":
        header = {c.strip().lstrip("\ufeff").lower() for c in first.replace("\t", ",").split(",")}
        if {"score", "verdict"} <= header:
            return "是评测结果表（grades.csv 格式），不是答题记录，已跳过"
    return None


def detect_format(path: Path, lines: Sequence[str | None]) -> Format:
    """By extension; for .txt or no extension by content: JSON, CSV with a question/answer header, else Markdown."""
    by_suffix = SUFFIXES.get(path.suffix.lower())
    if by_suffix:
        return by_suffix
    first = next((t.strip() for t in lines if t and t.strip()), "")
    if first.startswith("["):
        return "json"
    if first.startswith("{"):
        return "jsonl" if sum(1 for t in lines if t and t.strip()) > 1 and _all_json_lines(lines) else "json"
    header = [c.strip().lower() for c in first.replace("\t", ",").split(",")]
    if any(c in QUESTION_COLUMNS for c in header) and any(c in ANSWER_COLUMNS for c in header):
        return "csv"
    return "md"


def _all_json_lines(lines: Sequence[str | None]) -> bool:
    for text in lines:
        if text and text.strip():
            try:
                json.loads(text)
            except ValueError:
                return False
    return True


# JSON ---------------------------------------------------------------------------------------------
def parse_jsonl(lines: Sequence[str | None]) -> Iterator[Parsed]:
    for number, text in enumerate(lines, start=1):
        if text is None or not text.strip():
            continue
        try:
            obj = json.loads(text)
        except ValueError as exc:
            yield PairProblem(number, f"不是有效的 JSON（{_json_error(exc)}），已跳过")
            continue
        yield from from_object(obj, number)


def parse_json(lines: Sequence[str | None]) -> Iterator[Parsed]:
    """A JSON document: an array of rows/sessions (each element's own line is kept) or one object.
    A document that is not one JSON value is read as JSON Lines."""
    text = "\n".join(t or "" for t in lines)
    start = len(text) - len(text.lstrip())
    if text[start:start + 1] == "[":
        yield from _json_array(text, start)
        return
    try:
        obj = json.loads(text)
    except ValueError:
        yield from parse_jsonl(lines)
        return
    yield from from_object(obj, text.count("\n", 0, start) + 1)


def _json_array(text: str, start: int) -> Iterator[Parsed]:
    decoder = json.JSONDecoder()
    i = _skip_ws(text, start + 1)
    if text[i:i + 1] == "]":
        return
    while True:
        line = text.count("\n", 0, i) + 1
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError as exc:
            yield PairProblem(getattr(exc, "lineno", line), f"JSON 语法错误（{_json_error(exc)}），此后的内容已跳过")
            return
        yield from from_object(obj, line)
        i = _skip_ws(text, end)
        if text[i:i + 1] == ",":
            i = _skip_ws(text, i + 1)
        elif text[i:i + 1] == "]":
            return
        else:
            yield PairProblem(text.count("\n", 0, i) + 1, "JSON 数组缺少逗号或右括号，此后的内容已跳过")
            return


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg}，第 {exc.colno} 列"
    return str(exc)


def from_object(obj: Any, line: int) -> Iterator[Parsed]:
    """One row ``{"question", "answer"}`` or one session ``{"turns": […]}``."""
    if not isinstance(obj, dict):
        yield PairProblem(line, "不是 JSON 对象（需要 {\"question\", \"answer\"} 或 {\"turns\": […]}），已跳过")
        return
    extra = tuple(k for k in obj if isinstance(k, str) and k not in ROW_KEYS)
    if extra:
        yield _Unknown(line, extra, "字段", "id / question / answer / item_id / turns")
    given = _text_id(obj.get("id"))
    if "turns" in obj:
        yield from _session(obj["turns"], given, line)
        return
    question, answer = obj.get("question"), obj.get("answer")
    if not isinstance(question, str) or not question.strip():
        yield PairProblem(line, "缺少 question（题目），已跳过")
    elif answer is None:
        yield PairProblem(line, "缺少 answer（回答），已跳过")
    elif not isinstance(answer, str):
        yield PairProblem(line, "answer 不是字符串，已跳过")
    else:
        yield _Parsed(question.strip(), answer.strip(), line, given, _text_id(obj.get("item_id")))


def _text_id(value: Any) -> str | None:
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _session(turns: Any, given: str | None, line: int) -> Iterator[Parsed]:
    if not isinstance(turns, list):
        yield PairProblem(line, "turns 不是数组，已跳过")
        return
    parsed: list[Turn] = []
    for k, turn in enumerate(turns, start=1):
        name = str(turn.get("role", "")) if isinstance(turn, dict) else ""
        if name.strip().lower() == "system":
            continue
        role = role_of(name)
        text = turn.get("content", turn.get("text")) if isinstance(turn, dict) else None
        if role is None or not isinstance(text, str):
            yield PairProblem(line, f"第 {k} 个 turn 需要 role（interviewer/candidate）和 content/text，已跳过")
            continue
        parsed.append(Turn(role=role, text=text.strip(), line=line))
    n = 0
    for got in pair_turns(parsed):
        if isinstance(got, PairProblem):
            yield got
            continue
        n += 1
        yield _Parsed(got.question, got.answer, line, f"{given}#{n}" if given else None, suffix=f"#{n}")


# CSV ----------------------------------------------------------------------------------------------
def parse_csv(lines: Sequence[str | None]) -> Iterator[Parsed]:
    numbered = [(n, t) for n, t in enumerate(lines, start=1) if t is not None]
    if not numbered:
        return
    header_text = next((t for _, t in numbered if t.strip()), "")
    delimiter = "\t" if header_text.count("\t") > header_text.count(",") else ","
    header: list[str] | None = None
    columns: dict[str, int] = {}
    for start, cells in _csv_records(numbered, delimiter):
        if isinstance(cells, PairProblem):
            yield cells
            continue
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip().lstrip("\ufeff").lower() for c in cells]
            columns = _columns(header)
            if "question" not in columns or "answer" not in columns:
                yield PairProblem(start, f"CSV 表头需要 question 和 answer 两列（当前：{','.join(header)}），整个文件已跳过")
                return
            extra = tuple(h for k, h in enumerate(header) if h and k not in columns.values())
            if extra:
                yield _Unknown(start, extra, "列", "question / answer / id（或 问题 / 回答 / 编号）")
            continue
        question = cells[columns["question"]].strip() if columns["question"] < len(cells) else ""
        if columns["answer"] >= len(cells):
            yield PairProblem(start, "缺少 answer 列，已跳过")
            continue
        if not question:
            yield PairProblem(start, "缺少 question（题目），已跳过")
            continue
        given = cells[columns["id"]].strip() if "id" in columns and columns["id"] < len(cells) else ""
        yield _Parsed(question, cells[columns["answer"]].strip(), start, given or None)


def _csv_records(numbered: list[tuple[int, str]], delimiter: str) -> Iterator[tuple[int, list[str] | PairProblem]]:
    """(first line, cells) of each record. A record whose quote is never closed (it would swallow
    every row after it) is reported with its line and skipped alone; reading resumes on the next line."""
    k = 0
    while k < len(numbered):
        consumed = 0

        def feed(start: int = k) -> Iterator[str]:
            nonlocal consumed
            for _, text in numbered[start:]:
                consumed += 1
                yield text + "\n"

        start_line = numbered[k][0]
        try:
            cells = next(csv.reader(feed(), delimiter=delimiter))
        except StopIteration:
            return
        except csv.Error as exc:
            yield start_line, PairProblem(start_line, f"CSV 格式错误（{exc}），这一行已跳过")
            k += 1
            continue
        if consumed > 1 and _unclosed_quote(numbered[k:k + consumed], delimiter):
            yield start_line, PairProblem(
                start_line, "这一行的引号没有闭合（\" 只有开头没有结尾），它会吞掉后面的行：这一行已跳过，后面的行照常读取；"
                            "请补上结尾的 \" 或把单元格里的 \" 写成 \"\"")
            k += 1
            continue
        yield start_line, cells
        k += max(consumed, 1)


def _unclosed_quote(record: list[tuple[int, str]], delimiter: str) -> bool:
    """A record spanning lines is a quoted cell with line breaks, unless its quote is never closed
    (an odd number of quotes up to the end of the file) or the quote that "closes" it is really the
    opening quote of a later row's cell (text follows it instead of a delimiter or the line end)."""
    text = "\n".join(t for _, t in record)
    if text.count('"') % 2 == 1:
        return True
    last = record[-1][1]
    at = last.find('"')
    while at != -1 and last[at + 1:at + 2] == '"':  # an escaped quote ""
        at = last.find('"', at + 2)
    if at == -1:
        return True
    return last[at + 1:at + 2] not in ("", delimiter, "\r")


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        for key, names in (("question", QUESTION_COLUMNS), ("answer", ANSWER_COLUMNS), ("id", ID_COLUMNS)):
            if name in names and key not in found:
                found[key] = index
    return found
