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
from ui.web.i18n import LANGUAGE_CHOICES, t
from ui.web.interview_tab import InterviewTab
from ui.web.settings_tab import SettingsTab

FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"]
MAX_UPLOAD = "100mb"
"""Largest upload (documents and transcripts); the knowledge base has its own per-document limit."""
MONO = ["Noto Sans Mono CJK SC", "ui-monospace", "monospace"]

CSS = """
.ms-card{font-size:14px;line-height:1.6}
.ms-card h4,.ms-report h4,.ms-item h4{margin:.8em 0 .3em;font-weight:600}
.ms-empty{color:var(--body-text-color-subdued);padding:1em}
.ms-score{font-size:15px}.ms-score-num{font-size:28px;font-weight:700}.ms-score-max{color:var(--body-text-color-subdued)}
.ms-verdict{display:inline-block;margin-left:.6em;padding:1px 10px;border-radius:10px;font-weight:600;color:#fff;background:#6b7280}
.ms-v-excellent{background:#15803d}.ms-v-good{background:#2563eb}.ms-v-pass{background:#ca8a04}.ms-v-fail{background:#dc2626}
td.ms-v-excellent,td.ms-v-good,td.ms-v-pass,td.ms-v-fail{background:none;color:inherit;font-weight:600}
.ms-question{margin:.4em 0;font-weight:600}
.ms-answer,.ms-ref-text,.ms-feedback{white-space:pre-wrap;word-break:break-word;padding:.5em .7em;border-radius:6px;
  background:var(--background-fill-secondary)}
mark.ms-ev{padding:0 1px;border-radius:3px;color:inherit}
mark.ms-covered{background:rgba(34,197,94,.35)}mark.ms-partial{background:rgba(234,179,8,.40)}mark.ms-missed{background:rgba(239,68,68,.30)}
.ms-kps{list-style:none;padding-left:0}.ms-kp{margin:.25em 0}.ms-kp-mark{font-weight:600;margin-right:.3em}
.ms-kp.ms-covered .ms-kp-mark{color:#15803d}.ms-kp.ms-partial .ms-kp-mark{color:#a16207}.ms-kp.ms-missed .ms-kp-mark{color:#dc2626}
.ms-kp-ev{color:var(--body-text-color-subdued);font-size:13px;margin-left:1.6em}
.ms-flag,.ms-tag{display:inline-block;margin:2px 4px 2px 0;padding:0 8px;border-radius:8px;background:var(--background-fill-secondary);font-size:13px}
.ms-ref-hidden,.ms-ref-none,.ms-refs,.ms-grader,.ms-meta{color:var(--body-text-color-subdued);font-size:13px}
.ms-table{border-collapse:collapse;width:100%}.ms-table td,.ms-table th{border:1px solid var(--border-color-primary);padding:4px 6px;vertical-align:top}
.ms-msg{padding:.6em .8em;border-radius:6px;background:var(--background-fill-secondary)}
.ms-msg-ok{border-left:4px solid #16a34a}.ms-msg-warn{border-left:4px solid #ca8a04}.ms-msg-error{border-left:4px solid #dc2626}
#ms-notice p{color:#b45309;font-weight:600}
"""


def theme() -> gr.themes.Base:
    """The default theme with system CJK fonts (no font is fetched from the network)."""
    return gr.themes.Default(font=FONTS, font_mono=MONO)


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


def create(ctx: WebContext | None = None) -> WebApp:
    """The Blocks and its tabs (tests call the tabs' callbacks directly)."""
    ctx = ctx or WebContext()
    relabel = Relabel()
    with gr.Blocks(title="面试 mianshi", analytics_enabled=False) as demo:
        with gr.Row():
            relabel(gr.Markdown(t("title"), elem_id="ms-title"), "title", "value")
            lang = relabel(gr.Radio([label for label, _ in LANGUAGE_CHOICES], value=LANGUAGE_CHOICES[0][0],
                                    label=t("language"), elem_id="ms-lang", scale=0, min_width=200), "language")
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
                settings = SettingsTab(ctx, relabel, lang)
        history.wire(tab_history)
        tab_bank.select(bank.refresh_count, [lang], bank.count)
        demo.load(interview.restore, [interview.store, lang], interview.outputs)
        (lang.change(relabel.updates, [lang], relabel.components)
         .then(interview.redraw, [interview.sid, lang], interview.outputs)
         .then(interview.backend_text, [lang], interview.backend)
         .then(settings.intro_text, [lang], settings.intro)
         .then(bank.refresh_count, [lang], bank.count))
    return WebApp(demo=demo, lang=lang, relabel=relabel, interview=interview, bank=bank, history=history, batch=batch,
                  settings=settings)


def build_app(ctx: WebContext | None = None) -> gr.Blocks:
    return create(ctx).demo


def launch_options() -> dict[str, Any]:
    """Options for ``Blocks.launch``: offline theme and CSS, client-side rendering, no Gradio footer links
    that point to the internet."""
    return {"theme": theme(), "css": CSS, "ssr_mode": False, "footer_links": ["settings"], "show_error": False,
            "max_file_size": MAX_UPLOAD}


def warm_up(ctx: WebContext) -> threading.Thread:
    """Load the grader (tokenizer dictionary, IDF table, embedder) in the background so the first answer
    does not wait for it."""

    def run() -> None:
        try:
            iv = ctx.interviewer()
            iv.examiner.rubric  # noqa: B018 - building it is the point
            iv.kb.search("注意力机制", k=1)
        except Exception as exc:  # a failure here shows up, with a message, on first use
            log.warning("warm-up failed: %s", exc)

    thread = threading.Thread(target=run, name="mianshi-warm-up", daemon=True)
    thread.start()
    return thread
