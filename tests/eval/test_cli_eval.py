"""`mianshi eval …` through typer's runner, on the bundled bank."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.inputs import AnswerRow, read_inputs
from eval.metrics import agreement
from tests.eval.test_inputs import DATA
from ui.cli import app

runner = CliRunner()
ALL = ["rows.jsonl", "rows.json", "sessions.jsonl", "answers.csv", "qa.md", "wenda.md", "dialogue.md", "headings.md",
       "dialogue.txt", "rows_as.txt", "table_noext"]
HOSTILE = '<script>alert(1)</script> 位置编码 "><img onerror=alert(2) src=x>'


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def input_ids(paths: list[Path]) -> list[str]:
    return [r.id for r in read_inputs(paths) if isinstance(r, AnswerRow)]


def test_run_every_format_in_input_order(home_copy: Path, tmp_path: Path) -> None:
    inputs = [DATA / name for name in ALL]
    out = tmp_path / "out"
    res = runner.invoke(app, ["eval", "run", *map(str, inputs), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = lines(out / "grades.jsonl")
    assert [r["id"] for r in rows] == input_ids(inputs)
    assert len(rows) == 25
    required = {"id", "question", "answer", "matched_question_id", "matched_question", "match_confidence", "score",
                "verdict", "key_points", "pitfalls_hit", "flags", "feedback", "grader", "source"}
    assert all(required <= set(r) for r in rows)
    by_id = {r["id"]: r for r in rows}
    assert by_id["pe-1"]["matched_question"] == "为什么 Transformer 需要位置编码？"
    # the batch grade is the examiner's grade for the same question and answer (grader quality is
    # measured on the gold set, benchmarks/grading_agreement.py)
    from agent.examiner import Examiner
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    same = Examiner(KnowledgeBase(KnowledgeSettings())).examine(by_id["pe-1"]["question"], by_id["pe-1"]["answer"]).grade
    assert by_id["pe-1"]["score"] == same.score and by_id["pe-1"]["verdict"] == same.verdict
    assert by_id["pe-1"]["source"].endswith("rows.jsonl:1") and by_id["pe-1"]["grader"] == "rubric"
    # bad rows are reported with file and line, the good rows around them are graded
    for where in ("rows.jsonl:4", "rows.jsonl:5", "answers.csv:5", "qa.md:10", "headings.md:13"):
        assert where in res.stderr
    assert "评分汇总" in res.stdout and "回答数" in res.stdout and "25" in res.stdout
    for name in ("grades.csv", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    assert "各主题平均分" in (out / "report.md").read_text(encoding="utf-8")


def test_shorthand_without_run_and_concurrency(home_copy: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["eval", str(DATA / "qa.md"), "--out", str(tmp_path / "a"), "-j", "2"])
    assert res.exit_code == 0, res.output
    res2 = runner.invoke(app, ["eval", "--out", str(tmp_path / "b"), str(DATA / "qa.md")])
    assert res2.exit_code == 0, res2.output
    assert (tmp_path / "a" / "grades.jsonl").read_bytes() == (tmp_path / "b" / "grades.jsonl").read_bytes()
    assert len(lines(tmp_path / "a" / "grades.jsonl")) == 2
    typo = runner.invoke(app, ["eval", "agreemnt", "x.jsonl"])  # a misspelt command is not taken for a file
    assert typo.exit_code == 2 and "agreement" in typo.output and not Path("x.jsonl").exists()


def test_hostile_answer_is_escaped_in_html(home_copy: Path, tmp_path: Path) -> None:
    src = tmp_path / "hostile.jsonl"
    src.write_text(json.dumps({"id": "evil", "question": "为什么 Transformer 需要位置编码？", "answer": HOSTILE},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["eval", "run", str(src), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and '"><img onerror' not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img onerror=alert(2) src=x&gt;" in page
    assert "<script" not in page.lower()
    assert lines(tmp_path / "out" / "grades.jsonl")[0]["answer"] == HOSTILE


def test_fail_under_sets_the_exit_code(home_copy: Path, tmp_path: Path) -> None:
    src = str(DATA / "wenda.md")
    high = runner.invoke(app, ["eval", "run", src, "--out", str(tmp_path / "h"), "--fail-under", "9.9"])
    assert high.exit_code == 1 and "--fail-under" in high.stderr and "低于" in high.stderr
    low = runner.invoke(app, ["eval", "run", src, "--out", str(tmp_path / "l"), "--fail-under", "0"])
    assert low.exit_code == 0 and "达标" in low.stdout


def test_refuses_to_overwrite_and_resume_finishes(home_copy: Path, tmp_path: Path) -> None:
    src, out = str(DATA / "rows.jsonl"), tmp_path / "out"
    assert runner.invoke(app, ["eval", "run", src, "--out", str(out)]).exit_code == 0
    before = (out / "grades.jsonl").read_bytes()
    again = runner.invoke(app, ["eval", "run", src, "--out", str(out)])
    assert again.exit_code == 2 and "--resume" in again.stderr and "Traceback" not in again.output
    assert (out / "grades.jsonl").read_bytes() == before
    # keep two finished rows plus a torn third line, as after a crash
    kept = b"".join(before.splitlines(keepends=True)[:2])
    (out / "grades.jsonl").write_bytes(kept + b'{"id": "rows.jsonl:3", "question": "KV')
    resumed = runner.invoke(app, ["eval", "run", src, "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "本次评分 2 条" in resumed.stdout and "沿用已完成的 2 条" in resumed.stdout
    assert "没写完" in resumed.stderr
    assert (out / "grades.jsonl").read_bytes() == before


def test_no_rows_is_a_clear_fatal_error(home_copy: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["eval", "run", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "没有可评分的回答" in res.stderr and "missing.jsonl" in res.stderr
    assert "Traceback" not in res.output and not (tmp_path / "o" / "grades.jsonl").exists()


def test_llm_grader_without_configuration_fails_without_scores(home_copy: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MIANSHI_API_KEY", "MIANSHI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    res = runner.invoke(app, ["eval", "run", str(DATA / "qa.md"), "--out", str(tmp_path / "o"), "--grader", "llm"])
    assert res.exit_code == 2 and "未配置大模型" in res.stderr and "OPENAI_API_KEY" in res.stderr
    assert not (tmp_path / "o" / "grades.jsonl").exists() and "平均分" not in res.stdout


def test_help_explains_every_option() -> None:
    res = runner.invoke(app, ["eval", "run", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    for option in ("--out", "--grader", "--format", "--concurrency", "--resume", "--fail-under"):
        assert option in res.stdout
    for words in ("输出目录", "离线规则评分", "扩展名和内容", "线程数", "从中断处继续", "退出码 1"):
        assert words in res.stdout
    group = runner.invoke(app, ["eval", "--help"], env={"COLUMNS": "200"})
    assert "run" in group.stdout and "agreement" in group.stdout and "mianshi eval INPUT" in group.stdout


def test_agreement_matches_metrics_computed_directly(home_copy: Path) -> None:
    from agent.examiner import Examiner
    from eval.batch import open_kb

    path = DATA / "labelled.jsonl"
    res = runner.invoke(app, ["eval", "agreement", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert "labelled.jsonl:9" in res.stderr  # the malformed line is reported
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:8]]
    examiner = Examiner(open_kb())
    predicted = [examiner.examine(r["question"], r["answer"]).grade.score for r in rows]
    expected = agreement([r["label"] for r in rows], predicted, [r["kind"] for r in rows])
    assert json.loads(res.stdout) == json.loads(expected.model_dump_json())

    table = runner.invoke(app, ["eval", "agreement", str(path)], env={"COLUMNS": "160"})
    assert table.exit_code == 0
    for value in (expected.spearman, expected.qwk, expected.mae, expected.within_one):
        assert f"{value:.3f}" in table.stdout
    assert "Spearman" in table.stdout and "fluent_wrong" in table.stdout

    dev = json.loads(runner.invoke(app, ["eval", "agreement", str(path), "--split", "dev", "--json"]).stdout)
    dev_rows = [k for k, r in enumerate(rows) if r["split"] == "dev"]
    assert dev == json.loads(agreement([rows[k]["label"] for k in dev_rows], [predicted[k] for k in dev_rows],
                                       [rows[k]["kind"] for k in dev_rows]).model_dump_json())
