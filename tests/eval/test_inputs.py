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


# issue 11: unclosed quotes, own outputs, unknown columns ------------------------------------------
UNCLOSED = ('question,answer,id\n'
            '多头注意力的动机是什么？,"多个子空间并行关注不同模式,c1\n'
            '为什么 Transformer 需要位置编码？,注意力置换不变，需要注入顺序。,c2\n'
            'KV Cache 是什么？,缓存历史的 K 和 V。,c3\n')


def test_csv_unclosed_quote_names_the_line_and_later_rows_are_read(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(UNCLOSED, encoding="utf-8")
    rows, problems = parse(path)
    assert [(r.id, r.line) for r in rows] == [("c2", 3), ("c3", 4)]
    assert where(problems) == [("answers.csv", 2)] and "引号没有闭合" in problems[0].message


def test_csv_quote_that_pairs_with_a_later_row_is_still_caught(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text('question,answer,id\nq1,"a1 没有结尾,c1\nq2,a2,c2\nq3,"a3",c3\nq4,a4,c4\n', encoding="utf-8")
    rows, problems = parse(path)
    assert [r.id for r in rows] == ["c2", "c3", "c4"] and rows[1].answer == "a3"
    assert where(problems) == [("answers.csv", 2)]


def test_csv_multiline_cells_are_not_mistaken_for_unclosed_quotes() -> None:
    rows, problems = parse(DATA / "answers.csv")
    assert "\n" in rows[0].answer and not any("引号" in p.message for p in problems)


def test_unknown_columns_and_keys_are_reported_once(tmp_path: Path) -> None:
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("question,answer,score,备注\nq1,a1,3,x\nq2,a2,4,y\n", encoding="utf-8")
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text('{"question": "q3", "answer": "a3", "label": 1}\n{"question": "q4", "answer": "a4", "label": 2}\n'
                     '{"question": "q5", "answer": "a5", "label": 2, "kind": "good"}\n', encoding="utf-8")
    again = tmp_path / "c.csv"
    again.write_text("question,answer,score\nq6,a6,1\n", encoding="utf-8")
    rows, problems = parse(csv_path, jsonl, again)
    assert len(rows) == 6
    assert [(Path(p.file).name, p.line) for p in problems] == [("a.csv", 1), ("b.jsonl", 1), ("b.jsonl", 3)]
    assert "score" in problems[0].message and "备注" in problems[0].message
    assert "label" in problems[1].message and "kind" in problems[2].message and "label" not in problems[2].message


def test_directory_never_yields_the_batch_outputs(tmp_path: Path) -> None:
    inputs = tmp_path / "answers"
    inputs.mkdir()
    (inputs / "rows.jsonl").write_text((DATA / "rows.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    out = inputs / "out"  # an earlier --out inside the input folder
    out.mkdir()
    (out / "grades.jsonl").write_text('{"id": "pe-1", "source": "x:1", "question": "q", "answer": "a", "score": 7, '
                                      '"verdict": "良好"}\n', encoding="utf-8")
    (out / "report.md").write_text("# 批量评分报告\n\n- 回答数：1\n", encoding="utf-8")
    copied = inputs / "old_grades.jsonl"  # results copied elsewhere
    copied.write_text((out / "grades.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    report = inputs / "summary.md"
    report.write_text("# 批量评分报告\n\nQ: 不该读\nA: 不该读\n", encoding="utf-8")
    rows, problems = parse(inputs)
    assert {r.file for r in rows} == {str(inputs / "rows.jsonl")}
    skipped = {Path(p.file).name for p in problems if "已跳过" in p.message and p.line is None}
    assert {"out", "old_grades.jsonl", "summary.md"} <= skipped


def test_eval_run_grades_the_rows_after_an_unclosed_quote(home_copy: Path, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from ui.cli import app

    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "answers.csv").write_text(UNCLOSED, encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["eval", "run", str(folder), "--out", str(folder / "out")])
    assert res.exit_code == 0, res.output
    assert "answers.csv:2" in res.stderr and "引号没有闭合" in res.stderr
    graded = [json.loads(line) for line in (folder / "out" / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in graded] == ["c2", "c3"]
    # a second run over the same folder (its earlier --out inside) grades the same two rows, not its outputs
    again = runner.invoke(app, ["eval", "run", str(folder), "--out", str(folder / "out2")])
    assert again.exit_code == 0, again.output
    assert len((folder / "out2" / "grades.jsonl").read_text(encoding="utf-8").splitlines()) == 2
