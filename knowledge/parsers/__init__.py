"""Document parsers: one module per document shape plus a generic Markdown Q&A fallback.

``parse_text`` asks every parser's ``detect`` how sure it is that the text has its shape and uses
the most confident one; the generic parser answers for anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from knowledge.parsers import kaodian, knowledge_points, markdown_qa, qcards, standard_answer
from knowledge.parsers.base import ParsedDoc


@dataclass(frozen=True)
class Parser:
    name: str
    detect: Callable[[str], float]
    parse: Callable[[str, str], ParsedDoc]


PARSERS: tuple[Parser, ...] = tuple(
    Parser(m.NAME, m.detect, m.parse) for m in (kaodian, standard_answer, knowledge_points, qcards, markdown_qa)
)


def choose_parser(text: str) -> Parser:
    return max(PARSERS, key=lambda p: p.detect(text))


def parse_text(text: str, file: str) -> ParsedDoc:
    return choose_parser(text).parse(text, file)


__all__ = ["PARSERS", "ParsedDoc", "Parser", "choose_parser", "parse_text"]
