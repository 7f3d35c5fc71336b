"""The interview as a LangGraph graph with a checkpointer — the one session store: SQLite under
MIANSHI_HOME by default, LangGraph's PostgresSaver when MIANSHI_DATABASE_URL is postgresql://….

One invocation handles one input for one session (thread): START → route → start | turn → END. A node
runs the pure engine (decisions → events), the phrasing stage (events → words; an LLM phraser streams
its tokens through LangGraph's custom stream) and records the words as turns, so the checkpoint
written after the node holds everything that was shown. The history database keeps only an index of
sessions, turns and progress for listing and review (agent/history.py), never the state itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph

from agent import engine
from agent.commands import Answer, Clarify, Command, End, Hint, Skip
from agent.domain import InterviewConfig, SessionState
from agent.events import Message
from agent.grading.model import Grade
from agent.phrasing import PhraseContext, TemplatePhraser

_COMMANDS: dict[str, Callable[[dict[str, Any]], Command]] = {
    "answer": lambda c: Answer(str(c.get("text", ""))),
    "clarify": lambda c: Clarify(str(c.get("text", ""))),
    "skip": lambda c: Skip(), "hint": lambda c: Hint(), "end": lambda c: End(),
}


def command_data(command: Command) -> dict[str, Any]:
    return {"kind": command.kind, "text": getattr(command, "text", "")}


def command_of(data: dict[str, Any]) -> Command:
    return _COMMANDS[data["kind"]](data)


class GraphState(TypedDict, total=False):
    session: dict[str, Any]
    """SessionState as JSON-ready data."""
    event: str
    """"start" or "command"."""
    command: dict[str, Any]
    config: dict[str, Any]
    priority: list[str]
    avoid: list[str]
    said: list[dict[str, Any]]
    """The interviewer turns this step added (kind, text, flags…)."""
    grade: dict[str, Any] | None


class Phraser(Protocol):
    def phrase_step(self, step: engine.Step, messages: list[Message], pc: PhraseContext,
                    emit: Callable[[str], None]) -> list[Message]: ...


@dataclass
class Runtime:
    bank: engine.Bank
    grade: engine.GradeFn
    context: engine.ContextFn
    backend: str
    agent: Any = None
    """LLM mode: an AgentInterviewer whose tool-calling agent grades the answer turn (agent/llm_agent.py)."""
    phraser: Phraser | None = None
    """LLM mode: rewrites follow-ups, validated against the events; None = templates only."""


def _emit() -> Callable[[str], None]:
    try:
        return get_stream_writer()
    except (RuntimeError, KeyError):  # outside a streaming run
        return lambda _token: None


def build_graph(runtime: Runtime, checkpointer: BaseCheckpointSaver[Any]) -> Any:
    templates = TemplatePhraser()

    def finish_step(step: engine.Step, flags: tuple[str, ...] = ()) -> GraphState:
        state = step.state
        pc = PhraseContext(lang=state.config.language, seed=engine.phrase_seed(state), item=runtime.bank.by_id.get)
        messages = templates.phrase(step.events, pc)
        if runtime.phraser is not None and not flags:
            messages = runtime.phraser.phrase_step(step, messages, pc, _emit())
        if flags:
            messages = [Message(m.kind, m.text, m.item_id, (*m.flags, *flags), m.must_contain) for m in messages]
        state = engine.record(state, messages)
        said = [{"kind": m.kind, "text": m.text, "item_id": m.item_id, "flags": list(m.flags)} for m in messages]
        return {"session": state.model_dump(mode="json"), "said": said,
                "grade": step.grade.model_dump(mode="json") if step.grade else None}

    def route(state: GraphState) -> str:
        return "start" if state.get("event") == "start" else "turn"

    def start(state: GraphState) -> GraphState:
        config = InterviewConfig.model_validate(state["config"])
        return finish_step(engine.start(state["session"]["id"], config, runtime.bank, runtime.backend,
                                        state.get("priority", []), state.get("avoid", [])))

    def turn(state: GraphState) -> GraphState:
        session = SessionState.model_validate(state["session"])
        command = command_of(state["command"])
        grade = runtime.grade
        flags: tuple[str, ...] = ()
        if runtime.agent is not None and isinstance(command, Answer) and session.current is not None:
            grade, used_tools = runtime.agent.grade_fn(session, command.text, runtime)
            if not used_tools:
                flags = ("agent_no_tool",)
        step = engine.apply(session, command, runtime.bank, grade, runtime.context)
        return finish_step(step, flags)

    g = StateGraph(GraphState)
    g.add_node("start", start)
    g.add_node("turn", turn)
    g.add_conditional_edges(START, route, {"start": "start", "turn": "turn"})
    g.add_edge("start", END)
    g.add_edge("turn", END)
    return g.compile(checkpointer=checkpointer)


def open_checkpointer(path: Path, database_url: str | None = None) -> BaseCheckpointSaver[Any]:
    """SQLite at ``path``, or PostgreSQL (a small connection pool; the checkpoint tables are created
    or migrated by PostgresSaver.setup, under an advisory lock so several workers may start at once)."""
    from agent.database import is_postgres

    if database_url and is_postgres(database_url):
        return _postgres_checkpointer(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, check_same_thread=False, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    return SqliteSaver(con)


def _postgres_checkpointer(url: str) -> BaseCheckpointSaver[Any]:
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    from agent.database import MIGRATION_LOCK, psycopg_url, redact_url

    conninfo = psycopg_url(url)
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as con:
            con.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK + 1,))
            try:
                with psycopg.connect(conninfo, autocommit=True, prepare_threshold=0, row_factory=dict_row) as setup_con:
                    PostgresSaver(setup_con).setup()
            finally:
                con.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK + 1,))
    except psycopg.OperationalError:
        raise ConnectionError(f"无法连接数据库 {redact_url(url)}") from None
    pool: ConnectionPool[Any] = ConnectionPool(
        conninfo, min_size=1, max_size=4, open=True,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
    return PostgresSaver(pool)


def grade_of(data: dict[str, Any] | None) -> Grade | None:
    return Grade.model_validate(data) if data else None

