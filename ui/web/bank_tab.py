"""The 题库 tab: browse, search and filter the question bank, view an item, add documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from knowledge.bank import Bank
from knowledge.imports import ImportReport, plan_import
from knowledge.retrieval import MatchResult
from knowledge.schema import LoadWarning, QuestionItem
from knowledge.topics import topic_label
from ui.web.context import Relabel, WebContext, error_text
from ui.web.i18n import Lang, lang_of, stage_name, t
from ui.web.interview_tab import InterviewTab, bank_choices
from ui.web.render import esc, item_html

MAX_ROWS = 500
SEMANTIC_HITS = 10
COLUMNS = ("col_question", "col_topic", "col_difficulty", "col_companies", "col_source", "col_id")
WIDTHS: list[str | int] = ["40%", "13%", "6%", "8%", "20%", "13%"]


def filter_items(items: Sequence[QuestionItem], query: str = "", topic: str = "", lo: int = 1, hi: int = 5,
                 company: str = "", source: str = "",
                 search: Callable[[str], MatchResult] | None = None) -> list[QuestionItem]:
    """Items passing the filters. A query keeps the items whose question contains it, then those whose
    reference answer does, then the semantic matches (hybrid retrieval)."""
    low, high = sorted((int(lo), int(hi)))

    def keep(i: QuestionItem) -> bool:
        return (low <= i.difficulty <= high and (not topic or topic in (i.topic.value, i.topic_label))
                and (not company or company in i.companies) and (not source or i.source.file == source))

    pool = [i for i in items if keep(i)]
    q = (query or "").strip().lower()
    if not q:
        return pool
    found = [i for i in pool if q in i.question.lower()]
    found += [i for i in pool if q not in i.question.lower() and q in i.reference_answer.lower()]
    if search is not None:
        allowed = {i.id: i for i in pool}
        seen = {i.id for i in found}
        for hit in search(query.strip()).hits:
            if hit.id in allowed and hit.id not in seen:
                found.append(allowed[hit.id])
                seen.add(hit.id)
    return found


def where(item: QuestionItem) -> str:
    """The document a question comes from, by its title, then its short reference (``003:21``, as
    ``mianshi kb show`` takes it)."""
    return f"{item.source.doc} · {item.source.ref}"


def table_rows(items: Sequence[QuestionItem], lang: Lang = "zh") -> list[list[Any]]:
    return [[i.question, topic_label(i.topic, lang), i.difficulty, "、".join(i.companies), where(i), i.id]
            for i in items[:MAX_ROWS]]


def with_all(values: Sequence[str | tuple[str, str]], lang: Lang = "zh") -> list[tuple[str, str]]:
    """Dropdown choices with "全部" (no filter, value "") first; a choice is a value or (label, value)."""
    return [(t("all", lang), ""), *((v, v) if isinstance(v, str) else v for v in values)]


def document_choices(bank: Bank) -> list[tuple[str, str]]:
    """The bank's documents as (title, file name): people see the title, the filter keeps the file."""
    titles = {i.source.file: i.source.doc for i in bank.items}
    return [(titles.get(d.file, d.file), d.file) for d in bank.documents]


def headers(lang: Lang) -> list[str]:
    return [t(k, lang) for k in COLUMNS]


def count_text(items: int, docs: int, lang: Lang) -> str:
    return t("bank_count", lang, items=items, docs=docs)


def screen_uploads(paths: Sequence[Path], max_mb: float) -> tuple[list[Path], list[LoadWarning]]:
    """The uploads that are question documents, and why the others are not (nothing is written)."""
    planned, problems = plan_import(paths, None, max_mb)
    accepted = [p.source.path for p in planned if p.writes]
    rejected = [*problems, *(w for p in planned if p.report.status == "rejected"
                             for w in (p.report.warnings or (LoadWarning(file=p.report.path, message="没有识别出任何题目"),)))]
    return accepted, rejected


def warnings_html(title: str, warnings: Sequence[LoadWarning]) -> str:
    if not warnings:
        return ""
    return f"<p>{esc(title)}</p><ul>" + "".join(f"<li>{esc(w.render())}</li>" for w in warnings[:30]) + "</ul>"


def _named(w: LoadWarning) -> LoadWarning:
    """An upload's warning by its file name (uploads live in a temporary folder)."""
    return w.model_copy(update={"file": Path(w.file).name})


IMPORT_COLUMNS = ("imp_file", "imp_status", "imp_items", "imp_noref", "imp_skipped")


