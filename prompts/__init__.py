"""Prompt templates as files (``prompts/*.md``) with declared variables.

A template starts with a front-matter block naming its variables::

    ---
    variables: [question, answer]
    ---
    …{question}…

``render`` fails on a missing or undeclared variable; ``version`` is a short hash of the file,
recorded in every Grade so a score can be traced to the exact prompt that produced it.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


class PromptError(KeyError):
    pass


VARIANT_SEPARATOR = "\n===\n"
"""A template may hold several phrasings separated by a line `===`; ``render(seed=…)`` picks one."""


@dataclass(frozen=True)
class Template:
    name: str
    variables: tuple[str, ...]
    body: str
    version: str

    @property
    def variants(self) -> list[str]:
        return [v.strip("\n") for v in self.body.split(VARIANT_SEPARATOR)]

    def render(self, seed: int = 0, **values: object) -> str:
        missing = [v for v in self.variables if v not in values]
        extra = [k for k in values if k not in self.variables]
        if missing or extra:
            raise PromptError(f"prompt {self.name!r}: missing {missing}, undeclared {extra}")
        variants = self.variants
        return variants[seed % len(variants)].format_map({k: str(v) for k, v in values.items()})


_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


@lru_cache(maxsize=64)
def load(name: str) -> Template:
    path = resources.files("prompts").joinpath(f"{name}.md")
    if not path.is_file():
        raise PromptError(f"prompt {name!r} not found (prompts/{name}.md)")
    text = path.read_text(encoding="utf-8")
    m = _FRONT.match(text)
    if not m:
        raise PromptError(f"prompt {name!r} has no front matter declaring its variables")
    declared = re.search(r"variables:\s*\[(.*?)\]", m.group(1))
    variables = tuple(v.strip() for v in declared.group(1).split(",") if v.strip()) if declared else ()
    body = text[m.end():]
    used = {f for _, f, _, _ in string.Formatter().parse(body) if f}
    if used != set(variables):
        raise PromptError(f"prompt {name!r}: body uses {sorted(used)} but declares {sorted(variables)}")
    return Template(name=name, variables=variables, body=body, version=hashlib.sha1(text.encode()).hexdigest()[:10])


def render(name: str, seed: int = 0, **values: object) -> str:
    return load(name).render(seed=seed, **values)


def version(name: str) -> str:
    return load(name).version


def available() -> list[str]:
    return sorted(p.name[:-3] for p in resources.files("prompts").iterdir() if p.name.endswith(".md"))
