"""The facade the UI and eval call: start / answer / finish / resume / report / history.

It owns the LangGraph graph (checkpointed in MIANSHI_HOME/checkpoints.sqlite, or in PostgreSQL when
MIANSHI_DATABASE_URL is set) and the history (MIANSHI_HOME/history.sqlite or the same PostgreSQL). The
UI never parses model output: it gets messages, the last Grade and the SessionState.

Every session belongs to a user. ``iv.for_user(name)`` is a view of the same facade (same graph,
models, history and lock) acting for ``name``: it lists only that user's sessions and review queue,
and a session id of another user raises :class:`SessionNotFound`, exactly as an unknown id does.
"""

from __future__ import annotations

import copy
import gc
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from agent import engine, policy
from agent.commands import Command, End, parse
from agent.database import default_user
from agent.domain import InterviewConfig, Report, SessionState, Turn
from agent.examiner import Examiner
from agent.grading.model import Grade, Grader, GradingContext
from agent.graph import Runtime, build_graph, command_data, grade_of, open_checkpointer
from agent.history import Aggregates, History, SessionSummary, SessionTaken
from agent.report import build_report, to_html, to_json, to_markdown
from agent.settings import AgentSettings
from knowledge.kb import KnowledgeBase
from knowledge.schema import QuestionItem


class SessionNotFound(KeyError):
    """No such session for this user (an id of another user's session is not found either)."""


T = TypeVar("T")


