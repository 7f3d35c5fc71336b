"""The interview as a LangGraph graph with a SQLite checkpointer: every turn is saved as it happens,
so a session resumes after the process is killed.

One invocation handles one event for one session (thread): START -> route -> one handler -> END.
The handlers are the pure engine functions; the runtime (bank, grader, context) is injected.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from agent import engine, policy
from agent.domain import InterviewConfig, SessionState
from agent.grading.model import Grade


class GraphState(TypedDict, total=False):
    session: dict[str, Any]
    """SessionState as JSON-ready data."""
    event: str
    """"start" or "message"."""
    inbox: str
    config: dict[str, Any]
    priority: list[str]
    outbox: list[str]
    grade: dict[str, Any] | None
    command: str


@dataclass
class Runtime:
    bank: engine.Bank
    grade: engine.GradeFn
    context: engine.ContextFn
    backend: str
    agent: Any = None
    """LLM mode: an AgentInterviewer whose tool-calling agent runs the answer turn (agent/llm_agent.py)."""


def _out(step: engine.Step) -> GraphState:
    return {"session": step.state.model_dump(mode="json"), "outbox": list(step.messages),
            "grade": step.grade.model_dump(mode="json") if step.grade else None}


def build_graph(runtime: Runtime, checkpointer: SqliteSaver) -> Any:
    def route(state: GraphState) -> GraphState:
        if state.get("event") == "start":
            return {"command": "start"}
        session = SessionState.model_validate(state["session"])
        if session.status != "active":
            return {"command": "finished"}
        return {"command": policy.parse_command(state.get("inbox", ""))}

    def start(state: GraphState) -> GraphState:
        config = InterviewConfig.model_validate(state["config"])
        session_id = state["session"]["id"]
        return _out(engine.start(session_id, config, runtime.bank, runtime.backend, state.get("priority", [])))

    def answer(state: GraphState) -> GraphState:
        session = SessionState.model_validate(state["session"])
        text = state.get("inbox", "")
        if runtime.agent is not None:
            return _out(runtime.agent.answer(session, text, runtime))
        return _out(engine.on_answer(session, text, runtime.bank, runtime.grade, runtime.context))

    def skip(state: GraphState) -> GraphState:
        return _out(engine.on_skip(SessionState.model_validate(state["session"]), runtime.bank))

    def hint(state: GraphState) -> GraphState:
        return _out(engine.on_hint(SessionState.model_validate(state["session"]), runtime.bank))

    def clarify(state: GraphState) -> GraphState:
        return _out(engine.on_clarify(SessionState.model_validate(state["session"]), state.get("inbox", ""), runtime.bank))

    def end(state: GraphState) -> GraphState:
        return _out(engine.on_end(SessionState.model_validate(state["session"])))

    def finished(state: GraphState) -> GraphState:
        return {"outbox": ["本场面试已经结束。可以查看报告，或开始新的面试。"], "grade": None}

    g = StateGraph(GraphState)
    for name, fn in [("route", route), ("start", start), ("answer", answer), ("skip", skip), ("hint", hint),
                     ("clarify", clarify), ("end", end), ("finished", finished)]:
        g.add_node(name, fn)
    g.add_edge(START, "route")
    g.add_conditional_edges("route", lambda s: s["command"],
                            {k: k for k in ("start", "answer", "skip", "hint", "clarify", "end", "finished")})
    for name in ("start", "answer", "skip", "hint", "clarify", "end", "finished"):
        g.add_edge(name, END)
    return g.compile(checkpointer=checkpointer)


def open_checkpointer(path: Path) -> SqliteSaver:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, check_same_thread=False, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    return SqliteSaver(con)


def grade_of(data: dict[str, Any] | None) -> Grade | None:
    return Grade.model_validate(data) if data else None
