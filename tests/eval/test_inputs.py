"""Answer files -> rows: every format, autodetection, bad rows with their line numbers (pure, no bank)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.inputs import AnswerRow, InputProblem, detect_format, read_inputs
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "transcripts"


def parse(*paths: Path, fmt: str = "auto") -> tuple[list[AnswerRow], list[InputProblem]]:
    rows: list[AnswerRow] = []
    problems: list[InputProblem] = []
    for got in read_inputs(list(paths), fmt):  # type: ignore[arg-type]
        (problems if isinstance(got, InputProblem) else rows).append(got)  # type: ignore[arg-type]
    return rows, problems


def where(problems: list[InputProblem]) -> list[tuple[str, int | None]]:
    return [(Path(p.file).name, p.line) for p in problems]


def test_jsonl_rows_keep_good_rows_and_report_bad_lines() -> None:
    rows, problems = parse(DATA / "rows.jsonl")
    assert [r.id for r in rows] == ["pe-1", "mha-1", "rows.jsonl:3", "ln-1"]
    assert [r.line for r in rows] == [1, 2, 3, 6]
    assert rows[0].question == "为什么 Transformer 需要位置编码？" and "置换不变" in rows[0].answer
    assert rows[0].source.endswith("rows.jsonl:1")
    assert where(problems) == [("rows.jsonl", 4), ("rows.jsonl", 5)]
    assert "JSON" in problems[0].message and "answer" in problems[1].message
    assert problems[0].render().endswith(problems[0].message) and ":4:" in problems[0].render()


def test_json_array_with_a_session_gets_element_lines() -> None:
    rows, problems = parse(DATA / "rows.json")
    assert not problems
    assert [(r.id, r.line) for r in rows] == [("j1", 2), ("rows.json:3", 3), ("j-session#1", 5)]
    session = rows[2]
    assert session.question == "多头计算流程？"  # the small talk before it is not the question
    assert session.answer.startswith("先用线性层") and "concat" in session.answer  # both candidate turns


def test_jsonl_sessions_pair_turns_and_report_unanswered() -> None:
    rows, problems = parse(DATA / "sessions.jsonl")
    assert [r.id for r in rows] == ["s1#1", "s1#2", "sessions.jsonl:2#1"]
    assert rows[1].question.startswith("Transformer 常见张量形状") and rows[1].answer.startswith("B 是 batch size")
    assert where(problems) == [("sessions.jsonl", 1), ("sessions.jsonl", 2)]
    assert "缺少回答" in problems[0].message and "没有问题" in problems[1].message


def test_csv_multiline_cell_missing_answer_and_ids() -> None:
    rows, problems = parse(DATA / "answers.csv")
    assert [(r.id, r.line) for r in rows] == [("c1", 2), ("answers.csv:4", 4), ("c4", 6)]
    assert rows[0].answer == "多头是多个低维子空间并行关注不同模式，\n比单头在一个空间里匹配表达能力更强。"
    assert where(problems) == [("answers.csv", 5)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    text = (DATA / "answers.csv").read_text(encoding="utf-8")
    path = tmp_path / "answers.csv"
    path.write_bytes(text.encode(encoding))
    rows, _ = parse(path)
    expected, _ = parse(DATA / "answers.csv")
    assert [(r.id, r.question, r.answer) for r in rows] == [(r.id, r.question, r.answer) for r in expected]


def test_markdown_shapes() -> None:
    qa, qa_problems = parse(DATA / "qa.md")
    assert [(r.line, r.question) for r in qa] == [(3, "为什么 Transformer 需要位置编码？"), (7, "多头注意力的动机是什么？")]
    assert qa[0].answer == "注意力本身不区分顺序，\n所以要加位置编码，把顺序信息注入到 token 表示里。"
    assert where(qa_problems) == [("qa.md", 10)]  # Q without A

    wenda, _ = parse(DATA / "wenda.md")
    assert [r.question for r in wenda] == ["KV Cache 是什么？为什么能加速生成？", "为什么用 LayerNorm 而不是 BatchNorm？"]

    dialogue, problems = parse(DATA / "dialogue.md")
    assert not problems
    assert [(r.line, r.question) for r in dialogue] == [(4, "FFN 在 Transformer 里干什么？"), (8, "多头计算流程？")]
    assert "补充一点" in dialogue[0].answer  # two candidate messages, one answer

    headings, h_problems = parse(DATA / "headings.md")
    assert [(r.line, r.question) for r in headings] == [(5, "为什么 Transformer 取代 RNN/CNN？"),
                                                       (9, "sinusoidal vs learned 位置编码区别？")]
    assert headings[1].answer.startswith("sinusoidal")  # the 答： label is dropped
    assert where(h_problems) == [("headings.md", 13)]  # heading with no answer; "## 基础" is a section


def test_autodetect_by_content_and_forced_format(tmp_path: Path) -> None:
    assert [r.id for r in parse(DATA / "rows_as.txt")[0]] == ["t1", "t2"]
    assert [r.question for r in parse(DATA / "dialogue.txt")[0]] == ["为什么 Transformer 需要位置编码？"]
    assert [r.answer for r in parse(DATA / "table_noext")[0]] == ["初期梯度噪声大，学习率从小到大。"]
    assert detect_format(DATA / "rows.json", []) == "json"
    assert detect_format(Path("x.ndjson"), []) == "jsonl"
    odd = tmp_path / "export.data"
    odd.write_text((DATA / "qa.md").read_text(encoding="utf-8"), encoding="utf-8")
    assert len(parse(odd)[0]) == 2
    forced = tmp_path / "rows.log"
    forced.write_text((DATA / "answers.csv").read_text(encoding="utf-8"), encoding="utf-8")
    assert [r.id for r in parse(forced, fmt="csv")[0]] == ["c1", "rows.log:4", "c4"]


def test_undecodable_line_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    lines = (DATA / "rows.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(lines[0] + b'{"question": "\xff\xfe\xfa", "answer": "x"}\n' + lines[1])
    rows, problems = parse(path)
    assert [r.id for r in rows] == ["pe-1", "mha-1"]
    assert where(problems) == [("mixed.jsonl", 2)] and "解码" in problems[0].message


def test_unreadable_empty_and_unrecognised_files_are_warnings(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    prose = tmp_path / "notes.md"
    prose.write_text("只是一段笔记，没有问答。\n", encoding="utf-8")
    rows, problems = parse(tmp_path / "missing.jsonl", empty, prose, DATA / "rows_as.txt")
    assert [r.id for r in rows] == ["t1", "t2"]
    assert [Path(p.file).name for p in problems] == ["missing.jsonl", "empty.jsonl", "notes.md"]
    assert "无法读取" in problems[0].message and "为空" in problems[1].message and "没有识别" in problems[2].message


def test_broken_json_array_keeps_earlier_elements(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n {"question": "多头计算流程？", "answer": "拆 head。"},\n {"question": "x", "answer": \n]\n',
                    encoding="utf-8")
    rows, problems = parse(path)
    assert [r.line for r in rows] == [2] and problems[0].line == 4


def test_duplicate_ids_are_made_unique(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    path.write_text('{"id": "a", "question": "q1", "answer": "x"}\n{"id": "a", "question": "q2", "answer": "y"}\n',
                    encoding="utf-8")
    rows, problems = parse(path)
    assert [r.id for r in rows] == ["a", "a~2"] and "重复" in problems[0].message


def test_directory_input_and_stable_ids() -> None:
    rows, _ = parse(DATA)
    again, _ = parse(DATA)
    assert [r.id for r in rows] == [r.id for r in again]
    assert len({r.id for r in rows}) == len(rows) > 20
