"""Grading material as data: what a careful examiner knows about one question, written down.

One JSONL file per document under ``knowledge/data/rubrics/`` (bundled) or beside a user's document
(``<doc>.material.jsonl``, written by ``mianshi kb enrich``). Each line is one :class:`ItemMaterial`
keyed by the item's reference (``003:21``). Lines are validated at load: a bad line becomes a warning
naming file:line and what is wrong, and the rest of the file still loads.

Run ``python -m knowledge.material check FILE...`` to validate files by hand.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from knowledge.schema import (
    Exemplar,
    KeyPoint,
    LoadWarning,
    MaterialOrigin,
    Misconception,
    QuestionItem,
    Slot,
)
from knowledge.text import normalize
from knowledge.topics import Topic

LEAK_RUN = 8
"""A probe may not share a run of this many characters (after normalising) with its key point."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MaterialPoint(Frozen):
    id: str = Field(pattern=r"^k[0-9]+$")
    text: str = Field(min_length=4, max_length=160)
    """One atomic claim a full answer must make."""
    weight: float = Field(default=1.0, ge=0.5, le=3.0)
    aliases: tuple[str, ...] = ()
    """Other ways to say it: synonyms, the English form, a formula."""
    probe: str = Field(min_length=4, max_length=120)
    """An interviewer's follow-up that leads toward the point without stating it."""

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not a.strip() or len(a) > 100 for a in v):
            raise ValueError("aliases must be non-empty strings of at most 100 characters")
        return v


class Provenance(Frozen):
    written_by: str = Field(min_length=3)
    """Who or what wrote the material (e.g. "authoring helper (LLM) from the document's 考点 + consensus")."""
    reviewed_by: str = ""
    """Who checked it; empty until the second pass."""
    notes: str = ""
    """What the review changed or doubted."""


class ItemMaterial(Frozen):
    ref: str = Field(pattern=r"^[0-9A-Za-z_\-]+:[0-9A-Za-z_\-@.]+$")
    """The item's source reference (``003:21``)."""
    question: str = Field(min_length=2)
    topic: Topic
    key_points: tuple[MaterialPoint, ...] = Field(min_length=1, max_length=10)
    slots: tuple[Slot, ...] = ()
    misconceptions: tuple[Misconception, ...] = Field(min_length=3, max_length=8)
    exemplars: tuple[Exemplar, ...] = Field(min_length=4, max_length=12)
    reference_errors: tuple[str, ...] = ()
    """Passages of the document's own reference that are wrong, word for word as the reference has them
    (e.g. "从SFT模型出发" in 003:102): a recitation of such a reference is not a full answer, and the
    misconception check still reads those passages. Written where the review found the document wrong."""
    provenance: Provenance

    @field_validator("reference_errors")
    @classmethod
    def _reference_errors(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not 2 <= len(e.strip()) <= 120 for e in v):
            raise ValueError("reference_errors must be passages of 2–120 characters of the reference")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ItemMaterial:
        ids = [k.id for k in self.key_points]
        if len(set(ids)) != len(ids):
            raise ValueError("key point ids must be unique")
        for s in self.slots:
            if s.point not in ids:
                raise ValueError(f"slot {s.id} names unknown key point {s.point}")
        for m in self.misconceptions:
            if m.point is not None and m.point not in ids:
                raise ValueError(f"misconception {m.id} names unknown key point {m.point}")
        if len({m.id for m in self.misconceptions}) != len(self.misconceptions):
            raise ValueError("misconception ids must be unique")
        for k in self.key_points:
            leak = shared_run(k.probe, k.text, LEAK_RUN)
            if leak:
                raise ValueError(f"probe of {k.id} gives its point away (shares “{leak}”)")
        for e in self.exemplars:
            lo, hi = _KIND_RANGE[e.kind]
            if not lo <= e.score <= hi:
                raise ValueError(f"a `{e.kind}` exemplar must score {lo}–{hi}, not {e.score}")
        scores = [e.score for e in self.exemplars]
        missing = [name for name, lo, hi in _LEVELS if not any(lo <= s <= hi for s in scores)]
        if missing:
            raise ValueError(f"exemplars need a score in every level; none for {', '.join(missing)}")
        kinds = {e.kind for e in self.exemplars}
        if "fluent_wrong" not in kinds or "own_words" not in kinds:
            raise ValueError("exemplars need one `fluent_wrong` and one `own_words` answer")
        return self


_LEVELS = (("≈9.5 (8.5–10)", 8.5, 10.0), ("≈7 (6–8.4)", 6.0, 8.4), ("≈5 (3.6–5.9)", 3.6, 5.9),
           ("≈2 (0–3.5)", 0.0, 3.5))
_KIND_RANGE: dict[str, tuple[float, float]] = {
    "excellent": (8.5, 10), "own_words": (8.0, 10), "good": (6.0, 8.4), "partial": (3.5, 6.5),
    "one_error": (3.5, 6.5), "superficial": (1.5, 5.0), "fluent_wrong": (0.0, 3.5), "wrong": (0.0, 3.0),
}


def _norm(text: str) -> str:
    return re.sub(r"[\s，。、；：,.;:!?！？“”\"'（）()]+", "", text).lower()


