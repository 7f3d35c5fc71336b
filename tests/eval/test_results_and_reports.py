"""grades.jsonl recovery and the reports, on hand-made rows (pure, no bank)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from eval.batch import write_reports
from eval.html_report import write_html
from eval.report import Reference, csv_safe, summarize
from eval.results import GradedRow, KeyPointRow, ResultsFile

HOSTILE = '<script>alert(1)</script> "><img onerror=alert(2) src=x>'


def row(k: int, score: float, topic: str = "位置编码", answer: str = "回答", **extra: object) -> GradedRow:
    verdict = "优秀" if score >= 8.5 else "良好" if score >= 7 else "及格" if score >= 6 else "不及格"
    return GradedRow(id=f"r{k}", source=f"a.jsonl:{k}", question=f"问题 {k}", answer=answer, matched=bool(topic),
                     matched_question_id=f"q-{k}" if topic else None, topic=topic, score=score, verdict=verdict,
                     key_points=(KeyPointRow(id="kp1", text="置换不变", verdict="missed"),), grader="rubric",
                     **extra)  # type: ignore[arg-type]


def write(path: Path, rows: list[GradedRow]) -> ResultsFile:
    results = ResultsFile(path)
    with results.appender() as out:
        for r in rows:
            out.write(r)
    return results


def test_recover_cuts_a_torn_tail_and_keeps_whole_rows(tmp_path: Path) -> None:
    results = write(tmp_path / "grades.jsonl", [row(1, 5), row(2, 7)])
    whole = results.path.read_bytes()
    with results.path.open("ab") as f:
        f.write(b'{"id": "r3", "sco')
    rec = results.recover()
    assert rec.done == ["r1", "r2"] and rec.torn_bytes == len(b'{"id": "r3", "sco') and not rec.bad_lines
    assert results.path.read_bytes() == whole


def test_recover_drops_complete_garbage_lines_and_duplicates(tmp_path: Path) -> None:
    results = write(tmp_path / "grades.jsonl", [row(1, 5)])
    with results.path.open("ab") as f:
        f.write(b"not json\n" + row(1, 5).to_line() + b'{"id": "x"}\n')
    write(results.path, [row(2, 6)])
    rec = results.recover()
    assert rec.done == ["r1", "r2"] and rec.bad_lines == [2, 3, 4]
    assert [r.id for r in results.iter_rows()] == ["r1", "r2"]


def test_reorder_puts_rows_back_in_input_order(tmp_path: Path) -> None:
    results = write(tmp_path / "grades.jsonl", [row(2, 5), row(1, 6), row(9, 1)])
    assert results.reorder({"r1": 0, "r2": 1}) is True
    assert results.ids() == ["r1", "r2", "r9"]
    assert results.reorder({"r1": 0, "r2": 1}) is False


def test_rows_from_other_versions_still_read(tmp_path: Path) -> None:
    path = tmp_path / "grades.jsonl"
    data = json.loads(row(1, 5).model_dump_json())
    data["new_field"] = {"anything": 1}
    path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    assert [r.id for r in ResultsFile(path).iter_rows()] == ["r1"]


def test_summary_histogram_topics_and_weakest() -> None:
    rows = [row(1, 9.0), row(2, 2.0, topic=""), row(3, 6.5), row(4, 2.0), row(5, 10.0, topic="KV Cache")]
    s = summarize(rows, weakest=3)
    assert s.count == 5 and s.mean == round((9 + 2 + 6.5 + 2 + 10) / 5, 2) and s.median == 6.5
    assert s.histogram == [0, 0, 2, 0, 0, 0, 1, 0, 0, 2]
    assert s.verdicts == {"优秀": 2, "良好": 0, "及格": 1, "不及格": 2}
    assert [r.id for r in s.weakest] == ["r2", "r4", "r3"]  # ties keep input order
    assert [(t.topic, t.count) for t in s.topics] == [("（未匹配题库）", 1), ("位置编码", 3), ("KV Cache", 1)]
    assert s.unmatched == 1


def test_reports_escape_hostile_text(tmp_path: Path) -> None:
    rows = [row(1, 1.0, answer=HOSTILE, topic=HOSTILE, feedback=HOSTILE), row(2, 8.0)]
    results = write(tmp_path / "grades.jsonl", rows)
    refs = {"q-1": Reference(answer="<b>参考</b>", key_points=("kp",), ref="000:1")}
    summary, files = write_reports(tmp_path, results, refs)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    for raw in ("<script>alert(1)</script>", '"><img onerror', "<b>参考</b>"):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img onerror=alert(2) src=x&gt;" in page
    assert "&lt;b&gt;参考&lt;/b&gt;" in page  # the weakest table shows the reference answer
    assert "<script" not in page.lower() and "<link" not in page.lower() and "src=" not in page.replace("src=x&gt;", "")
    assert page.count("<svg") == 2 and "Content-Security-Policy" in page
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in md and "&lt;script&gt;" in md
    with (tmp_path / "grades.csv").open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["id"] for r in table] == ["r1", "r2"] and table[0]["answer"] == HOSTILE
    assert (tmp_path / "grades.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert summary.count == 2 and files[0] == results.path


def test_csv_cells_are_not_formulas() -> None:
    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_safe("@x") == "'@x" and csv_safe("正常") == "正常"


def test_html_of_empty_results(tmp_path: Path) -> None:
    write_html(tmp_path / "r.html", summarize([]), [], {})
    assert "批量评分报告" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_reports_name_topics_and_graders_as_people_do(tmp_path: Path) -> None:
    rows = [row(1, 3.0, topic="position"), row(2, 8.0, topic="attention").model_copy(update={"grader": "llm:qwen2.5-7b"})]
    results = write(tmp_path / "grades.jsonl", rows)
    write_reports(tmp_path, results, {})
    for name in ("report.html", "report.md"):
        page = (tmp_path / name).read_text(encoding="utf-8")
        assert "位置编码" in page and "注意力机制" in page, name
        assert "离线考官（规则评分）" in page and "大模型 qwen2.5-7b" in page, name
        assert ">position<" not in page and "| position |" not in page, name
