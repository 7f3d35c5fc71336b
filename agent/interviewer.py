"""The facade the UI and eval call: start / answer / finish / resume / report / history.

It owns the LangGraph graph (checkpointed in MIANSHI_HOME/checkpoints.sqlite) and the history
(MIANSHI_HOME/history.sqlite). The UI never parses model output: it gets messages, the last Grade
and the SessionState.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from agent import engine, policy
from agent.commands import Command, End, parse
from agent.domain import InterviewConfig, QuestionRecord, Report, SessionState, Turn
from agent.examiner import Examiner
from agent.grading.model import Grade, Grader, GradingContext
from agent.graph import Runtime, build_graph, command_data, grade_of, open_checkpointer
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
    said: tuple[Turn, ...]
    """The interviewer turns this step added, in order (kind, text, flags)."""
    grade: Grade | None

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.said)

    @property
    def finished(self) -> bool:
        return self.session.status == "finished"

    @property
    def closed(self) -> QuestionRecord | None:
        """The question this step closed (its one final score), if any."""
        closed_ids = [t.item_id for t in self.said if t.kind == "feedback"]
        return next((r for r in self.session.records if closed_ids and r.item_id == closed_ids[-1]), None)


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

        agent = phraser = None
        if self.chat_model is not None:
            from agent.llm_agent import AgentInterviewer, LLMPhraser

            agent = AgentInterviewer(self.chat_model, self.examiner, self.grader)
            phraser = LLMPhraser(self.chat_model)
        self.agent = agent
        runtime = Runtime(bank=self.bank, grade=grade, context=context, backend=self.backend, agent=agent, phraser=phraser)
        return build_graph(runtime, open_checkpointer(self.settings.home_dir / "checkpoints.sqlite"))

    # the interview -----------------------------------------------------------------------------
    def _run(self, session_id: str, payload: dict[str, Any], on_token: Callable[[str], None] | None = None) -> TurnResult:
        """One graph step; the LLM phraser's tokens go to ``on_token`` as they are generated."""
        with self._lock:
            config = {"configurable": {"thread_id": session_id}}
            out: dict[str, Any] = {}
            for mode, chunk in self._graph.stream(payload, config, stream_mode=["custom", "values"]):
                if mode == "custom":
                    if on_token is not None:
                        on_token(str(chunk))
                else:
                    out = chunk
            state = SessionState.model_validate(out["session"])
            self.history.save(state)
            said = tuple(state.turns[len(state.turns) - len(out.get("said") or []):])
            return TurnResult(session=state, said=said, grade=grade_of(out.get("grade")))

    def start(self, config: InterviewConfig, session_id: str | None = None,
              on_token: Callable[[str], None] | None = None) -> TurnResult:
        """A new session. Review mode asks every due weak question (or, when none is due, the
        ``n_questions`` weakest ones); otherwise (without an explicit seed) questions of the last few sessions are avoided while
        others remain."""
        sid = session_id or uuid.uuid4().hex[:12]
        priority: list[str] = []
        if config.review:
            priority = self.history.due_queue(50) or self.history.review_queue(config.n_questions)
            if not priority:
                config = config.model_copy(update={"review": False})
        # an explicit seed reproduces an interview exactly; otherwise recent questions are avoided
        fresh = not config.review and config.seed is None
        avoid = self.history.recent_items(policy.RECENT_SESSIONS) if fresh else []
        return self._run(sid, {"event": "start", "session": {"id": sid}, "config": config.model_dump(mode="json"),
                               "priority": priority, "avoid": avoid}, on_token)

    def command(self, session_id: str, command: Command, on_token: Callable[[str], None] | None = None) -> TurnResult:
        """A typed command (buttons build these; free text goes through :meth:`answer`)."""
        with self._lock:
            if self._graph.checkpointer.get_tuple({"configurable": {"thread_id": session_id}}) is None:
                raise SessionNotFound(session_id)
        return self._run(session_id, {"event": "command", "command": command_data(command)}, on_token)

    def answer(self, session_id: str, text: str, on_token: Callable[[str], None] | None = None) -> TurnResult:
        """Free text from the candidate: a whole-message command, a clarifying question, or an answer."""
        return self.command(session_id, parse(text), on_token)

    def finish(self, session_id: str) -> TurnResult:
        state = self.state(session_id)
        if state.status == "finished":
            return TurnResult(session=state, said=(), grade=None)
        return self.command(session_id, End())

    def state(self, session_id: str) -> SessionState:
        with self._lock:
            snap = self._graph.get_state({"configurable": {"thread_id": session_id}})
        if snap and snap.values.get("session", {}).get("config"):
            return SessionState.model_validate(snap.values["session"])
        raise SessionNotFound(session_id)

    def resume(self, session_id: str) -> TurnResult:
        """The session as checkpointed, with the interviewer's last words."""
        state = self.state(session_id)
        self.history.save(state)
        last = next((t for t in reversed(state.turns) if t.role == "interviewer"), None)
        return TurnResult(session=state, said=(last,) if last else (), grade=None)

    # reports and history -------------------------------------------------------------------------
    def report(self, session_id: str) -> Report:
        return build_report(self.state(session_id), self.bank.by_id.get)

    def render_report(self, session_id: str, fmt: Literal["md", "html", "json"] = "md") -> str:
        report = self.report(session_id)
        return {"md": to_markdown, "html": to_html, "json": to_json}[fmt](report)

    def sessions(self) -> list[SessionSummary]:
        return self.history.sessions()

    def last_grade(self, session_id: str) -> Grade | None:
        state = self.state(session_id)
        return next((t.grade for t in reversed(state.turns) if t.grade is not None), None)
