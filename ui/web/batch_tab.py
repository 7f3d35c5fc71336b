"""The 批量评测 tab: upload answer transcripts (the formats of ``mianshi eval``) and grade them with
eval.batch — the same grading, files and reports as the CLI; this tab only displays them."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import Any

import gradio as gr

from agent.examiner import Examiner
from eval.batch import GRADERS, GRADES_FILE, BatchOptions, EvalError, make_grader, run_batch
from eval.inputs import FORMATS, InputProblem
from eval.results import GradedRow, ResultsFile
from ui.web.context import Relabel, WebContext, error_text
from ui.web.i18n import Lang, flag_text, lang_of, t, verdict_text
from ui.web.render import esc

MAX_ROWS = 500
COLUMNS = ("col_id", "col_score", "col_verdict", "col_topic", "col_question", "col_flags")
DOWNLOADS = {"grades.jsonl": "download_jsonl", "grades.csv": "download_csv", "report.html": "download_report_html",
             "report.md": "download_report_md"}


def result_rows(rows: Iterable[GradedRow], lang: Lang) -> list[list[Any]]:
    return [[r.id, r.score, verdict_text(r.verdict, lang), r.topic or "-", r.question,
             "、".join(flag_text(f, lang) for f in r.flags)] for r in islice(rows, MAX_ROWS)]


class BatchTab:
    def __init__(self, ctx: WebContext, relabel: Relabel, lang: gr.Radio) -> None:
        self.ctx = ctx
        self.lang = lang
        with gr.Row(equal_height=False):
            self.files = relabel(gr.File(file_count="multiple", label=t("batch_files"), elem_id="ms-batch-files", scale=3),
                                 "batch_files")
            with gr.Column(scale=2):
                self.fmt = relabel(gr.Dropdown(list(FORMATS), value="auto", label=t("batch_format")), "batch_format")
                self.grader = relabel(gr.Radio(list(GRADERS), value="rubric", label=t("batch_grader")), "batch_grader")
                self.run_btn = relabel(gr.Button(t("batch_run"), variant="primary", elem_id="ms-batch-run"), "batch_run", "value")
        self.summary = gr.HTML("", elem_id="ms-batch-summary")
        with gr.Row():
            self.dl = {name: relabel(gr.DownloadButton(t(key), visible=False, elem_id=f"ms-batch-dl-{name.replace('.', '-')}"),
                                     key, "label") for name, key in DOWNLOADS.items()}
        self.table = relabel(gr.Dataframe(headers=[t(k) for k in COLUMNS], interactive=False, wrap=True,
                                          label=t("batch_results"), elem_id="ms-batch-table"), "batch_results")
        self.run_btn.click(self.run, [self.files, self.fmt, self.grader, self.lang],
                           [self.summary, self.table, *self.dl.values()])

    def run(self, files: list[str] | None, fmt: str, grader: str, lang_choice: str,
            progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:
        lang = lang_of(lang_choice)
        hidden = {b: gr.update(visible=False) for b in self.dl.values()}
        if not files:
            return {self.summary: f'<div class="ms-msg ms-msg-warn">{esc(t("no_files", lang))}</div>', **hidden}
        problems: list[InputProblem] = []
        try:
            iv = self.ctx.interviewer()
            chosen = make_grader(grader, iv.kb, iv.examiner)
            examiner = iv.examiner if chosen is None else Examiner(iv.kb, grader=chosen)
            out_dir = self.ctx.batch_dir()
            result = run_batch([Path(f) for f in files], BatchOptions(out_dir=out_dir, fmt=fmt),  # type: ignore[arg-type]
                               examiner, on_problem=problems.append,
                               on_progress=lambda done, total: progress((done, total), desc="评分"))
        except EvalError as exc:
            return {self.summary: f'<div class="ms-msg ms-msg-error">{esc(str(exc))}'
                                  f"{problems_html(problems, lang)}</div>", **hidden}
        except Exception as exc:
            return {self.summary: f'<div class="ms-msg ms-msg-error">{esc(error_text(exc, lang))}</div>', **hidden}
        s = result.summary
        assert s is not None
        lines = [t("batch_done", lang, count=s.count, mean=s.mean, median=s.median, unmatched=s.unmatched)]
        if result.failed:
            lines.append(t("batch_failed", lang, n=len(result.failed)))
        html = ('<div class="ms-msg ms-msg-ok">' + "".join(f"<p>{esc(x)}</p>" for x in lines)
                + problems_html(problems, lang) + "</div>")
        by_name = {p.name: p for p in result.files}
        downloads = {button: gr.update(value=str(by_name[name]), visible=True) if name in by_name else gr.update(visible=False)
                     for name, button in self.dl.items()}
        rows = result_rows(ResultsFile(out_dir / GRADES_FILE).iter_rows(), lang)
        return {self.summary: html, self.table: gr.update(value=rows, headers=[t(k, lang) for k in COLUMNS]), **downloads}


def problems_html(problems: list[InputProblem], lang: Lang) -> str:
    if not problems:
        return ""
    return (f"<p>{esc(t('batch_problems', lang))}</p><ul>"
            + "".join(f"<li>{esc(p.render())}</li>" for p in problems[:30]) + "</ul>")
