"""``grades.jsonl``: one graded answer a line, append-only and crash-safe.

Every line is written whole, flushed and fsync'ed before the next answer is graded, so after a crash
or SIGKILL the file holds finished rows plus at most one torn line at the end. :meth:`ResultsFile.recover`
cuts that line off (truncating to the last newline), drops any complete line that is not a row, and
returns the ids already done, so a resumed run grades only the rest and appends them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ConfigDict, ValidationError


class KeyPointRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = ""
    text: str
    verdict: str
    """covered | partial | missed"""
    evidence: str = ""
    source: str = ""


class GradedRow(BaseModel):
    """One line of grades.jsonl. Extra keys are ignored on reading, so files written by other versions
    can still be resumed and reported."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    source: str
    """``file:line`` of the answer in its input."""
    question: str
    answer: str
    matched: bool = False
    """Graded against a bank question (its reference and key points)."""
    matched_question_id: str | None = None
    matched_question: str | None = None
    match_confidence: float = 0.0
    nearest_question_id: str | None = None
    """The closest bank question when the match was too weak to grade against it."""
    nearest_question: str | None = None
    topic: str = ""
    bank_ref: str = ""
    """The matched question's source reference, e.g. ``003:21``."""
    score: float
    verdict: str
    key_points: tuple[KeyPointRow, ...] = ()
    pitfalls_hit: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    feedback: str = ""
    grader: str = ""
    grader_version: str = ""
    prompt_version: str = ""
    confidence: float = 1.0
    references: tuple[str, ...] = ()

    def to_line(self) -> bytes:
        return (self.model_dump_json() + "\n").encode("utf-8")


@dataclass
class Recovery:
    done: list[str] = field(default_factory=list)
    """Ids of the finished rows, in file order."""
    torn_bytes: int = 0
    """Bytes of an incomplete last line that were cut off."""
    bad_lines: list[int] = field(default_factory=list)
    """Complete lines that were not a row (dropped; those answers are graded again)."""


class ResultsFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def has_rows(self) -> bool:
        try:
            with self.path.open("rb") as f:
                return any(line.strip() for line in f)
        except FileNotFoundError:
            return False

    def count(self) -> int:
        try:
            with self.path.open("rb") as f:
                return sum(1 for line in f if line.strip())
        except FileNotFoundError:
            return 0

    def recover(self) -> Recovery:
        """Make the file a sequence of whole rows again and say which ids are done."""
        rec = Recovery()
        if not self.path.exists():
            return rec
        seen: set[str] = set()
        keep_end = 0
        needs_rewrite = False
        with self.path.open("rb") as f:
            for number, line in enumerate(f, start=1):
                if not line.endswith(b"\n"):
                    rec.torn_bytes = len(line)
                    break
                keep_end += len(line)
                if not line.strip():
                    continue
                row_id = _row_id(line)
                if row_id is None or row_id in seen:
                    rec.bad_lines.append(number)
                    needs_rewrite = True
                    continue
                seen.add(row_id)
                rec.done.append(row_id)
        if rec.torn_bytes:
            os.truncate(self.path, keep_end)
        if needs_rewrite:
            self._rewrite(self._lines_by_id(), rec.done)
        return rec

    def iter_rows(self) -> Iterator[GradedRow]:
        """Every row, in file order (lines that do not parse are skipped)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as f:
            for line in f:
                if not line.endswith(b"\n") or not line.strip():
                    continue
                try:
                    yield GradedRow.model_validate_json(line)
                except ValidationError:
                    continue

    def ids(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as f:
            return [i for i in (_row_id(line) for line in f if line.endswith(b"\n")) if i is not None]

    def reorder(self, order: Mapping[str, int]) -> bool:
        """Rewrite the file in input order (rows not in ``order`` keep their place after the rest).
        Returns True when it was out of order."""
        ids = self.ids()
        tail = len(order)
        keys = [order.get(i, tail) for i in ids]
        if keys == sorted(keys):
            return False
        ranked = sorted(range(len(ids)), key=lambda k: (keys[k], k))
        self._rewrite(self._lines_by_id(), [ids[k] for k in ranked])
        return True

    def _lines_by_id(self) -> dict[str, bytes]:
        lines: dict[str, bytes] = {}
        with self.path.open("rb") as f:
            for line in f:
                row_id = _row_id(line) if line.endswith(b"\n") else None
                if row_id is not None and row_id not in lines:
                    lines[row_id] = line
        return lines

    def _rewrite(self, lines: Mapping[str, bytes], ids: list[str]) -> None:
        """Atomically replace the file (write a sibling, fsync, rename)."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("wb") as f:
            for row_id in ids:
                f.write(lines[row_id])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    def appender(self) -> Appender:
        return Appender(self.path)


class Appender:
    """Appends rows, each flushed and synced to disk before :meth:`write` returns."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = path.open("ab")
        _fsync_dir(path.parent)

    def write(self, row: GradedRow) -> None:
        self._f.write(row.to_line())
        self._f.flush()
        _sync(self._f.fileno())

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> Appender:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _row_id(line: bytes) -> str | None:
    """The id of a line that is a whole row, else None."""
    if not line.strip():
        return None
    try:
        return GradedRow.model_validate_json(line).id
    except ValidationError:
        return None


def _sync(fd: int) -> None:
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
