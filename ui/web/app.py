"""Build the Gradio Blocks of ``mianshi ui`` and the options to launch it offline."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui.web.bank_tab import BankTab
from ui.web.batch_tab import BatchTab
from ui.web.context import Relabel, WebContext, log
from ui.web.history_tab import HistoryTab
from ui.web.i18n import LANGUAGE_CHOICES, lang_of, t
from ui.web.interview_tab import InterviewTab, bank_choices
from ui.web.settings_tab import SettingsTab
from ui.web.theme import css, theme

MAX_UPLOAD = "100mb"
"""Largest upload (documents and transcripts); the knowledge base has its own per-document limit."""
LANG_KEY = "mianshi-lang"
"""localStorage key of the language choice (a page reload keeps it)."""


def stored_language(stored: object, current: str | None = None) -> str:
    """The language radio's value from what the browser kept (anyone can edit it); with nothing valid
    kept, the radio as it is (the user may have chosen while the page loaded), else Chinese."""
    labels = [label for label, _ in LANGUAGE_CHOICES]
    if isinstance(stored, str) and stored in labels:
        return stored
    return current if current in labels else labels[0]


@dataclass
class WebApp:
    demo: gr.Blocks
    lang: gr.Radio
    relabel: Relabel
    interview: InterviewTab
    bank: BankTab
    history: HistoryTab
    batch: BatchTab
    settings: SettingsTab

    @property
    def choice_components(self) -> list[Any]:
        """Dropdowns whose choices are named in the UI's language (topics, "all", documents)."""
        return [self.interview.topics, self.bank.topic, self.bank.company, self.bank.source, self.batch.grader]

    def relabel_all(self, lang_choice: str) -> list[Any]:
        """Every label in the chosen language, then the dropdown choices (values unchanged)."""
        lang = lang_of(lang_choice)
        topics, _ = bank_choices(self.interview.ctx.interviewer(), lang)
        return [*self.relabel.updates(lang_choice), gr.update(choices=topics), *self.bank.choice_updates(lang),
                *self.batch.choice_updates(lang)]

    def restore_page(self, stored_session: str | None, stored_lang: object, lang_choice: str) -> dict[Any, Any]:
        """On page load: the language kept in this browser (the radio is left alone when none was kept,
        the user may just have clicked it) and the interview kept in this browser, drawn in it."""
        lang = stored_language(stored_lang, lang_choice)
        return {self.lang: lang if lang == stored_lang else gr.skip(), **self.interview.restore(stored_session, lang)}

    @property
    def text_components(self) -> list[Any]:
        return [self.interview.backend, self.settings.intro, self.settings.help, self.settings.key_state, self.bank.count]

    def texts(self, lang_choice: str) -> list[Any]:
        """Texts built from the current state (examiner, data directory, bank size) in the chosen language."""
        return [self.interview.backend_text(lang_choice), self.settings.intro_text(lang_choice),
                self.settings.help_text(lang_choice), self.settings.key_text(lang_choice),
                self.bank.refresh_count(lang_choice)]


def create(ctx: WebContext | None = None) -> WebApp:
    """The Blocks and its tabs (tests call the tabs' callbacks directly)."""
    ctx = ctx or WebContext()
    relabel = Relabel()
    with gr.Blocks(title="面试 mianshi", analytics_enabled=False, fill_width=True) as demo:
        lang_store = gr.BrowserState(None, storage_key=LANG_KEY)
        with gr.Row(elem_id="ms-header", equal_height=True):
            relabel(gr.Markdown(t("title"), elem_id="ms-title", sanitize_html=True), "title", "value")
            lang = relabel(gr.Radio([label for label, _ in LANGUAGE_CHOICES], value=LANGUAGE_CHOICES[0][0],
                                    label=t("language"), show_label=False, container=False, elem_id="ms-lang",
                                    scale=0, min_width=150), "language")
        with gr.Tabs(selected="interview", elem_id="ms-tabs") as tabs:
            with relabel(gr.Tab(t("tab_interview"), id="interview", elem_id="ms-tab-interview"), "tab_interview"):
                interview = InterviewTab(ctx, relabel, lang)
            with relabel(gr.Tab(t("tab_bank"), id="bank", elem_id="ms-tab-bank"), "tab_bank") as tab_bank:
                bank = BankTab(ctx, relabel, lang, interview)
            with relabel(gr.Tab(t("tab_history"), id="history", elem_id="ms-tab-history"), "tab_history") as tab_history:
                history = HistoryTab(ctx, relabel, lang, interview, tabs)
            with relabel(gr.Tab(t("tab_batch"), id="batch", elem_id="ms-tab-batch"), "tab_batch"):
                batch = BatchTab(ctx, relabel, lang)
            with relabel(gr.Tab(t("tab_settings"), id="settings", elem_id="ms-tab-settings"), "tab_settings"):
                settings = SettingsTab(ctx, relabel, lang, interview)
        history.wire(tab_history)
        tab_bank.select(bank.refresh_count, [lang], bank.count)
        web = WebApp(demo=demo, lang=lang, relabel=relabel, interview=interview, bank=bank, history=history,
                     batch=batch, settings=settings)
        relabelled = [*relabel.components, *web.choice_components]
        # page load, in one step: the language and the session kept in this browser (a click on 开始面试
        # right after the page appears is never undone by a later step), then every label in that language
        (demo.load(web.restore_page, [interview.store, lang_store, lang], [lang, *interview.outputs])
         .then(web.relabel_all, [lang], relabelled, show_progress="hidden")
         .then(web.texts, [lang], web.text_components, show_progress="hidden")
         .then(bank.search, bank.filters, bank.table, show_progress="hidden")
         .then(bank.detail_text, [bank.item_id, lang], bank.detail, show_progress="hidden")
         .then(batch.relabel_table, [batch.table, lang], batch.table, show_progress="hidden"))
        # a language change is kept for the next visit (first: a reload right after the labels change keeps it),
        # then relabels everything
        (lang.input(lambda choice: choice, [lang], [lang_store], show_progress="hidden")
         .then(web.relabel_all, [lang], relabelled, show_progress="hidden")
         .then(interview.redraw, [interview.sid, lang], interview.outputs)
         .then(web.texts, [lang], web.text_components, show_progress="hidden")
         .then(bank.search, bank.filters, bank.table, show_progress="hidden")
         .then(bank.detail_text, [bank.item_id, lang], bank.detail, show_progress="hidden")
         .then(batch.relabel_table, [batch.table, lang], batch.table, show_progress="hidden")
         .then(history.refresh, [lang], history.outputs, show_progress="hidden"))
    return web


def build_app(ctx: WebContext | None = None) -> gr.Blocks:
    return create(ctx).demo


def launch_options() -> dict[str, Any]:
    """Options for ``Blocks.launch``: offline theme and CSS, client-side rendering, no Gradio footer links
    that point to the internet."""
    return {"theme": theme(), "css": css(), "ssr_mode": False, "footer_links": ["settings"], "show_error": False,
            "max_file_size": MAX_UPLOAD}


def warm_up(ctx: WebContext) -> threading.Thread:
    """Load the grader (tokenizer dictionary, IDF table, embedder) in the background so the first answer
    does not wait for it."""

    def run() -> None:
        try:
            ctx.interviewer().warm()
        except Exception as exc:  # a failure here shows up, with a message, on first use
            log.warning("warm-up failed: %s", exc)

    thread = threading.Thread(target=run, name="mianshi-warm-up", daemon=True)
    thread.start()
    return thread
