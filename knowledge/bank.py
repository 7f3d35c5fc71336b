"""The question bank: load documents, link the same question across documents, save/load as JSON.

The same question asked in several documents (e.g. "why divide by √d_k" appears in four) keeps
every source as its own item and the items point at each other through ``related``, so a grader
can use every reference.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from knowledge.loader import expand_documents, load_document
from knowledge.material import (
    ItemMaterial,
    apply_material,
    bundled_material_files,
    document_titles,
    load_materials,
    material_path_for,
    stale_material,
    title_of,
)
from knowledge.schema import KnowledgeNote, LoadWarning, MaterialOrigin, QuestionItem

BANK_FORMAT = 2
RELATED_MIN = 0.935
"""Question-embedding cosine above which mutual nearest neighbours across two documents are linked."""
RELATED_SURE = 0.965
"""Cosine above which two questions from different documents are linked even if not mutual top-2."""


class DocInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    path: str
    sha1: str
    parser: str
    items: int
    notes: int


class Bank(BaseModel):
    model_config = ConfigDict(frozen=True)

    format: int = BANK_FORMAT
    material_sha: str = ""
    """Hash of the bundled grading material the bank was built with (a newer one triggers a rebuild)."""
    items: tuple[QuestionItem, ...] = ()
    notes: tuple[KnowledgeNote, ...] = ()
    warnings: tuple[LoadWarning, ...] = ()
    documents: tuple[DocInfo, ...] = ()

    def by_id(self) -> dict[str, QuestionItem]:
        return {i.id: i for i in self.items}

    def get(self, item_id: str) -> QuestionItem | None:
        for i in self.items:
            if i.id == item_id or (i.id.startswith(item_id) and len(item_id) >= 6):
                return i
        return None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.model_dump_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Bank:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


@dataclass
class LoadedDocs:
    items: list[QuestionItem] = field(default_factory=list)
    notes: list[KnowledgeNote] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)
    documents: list[DocInfo] = field(default_factory=list)


def bundled_material_sha() -> str:
    h = hashlib.sha1()
    for p in bundled_material_files():
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def bundled_seed_dir() -> Path:
    return Path(str(resources.files("knowledge").joinpath("data/seeds")))


def load_documents(paths: Iterable[Path], max_mb: float = 20.0,
                   on_file: Callable[[Path], None] | None = None) -> LoadedDocs:
    """Every document under ``paths``; a document that fails is reported and skipped whole, and ids
    stay unique across documents (a repeat is reported and left out), so a build never fails on one."""
    files, warnings = expand_documents(paths)
    out = LoadedDocs(warnings=list(warnings))
    seen_ids: set[str] = set()
    seen_notes: set[str] = set()
    bundled, material_warnings = load_materials(bundled_material_files())
    out.warnings.extend(material_warnings)
    titles = document_titles()
    seed_dir = bundled_seed_dir()
    seed_names = {p.name for p in seed_dir.iterdir()}
    for doc_path in files:
        f = doc_path.path
        if on_file:
            on_file(f)
        if f.name == "ORIGIN.md" and f.parent == seed_dir:
            continue
        doc = load_document(f, display_name=doc_path.name, max_mb=max_mb)
        out.warnings.extend(doc.warnings)
        items = with_material(doc.items, f, bundled if f.name in seed_names else None,
                              titles, out.warnings)
        fresh = [i for i in items if i.id not in seen_ids]
        if len(fresh) < len(items):
            out.warnings.append(LoadWarning(file=doc_path.name, message=f"{len(items) - len(fresh)} 道题与其他文档中同名文件的题目重复，已跳过",
                                            hint="给文件改个名字再添加"))
        seen_ids.update(i.id for i in fresh)
        notes = [n for n in doc.notes if n.id not in seen_notes]
        seen_notes.update(n.id for n in notes)
        out.items.extend(fresh)
        out.notes.extend(notes)
        try:
            sha = hashlib.sha1(f.read_bytes()).hexdigest()[:16]
        except OSError:
            sha = ""
        out.documents.append(DocInfo(file=doc_path.name, path=str(f), sha1=sha, parser=doc.parser,
                                     items=len(fresh), notes=len(notes)))
    return out


def with_material(items: Sequence[QuestionItem], path: Path, bundled: dict[str, ItemMaterial] | None,
                  titles: dict[str, str], warnings: list[LoadWarning]) -> list[QuestionItem]:
    """Items with their document's title and grading material: the shipped material for a bundled
    document, ``<doc>.material.jsonl`` beside a user's document (written by ``kb enrich``)."""
    if not items:
        return []
    if path.name in titles:
        title = titles[path.name]
    else:
        try:
            title = title_of(path.read_text(encoding="utf-8", errors="replace")[:20000], path.name)
        except OSError:
            title = path.stem
    if bundled is not None:
        refs = {i.source.ref for i in items}
        materials = {r: m for r, m in bundled.items() if r in refs}
        origin: MaterialOrigin = "authored"
    else:
        materials, found = load_materials([material_path_for(path)])
        warnings.extend(found)
        warnings.extend(stale_material(items, materials, material_path_for(path).name))
        origin = "generated"
    out = []
    for i in items:
        i = i.model_copy(update={"source": i.source.model_copy(update={"title": title})})
        out.append(apply_material(i, materials.get(i.source.ref), origin))
    return out


def link_related(items: Sequence[QuestionItem], vectors: np.ndarray,
                 min_sim: float = RELATED_MIN, sure_sim: float = RELATED_SURE, block: int = 1024) -> list[QuestionItem]:
    """Link items of different documents that ask the same question.

    Two items are linked when their question vectors are each other's top-2 match within the
    other's document and their cosine is ≥ ``min_sim``, or their cosine is ≥ ``sure_sim``.
    Blocked matrix products keep memory at block × n and never loop over all pairs.
    """
    n = len(items)
    if n == 0:
        return []
    vectors = np.asarray(vectors, dtype=np.float32)
    file_ids = {f: k for k, f in enumerate(dict.fromkeys(i.source.file for i in items))}
    files = np.array([file_ids[i.source.file] for i in items])
    members = [np.where(files == f)[0] for f in range(len(file_ids))]
    # pass 1: for every item and document, the 2nd-best cosine into that document (its top-2 bar)
    second = np.full((n, len(members)), np.inf, dtype=np.float32)
    for start in range(0, n, block):
        sims = vectors[start:start + block] @ vectors.T
        for f, cols in enumerate(members):
            sub = sims[:, cols]
            if sub.shape[1] >= 2:
                second[start:start + block, f] = -np.partition(-sub, 1, axis=1)[:, 1]
            else:
                second[start:start + block, f] = sub[:, 0]
    # pass 2: candidate pairs above min_sim in different documents, mutual top-2 or sure
    links: list[dict[int, float]] = [{} for _ in range(n)]
    for start in range(0, n, block):
        sims = vectors[start:start + block] @ vectors.T
        rows, cols = np.where(sims >= min_sim)
        for r, b in zip(rows.tolist(), cols.tolist(), strict=True):
            a = start + r
            if files[a] == files[b] or b <= a:
                continue
            s = float(sims[r, b])
            mutual = s >= second[a, files[b]] and s >= second[b, files[a]]
            if s >= sure_sim or mutual:
                links[a][b] = s
                links[b][a] = s
    return [
        item.model_copy(update={"related": tuple(items[j].id for j in sorted(links[k], key=lambda j: -links[k][j]))})
        for k, item in enumerate(items)
    ]

