"""Adding a user's documents: check each one whole, then apply it whole or not at all.

``plan_import`` reads and parses every document before anything is written (a document that is
empty, binary, cut off, a data file, unparseable or without any question is rejected with the
reason); ``KnowledgeBase.add`` then copies the accepted ones into ``MIANSHI_HOME/docs`` (temporary
file + rename) and rebuilds once, so adding 60 files is one embedding pass. The
:class:`ImportReport` says per file (by the path the user gave, not the bare file name) what was
added, how many questions have no reference, and which blocks were skipped on which line and why.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from knowledge.loader import DocPath, expand_documents, parse_bytes, read_document
from knowledge.parsers import ParsedDoc
from knowledge.schema import LoadWarning

FileStatus = Literal["added", "would_add", "unchanged", "rejected"]
STATUS_LABELS: dict[str, str] = {"added": "已添加", "would_add": "将添加", "unchanged": "已在题库中", "rejected": "未添加"}


class ImportFailed(RuntimeError):
    """Building the bank with the new documents failed; the copies were removed and the bank is as before."""


class FileReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    """The document as the user named it (a folder's documents relative to it, the folder included)."""
    stored: str = ""
    """Its file name in MIANSHI_HOME/docs (empty when rejected)."""
    status: FileStatus
    parser: str = ""
    items: int = 0
    without_reference: int = 0
    """Questions kept without a reference answer (graded with material retrieved from other documents)."""
    notes: int = 0
    skipped: tuple[LoadWarning, ...] = ()
    """Blocks left out (placeholders, prompt instructions, remarks, link-only answers…), by line."""
    warnings: tuple[LoadWarning, ...] = ()
    reason: str = ""
    """Why the document was rejected."""


class ImportReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    files: tuple[FileReport, ...] = ()
    problems: tuple[LoadWarning, ...] = ()
    """Problems with the paths themselves (missing, non-document files skipped in a folder)."""
    dry_run: bool = False
    bank_items: int | None = None
    """Questions in the bank after the rebuild (None when nothing was built)."""
    embedded: int = 0
    seconds: float = 0.0

    @property
    def accepted(self) -> list[FileReport]:
        return [f for f in self.files if f.status in ("added", "would_add")]

    @property
    def rejected(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "rejected"]

    @property
    def items_added(self) -> int:
        return sum(f.items for f in self.accepted)

    @property
    def without_reference(self) -> int:
        return sum(f.without_reference for f in self.accepted)

    @property
    def skipped_blocks(self) -> int:
        return sum(len(f.skipped) for f in self.accepted)

    def summary(self) -> str:
        verb = "将添加" if self.dry_run else "添加了"
        text = (f"{verb} {len(self.accepted)} 个文档、{self.items_added} 道题（其中 {self.without_reference} 道没有参考答案），"
                f"跳过 {self.skipped_blocks} 处内容；未添加 {len(self.rejected)} 个文档")
        unchanged = sum(1 for f in self.files if f.status == "unchanged")
        if unchanged:
            text += f"；{unchanged} 个已在题库中"
        if self.dry_run:
            text += "（试运行，题库未改变）"
        elif self.bank_items is not None:
            text += f"；题库现有 {self.bank_items} 道题，新向量化 {self.embedded} 条，用时 {self.seconds:.1f}s"
        elif not self.accepted:
            text += "；题库未改变"
        return text

    def as_json(self) -> dict[str, object]:
        data = self.model_dump(mode="json")
        data["summary"] = {"files_added": len(self.accepted), "items_added": self.items_added,
                           "without_reference": self.without_reference, "skipped_blocks": self.skipped_blocks,
                           "files_rejected": len(self.rejected), "text": self.summary()}
        return data


@dataclass
class PlannedFile:
    source: DocPath
    report: FileReport
    data: bytes = b""

    @property
    def writes(self) -> bool:
        return self.report.status in ("added", "would_add")


def plan_import(paths: Sequence[Path], docs_dir: Path | None, max_mb: float,
                on_file: Callable[[int, int], None] | None = None) -> tuple[list[PlannedFile], list[LoadWarning]]:
    """Read and parse every document; decide its name in ``docs_dir`` (None: only check). Writes nothing."""
    docs, problems = expand_documents(paths)
    existing = _existing(docs_dir) if docs_dir else {}
    taken = set(existing.values())
    planned: list[PlannedFile] = []
    seen: dict[str, str] = {}
    for k, doc in enumerate(docs):
        if on_file:
            on_file(k, len(docs))
        planned.append(_plan_one(doc, existing, taken, seen, max_mb))
    if on_file:
        on_file(len(docs), len(docs))
    return planned, problems


def _plan_one(doc: DocPath, existing: dict[str, str], taken: set[str], seen: dict[str, str], max_mb: float) -> PlannedFile:
    data, failed = read_document(doc.path, doc.label, max_mb)
    if data is None:
        return _rejected(doc, failed)
    sha = hashlib.sha1(data).hexdigest()
    if sha in existing or sha in seen:
        return PlannedFile(doc, FileReport(path=doc.label, stored=existing.get(sha) or seen[sha], status="unchanged"))
    target = _target_name(doc, taken)
    parsed = parse_bytes(data, target)
    if not parsed.items and not parsed.notes:
        return _rejected(doc, parsed, target)
    taken.add(target)
    seen[sha] = target
    report = FileReport(
        path=doc.label, stored=target, status="added", parser=parsed.parser, items=len(parsed.items),
        without_reference=sum(1 for i in parsed.items if not i.has_reference), notes=len(parsed.notes),
        skipped=tuple(sorted((_relabel(w, target, doc.label) for w in parsed.skipped), key=lambda w: w.line or 0)),
        warnings=tuple(_relabel(w, target, doc.label) for w in parsed.warnings),
    )
    return PlannedFile(doc, report, data)


def _rejected(doc: DocPath, parsed: ParsedDoc | None, target: str = "") -> PlannedFile:
    warnings = tuple(_relabel(w, target, doc.label) for w in (parsed.warnings if parsed else []))
    reason = warnings[-1].render() if warnings else f"{doc.label}: 没有识别出任何题目"
    return PlannedFile(doc, FileReport(path=doc.label, status="rejected", parser=parsed.parser if parsed else "",
                                       warnings=warnings, reason=reason,
                                       skipped=tuple(_relabel(w, target, doc.label) for w in (parsed.skipped if parsed else []))))


def _relabel(w: LoadWarning, name: str, label: str) -> LoadWarning:
    """A warning about the stored name, told by the path the user gave."""
    return w.model_copy(update={"file": label}) if w.file in (name, Path(label).name, label) or not name else w


def _existing(docs_dir: Path) -> dict[str, str]:
    """sha1 of each document already in docs_dir -> its name."""
    if not docs_dir.is_dir():
        return {}
    out: dict[str, str] = {}
    for p in sorted(docs_dir.iterdir()):
        if p.is_file() and not p.name.startswith("."):
            try:
                out.setdefault(hashlib.sha1(p.read_bytes()).hexdigest(), p.name)
            except OSError:
                continue
    return out


def _target_name(doc: DocPath, taken: set[str]) -> str:
    """The document's name in docs/: its own, else prefixed by its folder (round1_readme.md), else numbered."""
    path = Path(doc.name)
    candidates = [path.name]
    if path.parent != Path("."):
        candidates.append("_".join([*path.parent.parts, path.name]))
    for name in candidates:
        if name not in taken and not name.startswith("."):
            return name
    stem, suffix, n = Path(candidates[-1]).stem, path.suffix, 2
    while f"{stem}-{n}{suffix}" in taken:
        n += 1
    return f"{stem}-{n}{suffix}"


def write_atomically(docs_dir: Path, planned: Iterable[PlannedFile]) -> list[Path]:
    """Copy the accepted documents into docs_dir, each through a hidden temporary file and a rename
    (a crash leaves either the whole file or none; hidden files are never loaded). Returns the paths."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for p in planned:
            if not p.writes:
                continue
            target = docs_dir / p.report.stored
            tmp = docs_dir / f".{p.report.stored}.{os.getpid()}.tmp"
            try:
                with tmp.open("wb") as fh:
                    fh.write(p.data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            finally:
                remove([tmp])
            written.append(target)
    except OSError:
        remove(written)
        raise
    return written


def remove(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
