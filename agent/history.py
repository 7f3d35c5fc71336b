"""Sessions, turns, grades and per-question progress in SQLite under MIANSHI_HOME.

An index for listing, history and review, written after every turn; the session state itself lives
only in the interview's checkpointer (agent/graph.py). Per-question progress schedules review (SM-2 style): a question answered
poorly comes back soon, one answered well comes back later and later.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agent.domain import SessionState

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, created_at TEXT, updated_at TEXT, status TEXT, backend TEXT,
  config TEXT, answered INTEGER, mean_score REAL, state TEXT);
CREATE TABLE IF NOT EXISTS turns (
  session_id TEXT, idx INTEGER, role TEXT, kind TEXT, text TEXT, item_id TEXT, score REAL, grade TEXT, at TEXT,
  PRIMARY KEY (session_id, idx));
CREATE TABLE IF NOT EXISTS attempts (
  session_id TEXT, item_id TEXT, topic TEXT, question TEXT, score REAL, at TEXT, PRIMARY KEY (session_id, item_id));
CREATE TABLE IF NOT EXISTS progress (
  item_id TEXT PRIMARY KEY, question TEXT, topic TEXT, reps INTEGER, ease REAL, interval_days REAL,
  due_at TEXT, last_score REAL, last_at TEXT);
"""


class SessionSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    created_at: str
    updated_at: str
    status: str
    backend: str
    answered: int
    mean_score: float | None
    topics: tuple[str, ...]


class WeakQuestion(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: str
    question: str
    topic: str
    last_score: float
    due_at: str
    reps: int


def sm2(reps: int, ease: float, interval: float, score: float) -> tuple[int, float, float]:
    """SM-2 with quality q = score / 2 (0–5): below 3 the question restarts at 1 day."""
    q = max(0.0, min(5.0, score / 2))
    if q < 3:
        reps, interval = 0, 1.0
    else:
        reps += 1
        interval = 1.0 if reps == 1 else 6.0 if reps == 2 else interval * ease
    ease = max(1.3, ease + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02))
    return reps, ease, interval


class History:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        """The schema was created by this object (once per process, not on every write)."""

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        try:
            if not self._ready:
                con.executescript(SCHEMA)
                self._ready = True
            yield con
            con.commit()
        finally:
            con.close()

    def save(self, state: SessionState) -> None:
        """Upsert the session and append its new turns (idempotent: re-saving after a crash fills what is missing)."""
        done = [r for r in state.records if r.final_score is not None]
        mean = round(sum(r.final_score or 0 for r in done) / len(done), 2) if done else None
        # one number per question: the feedback turn that closes a question carries its final score;
        # each answer's own grade stays in the turn's grade JSON
        final = {r.item_id: r.final_score for r in done}
        with self._db() as con:
            con.execute(
                "INSERT OR REPLACE INTO sessions VALUES (?,?,?,?,?,?,?,?,?)",
                (state.id, state.created_at, state.updated_at, state.status, state.backend,
                 state.config.model_dump_json(), len(done), mean, None),
            )
            stored = con.execute("SELECT count(*) FROM turns WHERE session_id=?", (state.id,)).fetchone()[0]
            # turns are append-only once saved: write the new ones (after a crash, whatever is missing)
            con.executemany(
                "INSERT OR REPLACE INTO turns VALUES (?,?,?,?,?,?,?,?,?)",
                [(state.id, n, t.role, t.kind, t.text, t.item_id, final.get(t.item_id or "") if t.kind == "feedback" else None,
                  t.grade.model_dump_json() if t.grade else None, t.at)
                 for n, t in enumerate(state.turns) if n >= stored],
            )
            for r in done:
                fresh = con.execute("INSERT OR IGNORE INTO attempts VALUES (?,?,?,?,?,?)",
                                    (state.id, r.item_id, r.topic, r.question, r.final_score, state.updated_at)).rowcount
                if fresh:
                    self._schedule(con, r.item_id, r.question, r.topic, float(r.final_score or 0))

    def _schedule(self, con: sqlite3.Connection, item_id: str, question: str, topic: str, score: float) -> None:
        row = con.execute("SELECT reps, ease, interval_days FROM progress WHERE item_id=?", (item_id,)).fetchone()
        reps, ease, interval = row if row else (0, 2.5, 0.0)
        reps, ease, interval = sm2(reps, ease, interval, score)
        now = datetime.now(UTC)
        con.execute("INSERT OR REPLACE INTO progress VALUES (?,?,?,?,?,?,?,?,?)",
                    (item_id, question, topic, reps, ease, interval, (now + timedelta(days=interval)).isoformat(timespec="seconds"),
                     score, now.isoformat(timespec="seconds")))

    def sessions(self) -> list[SessionSummary]:
        with self._db() as con:
            rows = con.execute("SELECT id, created_at, updated_at, status, backend, config, answered, mean_score "
                               "FROM sessions ORDER BY created_at DESC, id").fetchall()
        return [SessionSummary(id=r[0], created_at=r[1], updated_at=r[2], status=r[3], backend=r[4],
                               topics=tuple(json.loads(r[5]).get("topics", ())), answered=r[6], mean_score=r[7])
                for r in rows]

    def turns(self, session_id: str) -> list[dict[str, object]]:
        with self._db() as con:
            rows = con.execute("SELECT idx, role, kind, text, item_id, score, at FROM turns WHERE session_id=? ORDER BY idx",
                               (session_id,)).fetchall()
        return [{"idx": r[0], "role": r[1], "kind": r[2], "text": r[3], "item_id": r[4], "score": r[5], "at": r[6]}
                for r in rows]

    def weak_questions(self, limit: int = 20, due_only: bool = False) -> list[WeakQuestion]:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        sql = "SELECT item_id, question, topic, last_score, due_at, reps FROM progress"
        sql += " WHERE last_score < 7" + (" AND due_at <= ?" if due_only else "")
        sql += " ORDER BY due_at, last_score LIMIT ?"
        with self._db() as con:
            rows = con.execute(sql, (now, limit) if due_only else (limit,)).fetchall()
        return [WeakQuestion(item_id=r[0], question=r[1], topic=r[2], last_score=r[3], due_at=r[4], reps=r[5]) for r in rows]

    def due_queue(self, limit: int = 50) -> list[str]:
        """Every due weak question, most urgent first."""
        return [w.item_id for w in self.weak_questions(limit, due_only=True)]

    def recent_items(self, sessions: int = 3) -> list[str]:
        """Questions asked in the last ``sessions`` sessions (to avoid repeating them)."""
        with self._db() as con:
            rows = con.execute(
                "SELECT DISTINCT item_id FROM turns WHERE item_id IS NOT NULL AND kind='question' AND session_id IN "
                "(SELECT id FROM sessions ORDER BY created_at DESC LIMIT ?)", (sessions,)).fetchall()
        return [r[0] for r in rows]

    def review_queue(self, limit: int = 20) -> list[str]:
        """Questions to re-ask: due low scorers first, then the lowest scorers not yet due."""
        due = [w.item_id for w in self.weak_questions(limit, due_only=True)]
        rest = [w.item_id for w in sorted(self.weak_questions(limit * 2), key=lambda w: w.last_score) if w.item_id not in due]
        return (due + rest)[:limit]

    def topic_progress(self) -> list[tuple[str, str, float]]:
        """(date, topic, mean score) for charts of progress over time."""
        with self._db() as con:
            rows = con.execute("SELECT substr(at,1,10) d, topic, avg(score) FROM attempts GROUP BY d, topic ORDER BY d").fetchall()
        return [(r[0], r[1], round(r[2], 2)) for r in rows]
