"""The 设置 tab: the active examiner, a connection test for an OpenAI-compatible endpoint, and saving
the endpoint to ``$MIANSHI_HOME/config.toml`` so it takes effect at once (the facade is rebuilt from
the saved settings; see ui.services). The API key is never shown again, logged or put in a page: the
field is a password box that starts empty, and the saved key is shown as ``••••abcd`` at most."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from ui import services
from ui.web.connection import check_connection
from ui.web.context import Relabel, WebContext, log
from ui.web.i18n import backend_name, lang_of, t
from ui.web.render import esc

if TYPE_CHECKING:
    from ui.web.interview_tab import InterviewTab


class SettingsTab:
    def __init__(self, ctx: WebContext, relabel: Relabel, lang: gr.Radio, interview: InterviewTab | None = None) -> None:
        self.ctx = ctx
        self.lang = lang
        self.interview = interview
        settings = ctx.interviewer().settings
        saved = self.saved()
        with gr.Column(elem_id="ms-settings"):
            self.intro = gr.Markdown(self.intro_text("zh"), elem_id="ms-settings-intro")
            self.help = gr.Markdown(self.help_text("zh"), elem_id="ms-settings-help")
            with gr.Row():
                self.base_url = relabel(gr.Textbox(settings.base_url or saved.base_url, label=t("base_url"),
                                                   placeholder=t("base_url_placeholder"), elem_id="ms-base-url",
                                                   scale=2), "base_url")
                relabel(self.base_url, "base_url_placeholder", "placeholder")
                self.model = relabel(gr.Textbox(settings.llm_model, label=t("model"), elem_id="ms-model"), "model")
            with gr.Row(equal_height=True):
                self.api_key = relabel(gr.Textbox("", label=t("api_key"), type="password", elem_id="ms-api-key",
                                                  scale=2), "api_key")
                with gr.Column():
                    self.key_state = gr.Markdown(self.key_text("zh"), elem_id="ms-settings-key-state")
                    self.forget = relabel(gr.Checkbox(False, label=t("forget_key"), elem_id="ms-forget-key",
                                                      container=False), "forget_key")
            with gr.Row():
                self.test_btn = relabel(gr.Button(t("test_connection"), elem_id="ms-test-conn"), "test_connection", "value")
                self.save_btn = relabel(gr.Button(t("save_settings"), variant="primary", elem_id="ms-save-settings"),
                                        "save_settings", "value")
            self.result = gr.HTML("", elem_id="ms-conn-result")
        self.test_btn.click(self.test, [self.base_url, self.api_key, self.model, self.lang], self.result,
                            show_progress_on=[self.result])
        outputs = [self.result, self.intro, self.key_state, self.api_key, self.forget]
        if interview is not None:
            outputs.append(interview.backend)
        self.save_btn.click(self.save, [self.base_url, self.api_key, self.model, self.forget, self.lang], outputs,
                            show_progress_on=[self.result])

    # texts ------------------------------------------------------------------------------------------------
    def saved(self) -> services.LLMConfig:
        try:
            return services.read_config(self.config_path())
        except services.ConfigError:
            return services.LLMConfig()

    def config_path(self) -> Any:
        return services.config_path(self.ctx.interviewer().settings.home_dir)

    def intro_text(self, lang_choice: str) -> str:
        lang = lang_of(lang_choice)
        iv = self.ctx.interviewer()
        return t("settings_intro", lang, backend=backend_name(iv.backend, lang), home=iv.settings.home_dir)

    def help_text(self, lang_choice: str) -> str:
        return t("settings_help", lang_of(lang_choice), path=self.config_path())

    def key_text(self, lang_choice: str) -> str:
        lang = lang_of(lang_choice)
        masked = self.saved().masked_key()
        return t("saved_key", lang, masked=masked) if masked else t("no_saved_key", lang)

    # callbacks --------------------------------------------------------------------------------------------
    def test(self, base_url: str, api_key: str, model: str, lang_choice: str) -> str:
        key = (api_key or "").strip() or self.saved().api_key
        check = check_connection(base_url, key, model, timeout=5.0, lang=lang_of(lang_choice))
        kind = "ok" if check.ok else "error"
        return f'<div class="ms-msg ms-msg-{kind}">{"✓" if check.ok else "✗"} {esc(check.message)}</div>'

    def may_configure(self) -> bool:
        """The settings are the server's, for every user (``WebContext.may_change_shared``)."""
        return self.ctx.may_change_shared()

    def save(self, base_url: str, api_key: str, model: str, forget: bool, lang_choice: str) -> dict[Any, Any]:
        """Write config.toml (an empty key keeps the saved one) and rebuild the facade from it."""
        lang = lang_of(lang_choice)
        if not self.may_configure():
            return {self.result: self.message("error", t("settings_admin_only", lang))}
        url = (base_url or "").strip()
        if url and not url.lower().startswith(("http://", "https://")):
            return {self.result: self.message("error", t("conn_bad_url", lang, url=url))}
        path = self.config_path()
        try:
            old = services.read_config(path)
        except services.ConfigError:
            old = services.LLMConfig()
        key = "" if forget else ((api_key or "").strip() or old.api_key)
        config = services.LLMConfig(base_url=url, model=(model or "").strip(), api_key=key)
        try:
            services.write_config(path, config)
            iv = self.ctx.refresh()
        except Exception as exc:  # a message, never the key
            log.warning("saving settings failed: %s", type(exc).__name__)
            return {self.result: self.message("error", t("settings_failed", lang, detail=f"{type(exc).__name__}: {exc}"))}
        text = t("settings_saved", lang, path=path, backend=backend_name(iv.backend, lang))
        overridden = services.env_overrides()
        if overridden:
            text += " " + t("settings_env_wins", lang, names=", ".join(overridden))
        view: dict[Any, Any] = {self.result: self.message("ok", text), self.intro: self.intro_text(lang_choice),
                                self.key_state: self.key_text(lang_choice), self.api_key: "", self.forget: False}
        if self.interview is not None:
            view[self.interview.backend] = self.interview.backend_text(lang_choice)
        return view

    @staticmethod
    def message(kind: str, text: str) -> str:
        return f'<div class="ms-msg ms-msg-{kind}">{"✓" if kind == "ok" else "✗"} {esc(text)}</div>'
