"""The history database: SQLite (embedded default) or PostgreSQL (``MIANSHI_DATABASE_URL``), with
versioned migrations.

Migrations are a small ordered list applied once each and recorded in ``schema_migrations`` — not
Alembic: the schema is four tables written with plain DB-API SQL (no SQLAlchemy models to diff), it
must migrate the SQLite files users already have, and one list of steps serves both engines. The SQL
is the subset both engines speak (``ON CONFLICT … DO UPDATE``, ``?`` placeholders, translated to
``%s`` for psycopg). PostgreSQL applies migrations under an advisory lock, so several workers starting
at once migrate once.
"""

from __future__ import annotations

import getpass
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

MIGRATION_LOCK = 4_711_013
"""pg_advisory_lock key of the history migrations."""


def default_user() -> str:
    """The OS user: the owner of CLI sessions and of the web app without accounts."""
    try:
        return getpass.getuser() or "local"
    except (KeyError, OSError):
        return "local"


def redact_url(url: str) -> str:
    """A database URL fit for logs and error messages: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection:
    """A DB-API connection that takes ``?`` placeholders on both engines."""

    def __init__(self, raw: Any, postgres: bool) -> None:
        self.raw = raw
        self.postgres = postgres

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if self.postgres:
            return self.raw.execute(sql.replace("?", "%s"), tuple(params))  # type: ignore[no-any-return]
        return self.raw.execute(sql, tuple(params))  # type: ignore[no-any-return]

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.postgres:
            with self.raw.cursor() as cur:
                cur.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])
        else:
            self.raw.executemany(sql, [tuple(r) for r in rows])


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection, str], None]
    """(connection, legacy owner): the owner given to rows written before users existed."""


def _v1_tables(con: Connection, _owner: str) -> None:
    for sql in (
        "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, created_at TEXT, updated_at TEXT, status TEXT, "
        "backend TEXT, config TEXT, answered INTEGER, mean_score DOUBLE PRECISION, state TEXT)",
        "CREATE TABLE IF NOT EXISTS turns (session_id TEXT, idx INTEGER, role TEXT, kind TEXT, text TEXT, item_id TEXT, "
        "score DOUBLE PRECISION, grade TEXT, at TEXT, PRIMARY KEY (session_id, idx))",
        "CREATE TABLE IF NOT EXISTS attempts (session_id TEXT, item_id TEXT, topic TEXT, question TEXT, "
        "score DOUBLE PRECISION, at TEXT, PRIMARY KEY (session_id, item_id))",
        "CREATE TABLE IF NOT EXISTS progress (item_id TEXT PRIMARY KEY, question TEXT, topic TEXT, reps INTEGER, "
        "ease DOUBLE PRECISION, interval_days DOUBLE PRECISION, due_at TEXT, last_score DOUBLE PRECISION, last_at TEXT)",
    ):
        con.execute(sql)


def _v2_users(con: Connection, owner: str) -> None:
    """Every session and review schedule gets an owner; rows from before go to the legacy owner."""
    con.execute("ALTER TABLE sessions ADD COLUMN owner TEXT")
    con.execute("UPDATE sessions SET owner = ? WHERE owner IS NULL", (owner,))
    con.execute("CREATE INDEX IF NOT EXISTS sessions_owner ON sessions (owner, created_at)")
    con.execute("CREATE TABLE progress_v2 (owner TEXT NOT NULL, item_id TEXT NOT NULL, question TEXT, topic TEXT, "
                "reps INTEGER, ease DOUBLE PRECISION, interval_days DOUBLE PRECISION, due_at TEXT, "
                "last_score DOUBLE PRECISION, last_at TEXT, PRIMARY KEY (owner, item_id))")
    con.execute("INSERT INTO progress_v2 SELECT ?, item_id, question, topic, reps, ease, interval_days, due_at, "
                "last_score, last_at FROM progress", (owner,))
    con.execute("DROP TABLE progress")
    con.execute("ALTER TABLE progress_v2 RENAME TO progress")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "sessions, turns, attempts, progress", _v1_tables),
    Migration(2, "an owner per session and per review schedule", _v2_users),
)


class Database:
    """Where the history lives: a SQLite file, or a PostgreSQL server when ``url`` is postgresql://."""

    def __init__(self, path: Path, url: str | None = None, legacy_owner: str | None = None) -> None:
        self.path = path
        self.url = url if is_postgres(url) else None
        self.legacy_owner = legacy_owner or default_user()
        self._migrated = False

    @property
    def postgres(self) -> bool:
        return self.url is not None

    def describe(self) -> str:
        return redact_url(self.url) if self.url else str(self.path)

    def _raw(self) -> Any:
        if self.url:
            import psycopg

            try:
                return psycopg.connect(psycopg_url(self.url), connect_timeout=10)
            except psycopg.OperationalError as exc:
                # psycopg's message may quote the connection string: never show the password
                raise ConnectionError(f"无法连接数据库 {self.describe()}：{_first_line(exc, self.url)}") from None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(self.path, timeout=30)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        raw = self._raw()
        try:
            con = Connection(raw, self.postgres)
            if not self._migrated:
                self.migrate(con)
                self._migrated = True
            yield con
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()

    def migrate(self, con: Connection) -> list[int]:
        """Apply the migrations not yet recorded; returns the versions applied now."""
        if self.postgres:
            con.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
        done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
        applied = []
        for m in MIGRATIONS:
            if m.version in done:
                continue
            m.apply(con, self.legacy_owner)
            con.execute("INSERT INTO schema_migrations VALUES (?,?,?)",
                        (m.version, m.name, datetime.now(UTC).isoformat(timespec="seconds")))
            applied.append(m.version)
        if self.postgres:
            con.raw.commit()
        return applied

    def version(self) -> int:
        with self.connect() as con:
            return int(con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0)


def _first_line(exc: BaseException, secret: str) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    password = urlsplit(secret).password
    return text.replace(password, "***") if password else text
