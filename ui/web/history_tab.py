"""The 历史 tab: past sessions, progress charts, weak questions, resume a session, start a review."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import gradio as gr

from agent.domain import InterviewConfig
from agent.history import Aggregates, SessionSummary, WeakQuestion
from ui.web.context import Relabel, WebContext, error_text, valid_session_id
from ui.web.i18n import Lang, backend_name, lang_of, t, topic_name
from ui.web.interview_tab import InterviewTab
from ui.web.render import esc, plain_md
from ui.web.render_report import bar_chart_svg, line_chart_svg, report_html

SESSION_COLUMNS = ("col_started", "col_topic", "col_answered", "col_mean", "col_status", "col_backend", "col_session")
WEAK_COLUMNS = ("col_question", "col_topic", "col_last_score", "col_due", "col_id")
SESSION_WIDTHS: list[str | int] = ["15%", "24%", "7%", "8%", "9%", "22%", "15%"]
WEAK_WIDTHS: list[str | int] = ["48%", "16%", "10%", "12%", "14%"]


def when(iso: str) -> str:
    return iso[:16].replace("T", " ")


def session_rows(sessions: Sequence[SessionSummary], lang: Lang) -> list[list[Any]]:
    return [[when(s.created_at), "、".join(topic_name(x, lang) for x in s.topics) or t("all", lang), s.answered,
             "-" if s.mean_score is None else round(s.mean_score, 1),
             t("finished" if s.status == "finished" else "unfinished", lang), backend_name(s.backend, lang), s.id]
            for s in sessions]


def weak_rows(weak: Sequence[WeakQuestion], lang: Lang = "zh") -> list[list[Any]]:
    return [[w.question, topic_name(w.topic, lang), w.last_score, w.due_at[:10], w.item_id] for w in weak]


def over_time(sessions: Sequence[SessionSummary]) -> list[tuple[str, float]]:
    """(start time, mean score) of every scored session, oldest first."""
    return [(when(s.created_at), s.mean_score) for s in sorted(sessions, key=lambda s: s.created_at)
            if s.mean_score is not None]


def by_topic(progress: Sequence[tuple[str, str, float]], lang: Lang = "zh") -> dict[str, float]:
    """Mean of the daily means per canonical topic, named in ``lang``."""
    scores: dict[str, list[float]] = defaultdict(list)
    for _, topic, mean in progress:
        scores[topic_name(topic, lang)].append(mean)
    return {topic: round(sum(v) / len(v), 1) for topic, v in scores.items()}


def session_choices(sessions: Sequence[SessionSummary], unfinished_only: bool, lang: Lang = "zh") -> list[tuple[str, str]]:
    """(when · topics · answered · mean, session id) for the resume and report pickers."""
    def label(s: SessionSummary) -> str:
        topics = "、".join(topic_name(x, lang) for x in s.topics) or t("all", lang)
        mean = "" if s.mean_score is None else f" · {round(s.mean_score, 1)}"
        return f"{when(s.created_at)} · {topics} · {t('answered_n', lang, n=s.answered)}{mean} · {s.id}"

    return [(label(s), s.id) for s in sessions if not unfinished_only or s.status != "finished"]


def aggregates_html(agg: Aggregates, lang: Lang) -> str:
    """The admin's view over all users: counts and means, then one row per topic (no ids, answers or names)."""
    mean = "-" if agg.mean_score is None else f"{agg.mean_score:.1f}"
    rows = "".join(f"<tr><td>{esc(topic_name(topic, lang))}</td><td>{n}</td><td>{score:.1f}</td></tr>"
                   for topic, n, score in agg.topics)
    table = (f'<table class="ms-table"><thead><tr><th>{esc(t("col_topic", lang))}</th><th>{esc(t("col_answers", lang))}</th>'
             f'<th>{esc(t("col_mean", lang))}</th></tr></thead><tbody>{rows}</tbody></table>') if rows else ""
    summary = t("agg_summary", lang, users=agg.users, sessions=agg.sessions, finished=agg.finished,
                answers=agg.answers, mean=mean)
    return (f'<div class="ms-aggregates"><h4>{esc(t("aggregates", lang))}</h4><p>{esc(summary)}</p>{table}</div>')


