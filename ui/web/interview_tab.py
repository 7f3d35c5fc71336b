"""The 模拟面试 tab: setup, the chat with 提交 / 跳过 / 提示 / 结束, the scorecard and the final report.

The session id lives in the browser session (``gr.State``) and in the browser's localStorage
(``gr.BrowserState``), never in a module global; a page refresh reads it back and resumes. The chat is
always rebuilt from the saved ``SessionState.turns``, so what is shown is what was saved.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from agent import policy
from agent.commands import Command, Hint, Skip
from agent.domain import InterviewConfig, QuestionRecord, SessionState, Turn
from agent.grading.model import verdict_for
from agent.interviewer import Interviewer, SessionNotFound, TurnResult
from knowledge.topics import Topic, topic_label
from ui.web.context import Relabel, WebContext, error_text, valid_session_id
from ui.web.i18n import Lang, backend_name, lang_of, t, verdict_text
from ui.web.render import chat_messages, empty_scorecard, open_scorecard, plain_md, scorecard_html
from ui.web.render_report import report_html

REPORT_FORMATS = ("md", "html", "json")


# pure helpers over a session ---------------------------------------------------------------------------
def last_closed(state: SessionState) -> tuple[QuestionRecord, Turn] | None:
    """The last closed, answered question and the candidate's main answer to it."""
    for rec in reversed(state.records):
        if rec.final_score is None or rec.grade is None:
            continue
        main = next((t for t in state.turns if t.role == "candidate" and t.item_id == rec.item_id and t.grade is not None), None)
        if main is not None:
            return rec, main
    return None


def scorecard_for(iv: Interviewer, state: SessionState, lang: Lang) -> str:
    """The scorecard shows a question once it is closed, with its one final score; while a follow-up
    is pending it says so and reveals nothing (no missed points before the candidate has answered)."""
    if state.status == "active" and state.pending_follow_up is not None:
        return open_scorecard(lang)
    found = last_closed(state)
    if found is None:
        return empty_scorecard(lang)
    rec, turn = found
    assert rec.grade is not None
    item = iv.bank.by_id.get(rec.item_id)
    return scorecard_html(turn.text, rec.grade, item, True, lang, final_score=rec.final_score,
                          won_back=sorted(policy.covered_points(rec)))


def status_for(state: SessionState, lang: Lang) -> str:
    if state.status == "finished":
        done = [r.final_score or 0.0 for r in state.records if r.final_score is not None]
        mean = round(sum(done) / len(done), 1) if done else 0.0
        return t("status_finished", lang, sid=state.id, mean=mean, verdict=verdict_text(verdict_for(mean), lang))
    n = max(len(state.records), 1)
    return t("status_active", lang, sid=state.id, n=n, total=max(state.config.n_questions, n),
             backend=backend_name(state.backend, lang))


def write_reports(iv: Interviewer, session_id: str, folder: Path) -> dict[str, Path]:
    """The report in every format, as files to download."""
    paths = {}
    for fmt in REPORT_FORMATS:
        path = folder / f"mianshi-report-{session_id}.{fmt}"
        path.write_text(iv.render_report(session_id, fmt), encoding="utf-8")  # type: ignore[arg-type]
        paths[fmt] = path
    return paths


def make_config(topics: list[str] | None, lo: float, hi: float, companies: list[str] | None, n: float,
                budget: float, lang: Lang, review: bool = False) -> InterviewConfig:
    low, high = sorted((int(lo), int(hi)))
    return InterviewConfig(topics=tuple(topics or ()), difficulty=(max(1, low), min(5, high)),
                           companies=tuple(companies or ()), n_questions=int(n), follow_up_budget=int(budget),
                           language=lang, review=review)


def bank_choices(iv: Interviewer, lang: Lang = "zh") -> tuple[list[tuple[str, str]], list[str]]:
    """The canonical topics as (name in ``lang`` · questions, topic id), in the taxonomy's order, and the
    companies of the bank."""
    items = iv.kb.ensure_built().items
    counts = Counter(i.topic for i in items)
    topics = [(f"{topic_label(topic, lang)} · {counts[topic]}", topic.value) for topic in Topic]
    companies = sorted({c for i in items for c in i.companies})
    return topics, companies


