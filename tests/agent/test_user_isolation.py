"""Per-user data: each user's sessions, turns, review queue and progress are theirs alone — in SQLite
and in PostgreSQL — and a session id of another user is refused like an unknown one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.database import MIGRATIONS, Database, redact_url
from agent.domain import InterviewConfig
from agent.history import History
from agent.interviewer import Interviewer, SessionNotFound
from agent.settings import AgentSettings
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings

LATEST = MIGRATIONS[-1].version


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
    else:
        from tests.integration.postgres import new_database

        yield new_database(request.getfixturevalue("postgres_base"))


def make(home: Path, url: str | None, user: str | None = None) -> Interviewer:
    return Interviewer(KnowledgeBase(KnowledgeSettings(home=home)),
                       AgentSettings(home=home, backend="offline", database_url=url), user=user)


def test_each_user_sees_only_their_own_sessions(home_copy: Path, database_url: str | None) -> None:
    iv = make(home_copy, database_url, user="alice")
    alice, bob = iv, iv.for_user("bob")
    assert bob._graph is alice._graph and bob.history.db is alice.history.db, "views share one graph and store"
    a = alice.start(InterviewConfig(n_questions=2, seed=1))
    b = bob.start(InterviewConfig(n_questions=2, seed=2))
    alice.answer(a.session.id, "ALPHA 注意力除以根号 d_k")
    bob.answer(b.session.id, "BRAVO 梯度消失")
    assert [s.id for s in alice.sessions()] == [a.session.id]
    assert [s.id for s in bob.sessions()] == [b.session.id]
    assert alice.turns(b.session.id) == [] and bob.turns(a.session.id) == []
    assert "ALPHA" in " ".join(str(t["text"]) for t in alice.turns(a.session.id))
    # a guessed id of the other user's session: refused exactly like an unknown id, nothing leaks
    for call in (lambda: bob.state(a.session.id), lambda: bob.answer(a.session.id, "steal"),
                 lambda: bob.report(a.session.id), lambda: bob.resume(a.session.id), lambda: bob.finish(a.session.id),
                 lambda: bob.last_grade(a.session.id)):
        with pytest.raises(SessionNotFound):
            call()
    # nor can bob take over alice's id by starting a session under it
    with pytest.raises(SessionNotFound):
        bob.start(InterviewConfig(n_questions=1), session_id=a.session.id)
    assert alice.state(a.session.id).turns[-1].text, "alice's session is untouched"
    assert "ALPHA" in " ".join(t.text for t in alice.state(a.session.id).turns)
    # a fresh process (a new facade on the same database) keeps the owners
    again = make(home_copy, database_url, user="bob")
    assert [s.id for s in again.sessions()] == [b.session.id]
    with pytest.raises(SessionNotFound):
        again.state(a.session.id)


def test_review_queue_and_progress_are_per_user(home_copy: Path, database_url: str | None) -> None:
    iv = make(home_copy, database_url, user="alice")
    alice, bob = iv, iv.for_user("bob")
    r = alice.start(InterviewConfig(n_questions=1, seed=3, follow_up_budget=0))
    alice.answer(r.session.id, "不知道")
    weak = r.session.records[0].item_id
    assert weak in alice.history.review_queue()
    assert bob.history.review_queue() == [] and bob.history.weak_questions() == []
    assert bob.history.topic_progress() == [] and alice.history.topic_progress()
    review = bob.start(InterviewConfig(n_questions=1, review=True))
    assert review.session.config.review is False, "bob has nothing to review"
    agg = alice.aggregates()
    assert agg.users == 2 and agg.sessions == 2 and agg.answers == 1
    assert "alice" not in agg.model_dump_json() and r.session.id not in agg.model_dump_json()


def test_migrations_upgrade_a_legacy_sqlite_file(tmp_path: Path) -> None:
    """A history.sqlite written before accounts existed: its rows go to the legacy owner (the OS user)."""
    path = tmp_path / "history.sqlite"
    con = sqlite3.connect(path)
    con.executescript("""
CREATE TABLE sessions (id TEXT PRIMARY KEY, created_at TEXT, updated_at TEXT, status TEXT, backend TEXT,
  config TEXT, answered INTEGER, mean_score REAL, state TEXT);
CREATE TABLE turns (session_id TEXT, idx INTEGER, role TEXT, kind TEXT, text TEXT, item_id TEXT, score REAL, grade TEXT,
  at TEXT, PRIMARY KEY (session_id, idx));
CREATE TABLE attempts (session_id TEXT, item_id TEXT, topic TEXT, question TEXT, score REAL, at TEXT,
  PRIMARY KEY (session_id, item_id));
CREATE TABLE progress (item_id TEXT PRIMARY KEY, question TEXT, topic TEXT, reps INTEGER, ease REAL, interval_days REAL,
  due_at TEXT, last_score REAL, last_at TEXT);
INSERT INTO sessions VALUES ('old1', '2025-01-01T00:00:00', '2025-01-01T00:00:00', 'finished', 'x', '{"topics": []}', 1, 3.0, NULL);
INSERT INTO progress VALUES ('q1', 'Q?', 'T', 0, 2.5, 1.0, '2025-01-02T00:00:00', 3.0, '2025-01-01T00:00:00');
""")
    con.commit()
    con.close()
    h = History(path, user="carol", legacy_owner="carol")
    assert [s.id for s in h.sessions()] == ["old1"] and h.review_queue() == ["q1"]
    assert h.sessions(user="dave") == [] and h.review_queue(user="dave") == []
    assert h.db.version() == LATEST
    assert Database(path).version() == LATEST, "applied once; a second open applies nothing"


def test_database_urls_are_redacted() -> None:
    url = "postgresql://mianshi:s3cret-PASS@db.example:5432/mianshi"
    assert redact_url(url) == "postgresql://mianshi:***@db.example:5432/mianshi"
    db = Database(Path("/nonexistent"), "postgresql://u:TOPSECRET@127.0.0.1:1/x")
    with pytest.raises(ConnectionError) as info:
        db.version()
    assert "TOPSECRET" not in str(info.value) and "***" in str(info.value)
    assert "TOPSECRET" not in repr(AgentSettings(database_url="postgresql://u:TOPSECRET@h/x", api_key="sk-TOPSECRET"))
