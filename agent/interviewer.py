"""The facade the UI and eval call: start / answer / finish / resume / report / history.

It owns the LangGraph graph (checkpointed in MIANSHI_HOME/checkpoints.sqlite) and the history
(MIANSHI_HOME/history.sqlite). The UI never parses model output: it gets messages, the last Grade
and the SessionState.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from agent import engine
from agent.domain import InterviewConfig, Report, SessionState
from agent.examiner import Examiner
from agent.grading.model import Grade, Grader, GradingContext
from agent.graph import Runtime, build_graph, grade_of, open_checkpointer
from agent.history import History, SessionSummary
from agent.report import build_report, to_html, to_json, to_markdown
from agent.settings import AgentSettings
from knowledge.kb import KnowledgeBase
from knowledge.schema import QuestionItem


class SessionNotFound(KeyError):
    pass


class LLMNotConfigured(RuntimeError):
    pass


@dataclass(frozen=True)
class TurnResult:
    session: SessionState
    messages: tuple[str, ...]
    grade: Grade | None

    @property
    def finished(self) -> bool:
        return self.session.status == "finished"


class Interviewer:
    def __init__(self, kb: KnowledgeBase, settings: AgentSettings, chat_model: Any = None, grader: Grader | None = None) -> None:
        self.kb = kb
        self.settings = settings
        self._chat_model = chat_model
        self._grader = grader
        self._lock = threading.RLock()

    # components ------------------------------------------------------------------------------
    @cached_property
    def examiner(self) -> Examiner:
        return Examiner(self.kb)

    @cached_property
    def chat_model(self) -> Any:
        if self._chat_model is not None:
            return self._chat_model
        if self.settings.backend == "llm" and not self.settings.llm_configured:
            raise LLMNotConfigured("MIANSHI_BACKEND=llm，但没有配置 OPENAI_API_KEY 或 OPENAI_BASE_URL")
        if self.settings.llm_configured:
            from agent.llm import make_chat_model

            return make_chat_model(self.settings)
        return None

    @cached_property
    def grader(self) -> Grader:
        if self._grader is not None:
            return self._grader
        if self.chat_model is not None:
            from agent.grading.llm import LLMGrader

            return LLMGrader(self.chat_model, self.examiner.rubric, cache_path=self.settings.home_dir / "grade_cache.sqlite",
                             model_name=self.settings.llm_model)
        return self.examiner.rubric

    @property
    def backend(self) -> str:
        if self._chat_model is not None:
            return f"大模型 {getattr(self._chat_model, 'model_name', type(self._chat_model).__name__)}"
        return self.settings.backend_label()

    @cached_property
    def bank(self) -> engine.Bank:
        b = self.kb.ensure_built()
        return engine.Bank(items=b.items, by_id=b.by_id())

    @cached_property
    def history(self) -> History:
        return History(self.settings.home_dir / "history.sqlite")

    @cached_property
    def _graph(self) -> Any:
        def grade(item: QuestionItem, answer: str, ctx: GradingContext) -> Grade:
            return self.grader.grade(item, answer, ctx)

        def context(item: QuestionItem, cap: float | None) -> GradingContext:
            return self.examiner.context(item, 1.0, cap)

        agent = None
        if self.chat_model is not None:
            from agent.llm_agent import AgentInterviewer

            agent = AgentInterviewer(self.chat_model, self.examiner, self.grader)
        self.agent = agent
        runtime = Runtime(bank=self.bank, grade=grade, context=context, backend=self.backend, agent=agent)
        return build_graph(runtime, open_checkpointer(self.settings.home_dir / "checkpoints.sqlite"))

    # the interview -----------------------------------------------------------------------------
    def _invoke(self, session_id: str, payload: dict[str, Any]) -> TurnResult:
        with self._lock:
            out = self._graph.invoke(payload, {"configurable": {"thread_id": session_id}})
            state = SessionState.model_validate(out["session"])
            self.history.save(state)
            return TurnResult(session=state, messages=tuple(out.get("outbox", [])), grade=grade_of(out.get("grade")))

    def start(self, config: InterviewConfig, session_id: str | None = None) -> TurnResult:
        sid = session_id or uuid.uuid4().hex[:12]
        priority = self.history.review_queue(config.n_questions * 2) if config.review else []
        if config.review and not priority:
            config = config.model_copy(update={"review": False})
        return self._invoke(sid, {"event": "start", "session": {"id": sid}, "config": config.model_dump(mode="json"),
                                  "priority": priority, "inbox": ""})

    def answer(self, session_id: str, text: str) -> TurnResult:
        self.state(session_id)  # raises SessionNotFound
        return self._invoke(session_id, {"event": "message", "inbox": text})

    def finish(self, session_id: str) -> TurnResult:
        state = self.state(session_id)
        if state.status == "finished":
            return TurnResult(session=state, messages=(), grade=None)
        return self.answer(session_id, "结束")

    def state(self, session_id: str) -> SessionState:
        with self._lock:
            snap = self._graph.get_state({"configurable": {"thread_id": session_id}})
        if snap and snap.values.get("session", {}).get("config"):
            return SessionState.model_validate(snap.values["session"])
        stored = self.history.load(session_id)
        if stored is None:
            raise SessionNotFound(session_id)
        return stored

    def resume(self, session_id: str) -> TurnResult:
        """The session as saved (checkpoint first, history as a fallback) with the interviewer's last words."""
        state = self.state(session_id)
        self.history.save(state)
        return TurnResult(session=state, messages=(state.last_interviewer_message,) if state.last_interviewer_message else (),
                          grade=None)

    # reports and history -------------------------------------------------------------------------
    def report(self, session_id: str) -> Report:
        return build_report(self.state(session_id))

    def render_report(self, session_id: str, fmt: Literal["md", "html", "json"] = "md") -> str:
        report = self.report(session_id)
        return {"md": to_markdown, "html": to_html, "json": to_json}[fmt](report)

    def sessions(self) -> list[SessionSummary]:
        return self.history.sessions()

    def last_grade(self, session_id: str) -> Grade | None:
        state = self.state(session_id)
        return next((t.grade for t in reversed(state.turns) if t.grade is not None), None)