# the tab ----------------------------------------------------------------------------------------------------
class InterviewTab:
    def __init__(self, ctx: WebContext, relabel: Relabel, lang: gr.Radio) -> None:
        self.ctx = ctx
        self.lang = lang
        iv = ctx.interviewer()
        topics, companies = bank_choices(iv)
        self.sid = gr.State(None)
        self.store = gr.BrowserState(None, storage_key="mianshi-session", secret=ctx.browser_secret())
        # the room: chat, answer and actions on the left; setup above the scorecard on the right (theme.css
        # places the three columns on a grid: one 1440x900 screen on a desktop, stacked on a phone)
        with gr.Row(equal_height=False, elem_id="ms-room"):
            with (gr.Column(elem_id="ms-room-setup", min_width=0),
                  gr.Accordion(t("setup"), open=True, elem_id="ms-setup") as self.setup):
                relabel(self.setup, "setup")
                self.topics = relabel(gr.Dropdown(topics, value=[], multiselect=True, label=t("topics"),
                                                  elem_id="ms-topics"), "topics")
                self.companies = relabel(gr.Dropdown(companies, value=[], multiselect=True, label=t("companies"),
                                                     elem_id="ms-companies"), "companies")
                with gr.Row(elem_classes="ms-sliders"):
                    self.lo = relabel(gr.Slider(1, 5, value=1, step=1, label=t("difficulty_lo"), elem_id="ms-lo",
                                                min_width=120), "difficulty_lo")
                    self.hi = relabel(gr.Slider(1, 5, value=5, step=1, label=t("difficulty_hi"), elem_id="ms-hi",
                                                min_width=120), "difficulty_hi")
                with gr.Row(elem_classes="ms-sliders"):
                    self.n = relabel(gr.Slider(1, 20, value=5, step=1, label=t("n_questions"), elem_id="ms-n",
                                               min_width=120), "n_questions")
                    self.budget = relabel(gr.Slider(0, 3, value=1, step=1, label=t("follow_up_budget"),
                                                    elem_id="ms-budget", min_width=120), "follow_up_budget")
                with gr.Row(equal_height=True, elem_id="ms-start-row"):
                    self.backend = gr.Markdown(self.backend_text("zh"), elem_id="ms-backend")
                    self.start_btn = relabel(gr.Button(t("start"), variant="primary", elem_id="ms-start"),
                                             "start", "value")
            with gr.Column(elem_id="ms-room-main", min_width=0):
                self.status = gr.Markdown(t("status_idle"), elem_id="ms-status")
                self.chat = relabel(gr.Chatbot(label=t("chat"), elem_id="ms-chat", height="calc(100vh - 420px)",
                                               min_height=280, latex_delimiters=[], feedback_options=None,
                                               placeholder=t("chat_placeholder"), sanitize_html=True,
                                               buttons=["copy"], show_label=False), "chat")
                relabel(self.chat, "chat_placeholder", "placeholder")
                self.answer_box = relabel(gr.Textbox(label=t("answer_box"), lines=3, max_lines=8,
                                                     placeholder=t("answer_placeholder"), elem_id="ms-answer"),
                                          "answer_box")
                relabel(self.answer_box, "answer_placeholder", "placeholder")
                with gr.Row(elem_id="ms-actions"):
                    self.submit_btn = relabel(gr.Button(t("submit"), variant="primary", interactive=False,
                                                        elem_id="ms-submit", scale=2, min_width=80), "submit", "value")
                    self.skip_btn = relabel(gr.Button(t("skip"), interactive=False, elem_id="ms-skip", min_width=64),
                                            "skip", "value")
                    self.hint_btn = relabel(gr.Button(t("hint"), interactive=False, elem_id="ms-hint", min_width=64),
                                            "hint", "value")
                    self.end_btn = relabel(gr.Button(t("end"), variant="stop", interactive=False, elem_id="ms-end",
                                                     min_width=64), "end", "value")
                # a notice (empty answer, an error) shows right under the buttons that caused it
                self.notice = gr.Markdown("", elem_id="ms-notice")
            with gr.Column(elem_id="ms-room-card", min_width=0):
                self.card_title = relabel(gr.Markdown(t("scorecard_title"), elem_id="ms-card-title"),
                                          "scorecard_title", "value")
                self.scorecard = gr.HTML(empty_scorecard(), elem_id="ms-scorecard")
        with gr.Column(visible=False, elem_id="ms-report") as self.report_box:
            self.report = gr.HTML("", elem_id="ms-report-html")
            with gr.Row():
                self.dl = {fmt: relabel(gr.DownloadButton(t(f"download_{fmt}"), elem_id=f"ms-dl-{fmt}"), f"download_{fmt}", "label")
                           for fmt in REPORT_FORMATS}
        self.wire()

    @property
    def outputs(self) -> list[Any]:
        return [self.sid, self.store, self.setup, self.status, self.notice, self.chat, self.answer_box, self.submit_btn,
                self.skip_btn, self.hint_btn, self.end_btn, self.scorecard, self.report_box, self.report, *self.dl.values()]

    # views ------------------------------------------------------------------------------------------------
    def idle(self, lang: Lang, notice: str = "") -> dict[Any, Any]:
        buttons = {b: gr.update(interactive=False) for b in (self.submit_btn, self.skip_btn, self.hint_btn, self.end_btn)}
        return {self.sid: None, self.store: None, self.setup: gr.update(open=True), self.status: t("status_idle", lang),
                self.notice: notice, self.chat: [], self.scorecard: empty_scorecard(lang),
                self.report_box: gr.update(visible=False), self.report: "", **buttons}

    def show(self, iv: Interviewer, state: SessionState, lang: Lang, notice: str = "",
             clear_answer: bool = False) -> dict[Any, Any]:
        """Everything the tab shows for a session, rebuilt from the saved state."""
        active = state.status == "active"
        view: dict[Any, Any] = {
            self.sid: state.id, self.store: state.id, self.setup: gr.update(open=not active),
            self.status: status_for(state, lang), self.notice: notice, self.chat: chat_messages(state.turns, lang),
            self.scorecard: scorecard_for(iv, state, lang), self.report_box: gr.update(visible=not active),
        }
        view.update({b: gr.update(interactive=active) for b in (self.submit_btn, self.skip_btn, self.hint_btn, self.end_btn)})
        if clear_answer:
            view[self.answer_box] = ""
        if not active:
            view[self.report] = report_html(iv.report(state.id), lang)
            for fmt, path in write_reports(iv, state.id, self.ctx.session_dir(state.id)).items():
                view[self.dl[fmt]] = gr.update(value=str(path))
        return view

    def run(self, sid: str | None, lang_choice: str, action: Callable[[Interviewer, str], TurnResult],
            clear_answer: bool = True) -> dict[Any, Any]:
        """One turn on the current session; a failure keeps the typed answer and says what happened."""
        lang = lang_of(lang_choice)
        sid = valid_session_id(sid)
        if sid is None:
            return {self.notice: t("need_session", lang)}
        iv = self.ctx.interviewer()
        try:
            if iv.state(sid).status == "finished":
                return {self.notice: t("already_finished", lang)}
            result = action(iv, sid)
        except SessionNotFound:
            return self.idle(lang, t("session_missing", lang, sid=sid))
        except Exception as exc:
            return {self.notice: plain_md(error_text(exc, lang))}
        return self.show(iv, result.session, lang, clear_answer=clear_answer)

    # callbacks ----------------------------------------------------------------------------------------------
    def start(self, topics: list[str] | None, lo: float, hi: float, companies: list[str] | None, n: float,
              budget: float, lang_choice: str) -> dict[Any, Any]:
        lang = lang_of(lang_choice)
        iv = self.ctx.interviewer()
        try:
            config = make_config(topics, lo, hi, companies, n, budget, lang)
            if not policy.eligible(iv.bank.items, config):
                return {self.notice: t("no_questions", lang)}
            result = iv.start(config)
        except Exception as exc:
            return {self.notice: plain_md(error_text(exc, lang))}
        return self.show(iv, result.session, lang, clear_answer=True)

    def start_config(self, config: InterviewConfig, lang: Lang, notice: str = "") -> dict[Any, Any]:
        """Start a session from another tab (a review session)."""
        iv = self.ctx.interviewer()
        try:
            result = iv.start(config)
        except Exception as exc:
            return {self.notice: plain_md(error_text(exc, lang))}
        return self.show(iv, result.session, lang, notice=notice, clear_answer=True)

    def answer(self, sid: str | None, text: str, lang_choice: str) -> dict[Any, Any]:
        """Submit an answer (the whole step at once; see :meth:`answer_stream` for the streaming button)."""
        if not (text or "").strip():
            return {self.notice: t("empty_answer", lang_of(lang_choice))}
        return self.run(sid, lang_choice, lambda iv, s: iv.answer(s, text))

    def answer_stream(self, sid: str | None, text: str, lang_choice: str) -> Iterator[dict[Any, Any]]:
        """Submit an answer. With an LLM the interviewer's reply streams into the chat as it is written;
        the final view is always rebuilt from the saved session."""
        if not (text or "").strip():
            yield {self.notice: t("empty_answer", lang_of(lang_choice))}
            return
        yield from self.stream(sid, lang_choice, text, lambda iv, s, on_token: iv.answer(s, text, on_token=on_token))

    def stream(self, sid: str | None, lang_choice: str, shown: str,
               action: Callable[[Interviewer, str, Callable[[str], None] | None], TurnResult]) -> Iterator[dict[Any, Any]]:
        iv = self.ctx.interviewer()
        session_id = valid_session_id(sid)
        if iv.chat_model is None or session_id is None:
            yield self.run(sid, lang_choice, lambda i, s: action(i, s, None))
            return
        tokens: queue.Queue[str] = queue.Queue()
        box: dict[str, Any] = {}

        def work() -> None:
            box["view"] = self.run(sid, lang_choice, lambda i, s: action(i, s, tokens.put))

        thread = threading.Thread(target=work, daemon=True)
        try:
            before = chat_messages(iv.state(session_id).turns, lang_of(lang_choice))
        except SessionNotFound:
            before = []
        thread.start()
        partial = ""
        while thread.is_alive() or not tokens.empty():
            try:
                partial += tokens.get(timeout=0.05)
            except queue.Empty:
                continue
            yield {self.chat: [*before, {"role": "user", "content": plain_md(shown)},
                               {"role": "assistant", "content": plain_md(partial) + " ▍"}]}
        thread.join()
        yield box["view"]

    def command(self, sid: str | None, lang_choice: str, command: Command) -> dict[Any, Any]:
        return self.run(sid, lang_choice, lambda iv, s: iv.command(s, command), clear_answer=False)

    def skip(self, sid: str | None, lang_choice: str) -> dict[Any, Any]:
        return self.command(sid, lang_choice, Skip())

    def hint(self, sid: str | None, lang_choice: str) -> dict[Any, Any]:
        return self.command(sid, lang_choice, Hint())

    def end(self, sid: str | None, lang_choice: str) -> dict[Any, Any]:
        return self.run(sid, lang_choice, lambda iv, s: iv.finish(s), clear_answer=False)

    def restore(self, stored: str | None, lang_choice: str) -> dict[Any, Any]:
        """On page load: resume the session kept in this browser, if there is one."""
        lang = lang_of(lang_choice)
        sid = valid_session_id(stored)
        if sid is None:
            return self.idle(lang)
        return self.open(sid, lang)

    def open(self, sid: str, lang: Lang, notice: str = "") -> dict[Any, Any]:
        iv = self.ctx.interviewer()
        try:
            result = iv.resume(sid)
        except SessionNotFound:
            return self.idle(lang)
        except Exception as exc:
            return self.idle(lang, plain_md(error_text(exc, lang)))
        return self.show(iv, result.session, lang, notice=notice)

    def backend_text(self, lang_choice: str) -> str:
        lang = lang_of(lang_choice)
        return t("backend_line", lang, backend=backend_name(self.ctx.interviewer().backend, lang))

    def redraw(self, sid: str | None, lang_choice: str) -> dict[Any, Any]:
        """After a language change: the same session, relabelled."""
        return self.restore(sid, lang_choice)

    def wire(self) -> None:
        setup = [self.topics, self.lo, self.hi, self.companies, self.n, self.budget, self.lang]
        self.start_btn.click(self.start, setup, self.outputs)
        self.submit_btn.click(self.answer_stream, [self.sid, self.answer_box, self.lang], self.outputs)
        self.answer_box.submit(self.answer_stream, [self.sid, self.answer_box, self.lang], self.outputs)  # Shift+Enter
        self.skip_btn.click(self.skip, [self.sid, self.lang], self.outputs)
        self.hint_btn.click(self.hint, [self.sid, self.lang], self.outputs)
        self.end_btn.click(self.end, [self.sid, self.lang], self.outputs)
        self.chat.clear(self.redraw, [self.sid, self.lang], self.outputs)  # the chat is the saved session: redraw it