def import_html(report: ImportReport, lang: Lang) -> str:
    """The import report: one row per uploaded file, then what was skipped or rejected and why."""
    head = "".join(f"<th>{esc(t(k, lang))}</th>" for k in IMPORT_COLUMNS)
    rows = "".join(
        f"<tr><td>{esc(Path(f.path).name)}</td><td>{esc(t('imp_' + f.status, lang))}</td><td>{f.items}</td>"
        f"<td>{f.without_reference}</td><td>{len(f.skipped)}</td></tr>" for f in report.files)
    rejected = [_named(w) for f in report.rejected for w in (f.warnings[-1:] or (LoadWarning(file=f.path, message=f.reason),))]
    warnings = [_named(w) for f in report.accepted for w in f.warnings]
    skipped = [_named(w) for f in report.accepted for w in f.skipped]
    return (f'<table class="ms-import">{"<tr>" + head + "</tr>"}{rows}</table>'
            f"{warnings_html(t('rejected_some', lang), [*map(_named, report.problems), *rejected])}"
            f"{warnings_html(t('warnings', lang), warnings)}{warnings_html(t('skipped_blocks', lang), skipped)}")


class BankTab:
    def __init__(self, ctx: WebContext, relabel: Relabel, lang: gr.Radio, interview: InterviewTab) -> None:
        self.ctx = ctx
        self.lang = lang
        self.interview = interview
        bank = ctx.interviewer().kb.ensure_built()
        topics, companies = bank_choices(ctx.interviewer())
        sources = document_choices(bank)
        self.count = gr.Markdown(count_text(len(bank.items), len(bank.documents), "zh"), elem_id="ms-bank-count")
        with gr.Row():
            self.query = relabel(gr.Textbox(label=t("search"), elem_id="ms-bank-query", scale=3), "search")
            self.topic = relabel(gr.Dropdown(with_all(topics), value="", label=t("topic"), elem_id="ms-bank-topic",
                                             scale=2), "topic")
            self.company = relabel(gr.Dropdown(with_all(companies), value="", label=t("company"), scale=1), "company")
            self.source = relabel(gr.Dropdown(with_all(sources), value="", label=t("source"), scale=2), "source")
        with gr.Row():
            self.lo = relabel(gr.Slider(1, 5, value=1, step=1, label=t("difficulty_lo")), "difficulty_lo")
            self.hi = relabel(gr.Slider(1, 5, value=5, step=1, label=t("difficulty_hi")), "difficulty_hi")
            self.search_btn = relabel(gr.Button(t("search_button"), variant="primary", elem_id="ms-bank-search"),
                                      "search_button", "value")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                self.table = relabel(gr.Dataframe(table_rows(bank.items), headers=headers("zh"), interactive=False,
                                                  wrap=True, max_height=560, column_widths=WIDTHS, label=t("items"),
                                                  elem_id="ms-bank-table"), "items")
            with gr.Column(scale=2):
                with gr.Row():
                    self.item_id = relabel(gr.Textbox(label=t("item_id"), elem_id="ms-item-id", scale=3), "item_id")
                    self.view_btn = relabel(gr.Button(t("view_item"), scale=1, elem_id="ms-item-view"), "view_item", "value")
                self.detail = gr.HTML(f'<div class="ms-card ms-empty">{esc(t("pick_item"))}</div>', elem_id="ms-item")
        with gr.Row(equal_height=False):
            self.files = relabel(gr.File(file_count="multiple", label=t("upload_docs"), elem_id="ms-upload"), "upload_docs")
            with gr.Column():
                self.add_btn = relabel(gr.Button(t("add_docs"), variant="primary", elem_id="ms-add-docs"), "add_docs", "value")
                self.result = gr.HTML("", elem_id="ms-upload-result")
        self.wire()

    # callbacks -------------------------------------------------------------------------------------------
    def search(self, query: str, topic: str, company: str, source: str, lo: float, hi: float,
               lang_choice: str) -> Any:
        iv = self.ctx.interviewer()
        items = iv.kb.ensure_built().items
        args = (items, query, topic or "", int(lo), int(hi), company or "", source or "")
        try:
            found = filter_items(*args, search=lambda q: iv.kb.search(q, k=SEMANTIC_HITS))
        except Exception:  # retrieval failing must not hide the plain filter
            found = filter_items(*args)
        lang = lang_of(lang_choice)
        return gr.update(value=table_rows(found, lang), headers=headers(lang))

    def view(self, item_id: str, lang_choice: str) -> str:
        lang = lang_of(lang_choice)
        item = self.ctx.interviewer().bank.by_id.get((item_id or "").strip())
        if item is None:
            item = self.ctx.interviewer().kb.bank().by_id().get((item_id or "").strip())
        if item is None:
            return f'<div class="ms-card ms-empty">{esc(t("item_missing", lang, id=item_id))}</div>'
        return item_html(item, lang)

    def detail_text(self, item_id: str, lang_choice: str) -> str:
        """The detail pane in ``lang``: the chosen question again, or the hint to choose one."""
        if (item_id or "").strip():
            return self.view(item_id, lang_choice)
        return f'<div class="ms-card ms-empty">{esc(t("pick_item", lang_of(lang_choice)))}</div>'

    def select(self, evt: gr.SelectData, lang_choice: str) -> tuple[str, str]:
        row = evt.row_value or []
        item_id = str(row[-1]) if row else ""
        return item_id, self.view(item_id, lang_choice)

    def add(self, files: list[str] | None, lang_choice: str, progress: gr.Progress = gr.Progress()) -> dict[Any, Any]:
        lang = lang_of(lang_choice)
        if not files:
            return {self.result: f'<div class="ms-msg ms-msg-warn">{esc(t("no_files", lang))}</div>'}
        if not self.ctx.may_change_shared():  # the bank is every user's: one user's notes would reach them all
            return {self.result: f'<div class="ms-msg ms-msg-error">{esc(t("upload_admin_only", lang))}</div>',
                    self.files: None}
        paths = [Path(f) for f in files]
        try:
            with self.ctx.bank_lock:
                iv = self.ctx.interviewer()
                before = len(iv.kb.ensure_built().items)
                report = iv.kb.add(paths, progress=lambda stage, done, total: progress((done, total),
                                                                                        desc=stage_name(stage, lang)))
                if not report.accepted:
                    key = "rejected_all" if report.rejected or report.problems else "already_added"
                    return {self.result: f'<div class="ms-msg ms-msg-warn">{esc(t(key, lang, n=len(paths)))}'
                                         f"{import_html(report, lang)}</div>"}
                iv = self.ctx.refresh()
        except Exception as exc:
            return {self.result: f'<div class="ms-msg ms-msg-error">{esc(error_text(exc, lang))}</div>'}
        total = report.bank_items if report.bank_items is not None else before
        message = t("import_summary", lang, files=len(report.accepted), items=report.items_added,
                    noref=report.without_reference, skipped=report.skipped_blocks, total=total,
                    new=total - before, seconds=report.seconds)
        html = f'<div class="ms-msg ms-msg-ok">{esc(message)}{import_html(report, lang)}</div>'
        bank = iv.kb.ensure_built()
        topics, companies = bank_choices(iv, lang)
        return {self.result: html, self.count: count_text(len(bank.items), len(bank.documents), lang),
                self.table: gr.update(value=table_rows(bank.items, lang), headers=headers(lang)),
                self.topic: gr.update(choices=with_all(topics, lang)), self.company: gr.update(choices=with_all(companies, lang)),
                self.source: gr.update(choices=with_all(document_choices(bank), lang)),
                self.interview.topics: gr.update(choices=topics), self.interview.companies: gr.update(choices=companies),
                self.files: None}

    def refresh_count(self, lang_choice: str) -> str:
        bank = self.ctx.interviewer().kb.ensure_built()
        return count_text(len(bank.items), len(bank.documents), lang_of(lang_choice))

    @property
    def filters(self) -> list[Any]:
        return [self.query, self.topic, self.company, self.source, self.lo, self.hi, self.lang]

    def choice_updates(self, lang: Lang) -> list[Any]:
        """The topic, company and document dropdowns named in ``lang`` (their values stay the same)."""
        iv = self.ctx.interviewer()
        topics, companies = bank_choices(iv, lang)
        return [gr.update(choices=with_all(topics, lang)), gr.update(choices=with_all(companies, lang)),
                gr.update(choices=with_all(document_choices(iv.kb.ensure_built()), lang))]

    def wire(self) -> None:
        filters = self.filters
        self.search_btn.click(self.search, filters, self.table, show_progress_on=[self.table])
        self.query.submit(self.search, filters, self.table, show_progress_on=[self.table])
        for dropdown in (self.topic, self.company, self.source):
            dropdown.input(self.search, filters, self.table, show_progress_on=[self.table])
        self.table.select(self.select, [self.lang], [self.item_id, self.detail])
        self.view_btn.click(self.view, [self.item_id, self.lang], self.detail)
        self.item_id.submit(self.view, [self.item_id, self.lang], self.detail)
        # one progress bar, on the result; then the table shows the bank through the filters still on screen
        (self.add_btn.click(self.add, [self.files, self.lang],
                            [self.result, self.count, self.table, self.topic, self.company, self.source,
                             self.interview.topics, self.interview.companies, self.files], show_progress_on=[self.result])
         .then(self.search, filters, self.table, show_progress="hidden"))
