"""Sessions, turns, grades and per-question progress — per user — in SQLite under MIANSHI_HOME or in
PostgreSQL (agent/database.py: the engines and the schema migrations).

An index for listing, history and review, written after every turn; the session state itself lives
only in the interview's checkpointer (agent/graph.py). Per-question progress schedules review (SM-2 style): a question answered
poorly comes back soon, one answered well comes back later and later.

Every session and every review schedule has an owner: each method reads and writes one user's rows
only (``user=None`` is the History's default user), so a session id of another user is not found.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agent.database import Connection, Database, default_user
from agent.domain import SessionState


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


class SessionTaken(PermissionError):
    """The session id already belongs to another user."""


class Aggregates(BaseModel):
    """What an admin may see: counts and means over all users, no session, answer or user name."""

    model_config = ConfigDict(frozen=True)

    users: int
    sessions: int
    finished: int
    answers: int
    mean_score: float | None
    topics: tuple[tuple[str, int, float], ...]
    """(topic, answers, mean score)"""


class History:
    def __init__(self, path: Path, *, url: str | None = None, user: str | None = None,
                 legacy_owner: str | None = None) -> None:
        self.path = path
        self.user = user or default_user()
        """The owner when a method is given ``user=None``."""
        self.db = Database(path, url, legacy_owner or self.user)

    def for_user(self, user: str) -> History:
        """The same store (same database, migrated once) whose default user is ``user``."""
        if user == self.user:
            return self
        view = copy.copy(self)
        view.user = user
        return view

    @contextmanager
    def _db(self) -> Iterator[Connection]:
        with self.db.connect() as con:
            yield con

    def _who(self, user: str | None) -> str:
        return user or self.user

    def owner(self, session_id: str) -> str | None:
        with self._db() as con:
            row = con.execute("SELECT owner FROM sessions WHERE id=?", (session_id,)).fetchone()
        return row[0] if row else None

    def owns(self, session_id: str, user: str | None = None) -> bool:
        return self.owner(session_id) == self._who(user)

    def claim(self, session_id: str, created_at: str, user: str | None = None) -> None:
        """Reserve a new session id for ``user`` before its first checkpoint is written (so a crash in
        between leaves an owned session, and nobody can start a session under another user's id)."""
        who = self._who(user)
        with self._db() as con:
            con.execute("INSERT INTO sessions (id, created_at, updated_at, status, backend, config, answered, owner) "
                        "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
                        (session_id, created_at, created_at, "starting", "", "{}", 0, who))
            row = con.execute("SELECT owner FROM sessions WHERE id=?", (session_id,)).fetchone()
        if row[0] != who:
            raise SessionTaken(session_id)

    def save(self, state: SessionState, user: str | None = None) -> None:
        """Upsert the session and append its new turns (idempotent: re-saving after a crash fills what is missing)."""
        who = self._who(user)
        done = [r for r in state.records if r.final_score is not None]
        mean = round(sum(r.final_score or 0 for r in done) / len(done), 2) if done else None
        # one number per question: the feedback turn that closes a question carries its final score;
        # each answer's own grade stays in the turn's grade JSON
        final = {r.item_id: r.final_score for r in done}
        with self._db() as con:
            row = con.execute("SELECT owner FROM sessions WHERE id=?", (state.id,)).fetchone()
            if row and row[0] != who:
                raise SessionTaken(state.id)
            con.execute(
                "INSERT INTO sessions (id, created_at, updated_at, status, backend, config, answered, mean_score, state, owner) "
                "VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET created_at=excluded.created_at, "
                "updated_at=excluded.updated_at, status=excluded.status, backend=excluded.backend, config=excluded.config, "
                "answered=excluded.answered, mean_score=excluded.mean_score",
                (state.id, state.created_at, state.updated_at, state.status, state.backend,
                 state.config.model_dump_json(), len(done), mean, None, who),
            )
            stored = con.execute("SELECT count(*) FROM turns WHERE session_id=?", (state.id,)).fetchone()[0]
            # turns are append-only once saved: write the new ones (after a crash, whatever is missing)
            con.executemany(
                "INSERT INTO turns VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (session_id, idx) DO NOTHING",
                [(state.id, n, t.role, t.kind, t.text, t.item_id, final.get(t.item_id or "") if t.kind == "feedback" else None,
                  t.grade.model_dump_json() if t.grade else None, t.at)
                 for n, t in enumerate(state.turns) if n >= stored],
            )
            for r in done:
                fresh = con.execute("INSERT INTO attempts VALUES (?,?,?,?,?,?) ON CONFLICT (session_id, item_id) DO NOTHING",
                                    (state.id, r.item_id, r.topic, r.question, r.final_score, state.updated_at)).rowcount
                if fresh:
                    self._schedule(con, who, r.item_id, r.question, r.topic, float(r.final_score or 0))

    def _schedule(self, con: Connection, who: str, item_id: str, question: str, topic: str, score: float) -> None:
        row = con.execute("SELECT reps, ease, interval_days FROM progress WHERE owner=? AND item_id=?", (who, item_id)).fetchone()
        reps, ease, interval = row if row else (0, 2.5, 0.0)
        reps, ease, interval = sm2(reps, ease, interval, score)
        now = datetime.now(UTC)
        con.execute("INSERT INTO progress VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (owner, item_id) DO UPDATE SET "
                    "question=excluded.question, topic=excluded.topic, reps=excluded.reps, ease=excluded.ease, "
                    "interval_days=excluded.interval_days, due_at=excluded.due_at, last_score=excluded.last_score, "
                    "last_at=excluded.last_at",
                    (who, item_id, question, topic, reps, ease, interval,
                     (now + timedelta(days=interval)).isoformat(timespec="seconds"), score, now.isoformat(timespec="seconds")))

    def sessions(self, user: str | None = None) -> list[SessionSummary]:
        with self._db() as con:
            rows = con.execute("SELECT id, created_at, updated_at, status, backend, config, answered, mean_score "
                               "FROM sessions WHERE owner=? AND status <> 'starting' ORDER BY created_at DESC, id",
                               (self._who(user),)).fetchall()
        return [SessionSummary(id=r[0], created_at=r[1], updated_at=r[2], status=r[3], backend=r[4],
                               topics=tuple(json.loads(r[5]).get("topics", ())), answered=r[6], mean_score=r[7])
                for r in rows]

    def turns(self, session_id: str, user: str | None = None) -> list[dict[str, object]]:
        with self._db() as con:
            rows = con.execute("SELECT t.idx, t.role, t.kind, t.text, t.item_id, t.score, t.at FROM turns t "
                               "JOIN sessions s ON s.id = t.session_id WHERE t.session_id=? AND s.owner=? ORDER BY t.idx",
                               (session_id, self._who(user))).fetchall()
        return [{"idx": r[0], "role": r[1], "kind": r[2], "text": r[3], "item_id": r[4], "score": r[5], "at": r[6]}
                for r in rows]

    def weak_questions(self, limit: int = 20, due_only: bool = False, user: str | None = None) -> list[WeakQuestion]:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        sql = "SELECT item_id, question, topic, last_score, due_at, reps FROM progress"
        sql += " WHERE owner=? AND last_score < 7" + (" AND due_at <= ?" if due_only else "")
        sql += " ORDER BY due_at, last_score LIMIT ?"
        who = self._who(user)
        with self._db() as con:
            rows = con.execute(sql, (who, now, limit) if due_only else (who, limit)).fetchall()
        return [WeakQuestion(item_id=r[0], question=r[1], topic=r[2], last_score=r[3], due_at=r[4], reps=r[5]) for r in rows]

    def due_queue(self, limit: int = 50, user: str | None = None) -> list[str]:
        """Every due weak question, most urgent first."""
        return [w.item_id for w in self.weak_questions(limit, due_only=True, user=user)]

    def recent_items(self, sessions: int = 3, user: str | None = None) -> list[str]:
        """Questions asked in the last ``sessions`` sessions (to avoid repeating them)."""
        with self._db() as con:
            rows = con.execute(
                "SELECT DISTINCT item_id FROM turns WHERE item_id IS NOT NULL AND kind='question' AND session_id IN "
                "(SELECT id FROM sessions WHERE owner=? ORDER BY created_at DESC LIMIT ?)",
                (self._who(user), sessions)).fetchall()
        return [r[0] for r in rows]

    def review_queue(self, limit: int = 20, user: str | None = None) -> list[str]:
        """Questions to re-ask: due low scorers first, then the lowest scorers not yet due."""
        due = [w.item_id for w in self.weak_questions(limit, due_only=True, user=user)]
        rest = [w.item_id for w in sorted(self.weak_questions(limit * 2, user=user), key=lambda w: w.last_score)
                if w.item_id not in due]
        return (due + rest)[:limit]

    def topic_progress(self, user: str | None = None) -> list[tuple[str, str, float]]:
        """(date, topic, mean score) for charts of progress over time."""
        with self._db() as con:
            rows = con.execute("SELECT substr(a.at,1,10) d, a.topic, avg(a.score) FROM attempts a "
                               "JOIN sessions s ON s.id = a.session_id WHERE s.owner=? "
                               "GROUP BY substr(a.at,1,10), a.topic ORDER BY d", (self._who(user),)).fetchall()
        return [(r[0], r[1], round(float(r[2]), 2)) for r in rows]

    def aggregates(self) -> Aggregates:
        """Counts and means over every user (for an admin): no ids, answers or names."""
        with self._db() as con:
            users, sessions, finished = con.execute(
                "SELECT count(DISTINCT owner), count(*), sum(CASE WHEN status='finished' THEN 1 ELSE 0 END) "
                "FROM sessions WHERE status <> 'starting'").fetchone()
            answers, mean = con.execute("SELECT count(*), avg(score) FROM attempts").fetchone()
            topics = con.execute("SELECT topic, count(*), avg(score) FROM attempts GROUP BY topic ORDER BY topic").fetchall()
        return Aggregates(users=users, sessions=sessions, finished=int(finished or 0), answers=answers,
                          mean_score=round(float(mean), 2) if mean is not None else None,
                          topics=tuple((t[0], t[1], round(float(t[2]), 2)) for t in topics))
