"""The 批量评测 tab: upload answer transcripts (the formats of ``mianshi eval``) and grade them with
eval.batch — the same grading, files and reports as the CLI; this tab only displays them."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import gradio as gr

from agent.examiner import Examiner
from eval.batch import GRADERS, GRADES_FILE, BatchOptions, EvalError, make_grader, run_batch
from eval.inputs import FORMATS, OUTPUT_FILES, InputProblem
from eval.results import GradedRow, ResultsFile
from ui.web.context import Relabel, WebContext, error_text
from ui.web.i18n import Lang, flag_text, lang_of, t, topic_name, verdict_text
from ui.web.render import esc

MAX_ROWS = 500
COLUMNS = ("col_question", "col_score", "col_verdict", "col_topic", "col_flags", "col_id")
WIDTHS: list[str | int] = ["40%", "7%", "8%", "13%", "20%", "12%"]
DOWNLOADS = {"grades.jsonl": "download_jsonl", "grades.csv": "download_csv", "report.html": "download_report_html",
             "report.md": "download_report_md"}


def result_rows(rows: Iterable[GradedRow], lang: Lang) -> list[list[Any]]:
    return [[r.question, r.score, verdict_text(r.verdict, lang), topic_name(r.topic, lang) if r.topic else "-",
             "、".join(flag_text(f, lang) for f in r.flags), r.id] for r in islice(rows, MAX_ROWS)]


def grader_choices(lang: Lang = "zh") -> list[tuple[str, str]]:
    return [(t(f"grader_{name}", lang), name) for name in GRADERS]


def upload_dirs(files: Sequence[str]) -> list[str]:
    """The folders the browser's uploads were stored in (Gradio keeps each file's own name inside a
    folder of its own), longest first."""
    return sorted({os.path.dirname(f) + os.sep for f in files if os.path.dirname(f)}, key=len, reverse=True)


def own_names(text: str, dirs: Sequence[str]) -> str:
    """``/tmp/gradio/3f…/answers.jsonl:4`` -> ``answers.jsonl:4``: an uploaded file by its own name."""
    for folder in dirs:
        text = text.replace(folder, "")
    return text


def name_uploads_by_their_names(out_dir: Path, dirs: Sequence[str]) -> None:
    """Rewrite the results and reports of a browser upload so every answer's source is the uploaded
    file's own name, never the server's temporary path."""
    if not dirs:
        return
    for name in OUTPUT_FILES:
        path = out_dir / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            fixed = own_names(text, dirs)
            if fixed != text:
                tmp = path.with_name(path.name + ".tmp")
                tmp.write_text(fixed, encoding="utf-8")
                tmp.replace(path)


class BatchTab:
    def __init__(self, ctx: WebContext, relabel: Relabel, lang: gr.Radio) -> None:
        self.ctx = ctx
        self.lang = lang
        with gr.Row(equal_height=False):
            self.files = relabel(gr.File(file_count="multiple", label=t("batch_files"), elem_id="ms-batch-files", scale=3),
                                 "batch_files")
            with gr.Column(scale=2):
                self.fmt = relabel(gr.Dropdown(list(FORMATS), value="auto", label=t("batch_format")), "batch_format")
                self.grader = relabel(gr.Radio(grader_choices(), value="rubric", label=t("batch_grader"),
                                               elem_id="ms-batch-grader"), "batch_grader")
                self.run_btn = relabel(gr.Button(t("batch_run"), variant="primary", elem_id="ms-batch-run"), "batch_run", "value")
        self.summary = gr.HTML("", elem_id="ms-batch-summary")
        with gr.Row():
            self.dl = {name: relabel(gr.DownloadButton(t(key), visible=False, elem_id=f"ms-batch-dl-{name.replace('.', '-')}"),
                                     key, "label") for name, key in DOWNLOADS.items()}
        self.table = relabel(gr.Dataframe(headers=[t(k) for k in COLUMNS], interactive=False, wrap=True,
                                          column_widths=WIDTHS, max_height=520, label=t("batch_results"),
                                          elem_id="ms-batch-table"), "batch_results")
        self.run_btn.click(self.run, [self.files, self.fmt, self.grader, self.lang],
                           [self.summary, self.table, *self.dl.values()], show_progress_on=[self.summary])

    def choice_updates(self, lang: Lang) -> list[Any]:
        return [gr.update(choices=grader_choices(lang))]

    def relabel_table(self, table: Any, lang_choice: str) -> Any:
        """The results' column headers in the chosen language (the rows stay as graded)."""
        headers = [t(k, lang_of(lang_choice)) for k in COLUMNS]
        rows = table.values.tolist() if hasattr(table, "values") else list(table or [])
        if not rows or all(not any(str(c).strip() for c in r) for r in rows):
            return gr.update(headers=headers)
        return gr.update(value=rows, headers=headers)

    def run(self, files: list[str] | None, fmt: str, grader: str, lang_choice: str,
            progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:
        lang = lang_of(lang_choice)
        hidden = {b: gr.update(visible=False) for b in self.dl.values()}
        if not files:
            return {self.summary: f'<div class="ms-msg ms-msg-warn">{esc(t("no_files", lang))}</div>', **hidden}
        problems: list[InputProblem] = []
        dirs = upload_dirs(files)
        try:
            iv = self.ctx.interviewer()
            chosen = make_grader(grader, iv.kb, iv.examiner)
            examiner = iv.examiner if chosen is None else Examiner(iv.kb, grader=chosen)
            out_dir = self.ctx.batch_dir()
            result = run_batch([Path(f) for f in files], BatchOptions(out_dir=out_dir, fmt=fmt),  # type: ignore[arg-type]
                               examiner, on_problem=problems.append,
                               on_progress=lambda done, total: progress((done, total), desc=t("grading_progress", lang)))
            name_uploads_by_their_names(out_dir, dirs)
        except EvalError as exc:
            return {self.summary: f'<div class="ms-msg ms-msg-error">{esc(own_names(str(exc), dirs))}'
                                  f"{problems_html(problems, lang, dirs)}</div>", **hidden}
        except Exception as exc:
            return {self.summary: f'<div class="ms-msg ms-msg-error">{esc(own_names(error_text(exc, lang), dirs))}</div>',
                    **hidden}
        s = result.summary
        assert s is not None
        lines = [t("batch_done", lang, count=s.count, mean=s.mean, median=s.median, unmatched=s.unmatched)]
        if result.failed:
            lines.append(t("batch_failed", lang, n=len(result.failed)))
        html = ('<div class="ms-msg ms-msg-ok">' + "".join(f"<p>{esc(x)}</p>" for x in lines)
                + problems_html(problems, lang, dirs) + "</div>")
        by_name = {p.name: p for p in result.files}
        downloads = {button: gr.update(value=str(by_name[name]), visible=True) if name in by_name else gr.update(visible=False)
                     for name, button in self.dl.items()}
        rows = result_rows(ResultsFile(out_dir / GRADES_FILE).iter_rows(), lang)
        return {self.summary: html, self.table: gr.update(value=rows, headers=[t(k, lang) for k in COLUMNS]), **downloads}


def problems_html(problems: list[InputProblem], lang: Lang, dirs: Sequence[str] = ()) -> str:
    if not problems:
        return ""
    return (f"<p>{esc(t('batch_problems', lang))}</p><ul>"
            + "".join(f"<li>{esc(own_names(p.render(), dirs))}</li>" for p in problems[:30]) + "</ul>")