def shared_run(a: str, b: str, n: int) -> str:
    """The first run of ``n`` characters (ignoring spaces and punctuation) ``a`` shares with ``b``."""
    na, nb = _norm(a), _norm(b)
    for i in range(len(na) - n + 1):
        if na[i:i + n] in nb:
            return na[i:i + n]
    return ""


class MaterialFile(Frozen):
    path: str
    items: tuple[ItemMaterial, ...] = ()
    warnings: tuple[LoadWarning, ...] = ()


def load_material_file(path: Path, display: str | None = None) -> MaterialFile:
    """Every valid line of a material file; each bad line becomes a file:line warning."""
    name = display or path.name
    items: list[ItemMaterial] = []
    warnings: list[LoadWarning] = []
    seen: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return MaterialFile(path=name, warnings=(LoadWarning(file=name, message=f"无法读取评分材料：{exc}",
                                                             hint="检查文件是否为 UTF-8 JSONL"),))
    for n, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            warnings.append(LoadWarning(file=name, line=n, message=f"不是合法的 JSON：{exc.msg}（第 {exc.colno} 列）",
                                        hint="每行一个 JSON 对象"))
            continue
        try:
            item = ItemMaterial.model_validate(data)
        except ValidationError as exc:
            warnings.append(LoadWarning(file=name, line=n, message="评分材料不符合格式：" + _explain(exc),
                                        hint="按 knowledge/data/rubrics/README.md 修正这一行；其余行照常加载"))
            continue
        if item.ref in seen:
            warnings.append(LoadWarning(file=name, line=n, message=f"{item.ref} 重复（第 {seen[item.ref]} 行已有），忽略本行"))
            continue
        seen[item.ref] = n
        items.append(item)
    return MaterialFile(path=name, items=tuple(items), warnings=tuple(warnings))


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(x) for x in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    more = f"（另有 {len(exc.errors()) - 3} 处）" if len(exc.errors()) > 3 else ""
    return "；".join(parts) + more


def bundled_material_dir() -> Path:
    return Path(str(resources.files("knowledge").joinpath("data/rubrics")))


def material_path_for(document: Path) -> Path:
    """Where ``kb enrich`` keeps the material of a user's document: beside it."""
    return document.with_name(document.name + ".material.jsonl")


def load_materials(paths: Iterable[Path]) -> tuple[dict[str, ItemMaterial], list[LoadWarning]]:
    by_ref: dict[str, ItemMaterial] = {}
    warnings: list[LoadWarning] = []
    for p in paths:
        if not p.exists():
            continue
        mf = load_material_file(p)
        warnings.extend(mf.warnings)
        for it in mf.items:
            by_ref.setdefault(it.ref, it)
    return by_ref, warnings


def bundled_material_files() -> list[Path]:
    d = bundled_material_dir()
    return sorted(d.glob("*.jsonl")) if d.exists() else []


def apply_material(item: QuestionItem, material: ItemMaterial | None, origin: MaterialOrigin = "authored") -> QuestionItem:
    """The item with its grading material: authored key points (weights, aliases, probes), slots,
    misconceptions, exemplars and canonical topic. Material written for another wording of the
    question (the document changed since) is not applied."""
    if material is None or normalize(material.question) != normalize(item.question):
        return item
    points = tuple(KeyPoint(id=k.id, text=k.text, weight=k.weight, aliases=k.aliases, probe=k.probe)
                   for k in material.key_points)
    errors = tuple(e for e in material.reference_errors if _norm(e) in _norm(item.document_reference()))
    return item.model_copy(update={"key_points": points, "slots": material.slots, "reference_errors": errors,
                                   "document_points": tuple(k.text for k in item.key_points),
                                   "misconceptions": material.misconceptions, "exemplars": material.exemplars,
                                   "topic": material.topic, "material": origin})


def stale_material(items: Sequence[QuestionItem], materials: dict[str, ItemMaterial], file: str) -> list[LoadWarning]:
    """Warnings for material lines whose question is gone or reworded in the document."""
    by_ref = {i.source.ref: i for i in items}
    out = []
    for ref, m in materials.items():
        it = by_ref.get(ref)
        if it is None:
            out.append(LoadWarning(file=file, message=f"评分材料 {ref} 在文档中找不到对应题目，已忽略"))
        elif normalize(m.question) != normalize(it.question):
            out.append(LoadWarning(file=file, message=f"评分材料 {ref} 的题目与文档不一致（文档已修改？），已忽略",
                                   hint="重新运行 `mianshi kb enrich` 生成材料"))
    return out


def document_titles() -> dict[str, str]:
    """Readable titles of the bundled documents (knowledge/data/seeds/titles.json)."""
    path = Path(str(resources.files("knowledge").joinpath("data/seeds/titles.json")))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def title_of(text: str, file: str) -> str:
    """A user document's title: its first Markdown heading, else the file name without suffix."""
    for line in text.splitlines()[:40]:
        m = re.match(r"^#{1,2}\s+(.{2,60}?)\s*#*\s*$", line.strip())
        if m:
            return re.sub(r"[*_`]", "", m.group(1)).strip()
    return Path(file).stem


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "check" or len(args) < 2:
        print("usage: python -m knowledge.material check FILE...", file=sys.stderr)
        return 2
    bad = 0
    for f in args[1:]:
        mf = load_material_file(Path(f), display=f)
        for w in mf.warnings:
            print(w.render())
        bad += len(mf.warnings)
        print(f"{f}: {len(mf.items)} valid, {len(mf.warnings)} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