class shared_property(Generic[T]):
    """A cached property whose value is shared by a facade and its :meth:`Interviewer.for_user` views."""

    def __init__(self, fn: Callable[[Any], T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, owner: Any = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        cache: dict[str, Any] = obj._shared
        if self.name not in cache:
            cache[self.name] = self.fn(obj)
        return cache[self.name]  # type: ignore[no-any-return]

    def __set__(self, obj: Any, value: T) -> None:
        obj._shared[self.name] = value


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


class Interviewer:
    def __init__(self, kb: KnowledgeBase, settings: AgentSettings, chat_model: Any = None, grader: Grader | None = None,
                 user: str | None = None) -> None:
        self.kb = kb
        self.settings = settings
        self._chat_model = chat_model
        self._grader = grader
        self._lock = threading.RLock()
        self._shared: dict[str, Any] = {}
        self.user = user or default_user()
        """Whose sessions this facade reads and writes (default: the OS user)."""

    def for_user(self, user: str) -> Interviewer:
        """The same facade acting for ``user`` (cheap: shares the graph, models, history and lock)."""
        if user == self.user:
            return self
        view = copy.copy(self)
        view.user = user
        return view

    # components ------------------------------------------------------------------------------
    @shared_property
    def examiner(self) -> Examiner:
        return Examiner(self.kb)

    @shared_property
    def chat_model(self) -> Any:
        if self._chat_model is not None:
            return self._chat_model
        if self.settings.backend == "llm" and not self.settings.llm_configured:
            raise LLMNotConfigured("MIANSHI_BACKEND=llm，但没有配置 OPENAI_API_KEY 或 OPENAI_BASE_URL")
        if self.settings.llm_configured:
            from agent.llm import make_chat_model

            return make_chat_model(self.settings)
        return None

    @shared_property
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

    @shared_property
    def bank(self) -> engine.Bank:
        b = self.kb.ensure_built()
        return engine.Bank(items=b.items, by_id=b.by_id())

    @property
    def history(self) -> History:
        """The history store acting for this facade's user (its methods default to that user)."""
        return self._history_store.for_user(self.user)

    @shared_property
    def _history_store(self) -> History:
        return History(self.settings.home_dir / "history.sqlite", url=self.settings.database_url, user=self.user)

    @shared_property
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
        self._shared["agent"] = agent
        runtime = Runtime(bank=self.bank, grade=grade, context=context, backend=self.backend, agent=agent, phraser=phraser)
        return build_graph(runtime, open_checkpointer(self.settings.home_dir / "checkpoints.sqlite", self.settings.database_url))

    @property
    def agent(self) -> Any:
        """LLM mode: the tool-calling AgentInterviewer (None offline); built with the graph."""
        self._graph  # noqa: B018 - builds the graph and with it the agent
        return self._shared.get("agent")

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
            self.history.save(state, user=self.user)
            said = tuple(state.turns[len(state.turns) - len(out.get("said") or []):])
            return TurnResult(session=state, said=said, grade=grade_of(out.get("grade")))

    def start(self, config: InterviewConfig, session_id: str | None = None,
              on_token: Callable[[str], None] | None = None) -> TurnResult:
        """A new session. Review mode asks every due weak question (or, when none is due, the
        ``n_questions`` weakest ones); otherwise (without an explicit seed) questions of the last few sessions are avoided while
        others remain."""
        sid = session_id or uuid.uuid4().hex[:12]
        try:
            self.history.claim(sid, datetime.now(UTC).isoformat(timespec="seconds"), user=self.user)
        except SessionTaken:
            raise SessionNotFound(sid) from None
        priority: list[str] = []
        if config.review:
            priority = (self.history.due_queue(50, user=self.user)
                        or self.history.review_queue(config.n_questions, user=self.user))
            if not priority:
                config = config.model_copy(update={"review": False})
        # an explicit seed reproduces an interview exactly; otherwise recent questions are avoided
        fresh = not config.review and config.seed is None
        avoid = self.history.recent_items(policy.RECENT_SESSIONS, user=self.user) if fresh else []
        return self._run(sid, {"event": "start", "session": {"id": sid}, "config": config.model_dump(mode="json"),
                               "priority": priority, "avoid": avoid}, on_token)

    def command(self, session_id: str, command: Command, on_token: Callable[[str], None] | None = None) -> TurnResult:
        """A typed command (buttons build these; free text goes through :meth:`answer`)."""
        self._check_owner(session_id)
        with self._lock:
            if not self._checkpointed(session_id):
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

    def _checkpointed(self, session_id: str) -> bool:
        with self._lock:
            return self._graph.checkpointer.get_tuple({"configurable": {"thread_id": session_id}}) is not None

    def _check_owner(self, session_id: str) -> None:
        """Another user's session (or one nobody owns) is not found: no data, no hint that it exists."""
        if not self.history.owns(session_id, user=self.user):
            raise SessionNotFound(session_id)

    def state(self, session_id: str) -> SessionState:
        self._check_owner(session_id)
        with self._lock:
            snap = self._graph.get_state({"configurable": {"thread_id": session_id}})
        if snap and snap.values.get("session", {}).get("config"):
            return SessionState.model_validate(snap.values["session"])
        raise SessionNotFound(session_id)

    def resume(self, session_id: str) -> TurnResult:
        """The session as checkpointed, with the interviewer's last words."""
        state = self.state(session_id)
        self.history.save(state, user=self.user)
        last = next((t for t in reversed(state.turns) if t.role == "interviewer"), None)
        return TurnResult(session=state, said=(last,) if last else (), grade=None)

    # reports and history -------------------------------------------------------------------------
    def report(self, session_id: str) -> Report:
        return build_report(self.state(session_id), self.bank.by_id.get)

    def render_report(self, session_id: str, fmt: Literal["md", "html", "json"] = "md") -> str:
        report = self.report(session_id)
        return {"md": to_markdown, "html": to_html, "json": to_json}[fmt](report)

    def sessions(self) -> list[SessionSummary]:
        """This user's sessions, newest first."""
        return self.history.sessions(user=self.user)

    def turns(self, session_id: str) -> list[dict[str, object]]:
        """This user's stored turns of a session ([] for another user's)."""
        return self.history.turns(session_id, user=self.user)

    def warm(self) -> None:
        """Load what every turn uses (the grader's tables and embedder, the retrieval indexes), then move
        everything loaded so far out of the garbage collector's full passes (``gc.freeze``): those objects
        live as long as the process, and a full collection over them paused a turn for 75–110 ms."""
        self.examiner.rubric  # noqa: B018 - building it is the point
        self.kb.search("注意力机制", k=1)
        gc.collect()
        gc.freeze()

    def aggregates(self) -> Aggregates:
        """Counts and means over all users (the caller checks the admin role)."""
        return self.history.aggregates()

    def last_grade(self, session_id: str) -> Grade | None:
        state = self.state(session_id)
        return next((t.grade for t in reversed(state.turns) if t.grade is not None), None)