class HistoryTab:
    def __init__(self, ctx: WebContext, relabel: Relabel, lang: gr.Radio, interview: InterviewTab, tabs: gr.Tabs) -> None:
        self.ctx = ctx
        self.lang = lang
        self.interview = interview
        self.tabs = tabs
        with gr.Row(elem_id="ms-history-bar"):
            self.notice = gr.Markdown("", elem_id="ms-history-notice")
            self.refresh_btn = relabel(gr.Button(t("refresh"), size="sm", elem_id="ms-history-refresh", scale=0,
                                                 min_width=96), "refresh", "value")
        self.sessions = relabel(gr.Dataframe(headers=[t(k) for k in SESSION_COLUMNS], interactive=False, wrap=True,
                                             column_widths=SESSION_WIDTHS, max_height=320, label=t("sessions"),
                                             elem_id="ms-sessions"), "sessions")
        with gr.Row(equal_height=False):
            with gr.Column():
                self.time_title = relabel(gr.Markdown(t("scores_over_time")), "scores_over_time", "value")
                self.time_chart = gr.HTML("", elem_id="ms-chart-time", elem_classes="ms-chart")
            with gr.Column():
                self.topic_title = relabel(gr.Markdown(t("scores_by_topic")), "scores_by_topic", "value")
                self.topic_chart = gr.HTML("", elem_id="ms-chart-topic", elem_classes="ms-chart")
        self.weak = relabel(gr.Dataframe(headers=[t(k) for k in WEAK_COLUMNS], interactive=False, wrap=True,
                                         column_widths=WEAK_WIDTHS, max_height=320, label=t("weak_questions"),
                                         elem_id="ms-weak"), "weak_questions")
        with gr.Row():
            self.resume_pick = relabel(gr.Dropdown([], label=t("resume_pick"), elem_id="ms-resume-pick", scale=3), "resume_pick")
            self.resume_btn = relabel(gr.Button(t("resume"), elem_id="ms-resume", scale=1), "resume", "value")
            self.review_n = relabel(gr.Slider(1, 10, value=3, step=1, label=t("review_n"), scale=2), "review_n")
            self.review_btn = relabel(gr.Button(t("review"), variant="primary", elem_id="ms-review", scale=2), "review", "value")
        with gr.Row():
            self.report_pick = relabel(gr.Dropdown([], label=t("report_pick"), elem_id="ms-report-pick", scale=3), "report_pick")
            self.report_btn = relabel(gr.Button(t("show_report"), elem_id="ms-show-report", scale=1), "show_report", "value")
        self.report = gr.HTML("", elem_id="ms-history-report")
        self.aggregates = gr.HTML("", elem_id="ms-aggregates")

    @property
    def outputs(self) -> list[Any]:
        return [self.notice, self.sessions, self.time_chart, self.topic_chart, self.weak, self.resume_pick, self.report_pick,
                self.aggregates]

    def refresh(self, lang_choice: str) -> dict[Any, Any]:
        lang = lang_of(lang_choice)
        try:
            iv = self.ctx.interviewer()
            sessions = iv.sessions()
            weak = iv.history.weak_questions()
            topics = by_topic(iv.history.topic_progress(), lang)
            overall = aggregates_html(iv.aggregates(), lang) if self.ctx.is_admin() else ""
        except Exception as exc:
            return {self.notice: plain_md(error_text(exc, lang))}
        return {
            self.notice: "" if sessions else t("no_history", lang),
            self.sessions: gr.update(value=session_rows(sessions, lang), headers=[t(k, lang) for k in SESSION_COLUMNS]),
            self.time_chart: line_chart_svg(over_time(sessions)),
            self.topic_chart: bar_chart_svg(topics, lang),
            self.weak: gr.update(value=weak_rows(weak, lang), headers=[t(k, lang) for k in WEAK_COLUMNS]),
            self.resume_pick: gr.update(choices=session_choices(sessions, True, lang), value=None),
            self.report_pick: gr.update(choices=session_choices(sessions, False, lang), value=None),
            self.aggregates: overall,
        }

    def resume(self, sid: str | None, lang_choice: str) -> dict[Any, Any]:
        lang = lang_of(lang_choice)
        sid = valid_session_id(sid)
        if sid is None:
            return {self.notice: t("pick_session", lang)}
        return {**self.interview.open(sid, lang), self.tabs: gr.Tabs(selected="interview")}

    def review(self, n: float, lang_choice: str) -> dict[Any, Any]:
        lang = lang_of(lang_choice)
        iv = self.ctx.interviewer()
        notice = "" if iv.history.weak_questions(limit=1) else t("no_weak", lang)
        config = InterviewConfig(n_questions=int(n), review=True, language=lang)
        return {**self.interview.start_config(config, lang, notice), self.tabs: gr.Tabs(selected="interview")}

    def show_report(self, sid: str | None, lang_choice: str) -> str:
        lang = lang_of(lang_choice)
        sid = valid_session_id(sid)
        if sid is None:
            return f"<p>{esc(t('pick_session', lang))}</p>"
        try:
            return report_html(self.ctx.interviewer().report(sid), lang)
        except Exception as exc:
            return f"<p>{esc(error_text(exc, lang))}</p>"

    def wire(self, tab: gr.Tab) -> None:
        tab.select(self.refresh, [self.lang], self.outputs)
        self.refresh_btn.click(self.refresh, [self.lang], self.outputs)
        jump = [*self.interview.outputs, self.tabs, self.notice]
        self.resume_btn.click(self.resume, [self.resume_pick, self.lang], jump)
        self.review_btn.click(self.review, [self.review_n, self.lang], jump)
        self.report_btn.click(self.show_report, [self.report_pick, self.lang], self.report)
