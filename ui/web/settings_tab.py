"""The 设置 tab: the active examiner and a connection test for an OpenAI-compatible endpoint."""

from __future__ import annotations

import gradio as gr

from ui.web.connection import check_connection
from ui.web.context import Relabel, WebContext
from ui.web.i18n import lang_of, t
from ui.web.render import esc


class SettingsTab:
    def __init__(self, ctx: WebContext, relabel: Relabel, lang: gr.Radio) -> None:
        self.ctx = ctx
        self.lang = lang
        settings = ctx.interviewer().settings
        self.intro = gr.Markdown(self.intro_text("zh"), elem_id="ms-settings-intro")
        with gr.Row():
            self.base_url = relabel(gr.Textbox(settings.base_url or "", label=t("base_url"),
                                               placeholder=t("base_url_placeholder"), elem_id="ms-base-url"), "base_url")
            self.api_key = relabel(gr.Textbox("", label=t("api_key"), type="password", elem_id="ms-api-key"), "api_key")
            self.model = relabel(gr.Textbox(settings.llm_model, label=t("model"), elem_id="ms-model"), "model")
        self.test_btn = relabel(gr.Button(t("test_connection"), variant="primary", elem_id="ms-test-conn"),
                                "test_connection", "value")
        self.result = gr.HTML("", elem_id="ms-conn-result")
        self.test_btn.click(self.test, [self.base_url, self.api_key, self.model, self.lang], self.result)

    def intro_text(self, lang_choice: str) -> str:
        lang = lang_of(lang_choice)
        iv = self.ctx.interviewer()
        return t("settings_intro", lang, backend=iv.backend, home=iv.settings.home_dir)

    def test(self, base_url: str, api_key: str, model: str, lang_choice: str) -> str:
        check = check_connection(base_url, api_key, model, timeout=5.0, lang=lang_of(lang_choice))
        kind = "ok" if check.ok else "error"
        return f'<div class="ms-msg ms-msg-{kind}">{"✓" if check.ok else "✗"} {esc(check.message)}</div>'
