"""A real PostgreSQL server on 127.0.0.1 for the tests (Debian's `postgresql`, run as the `postgres`
user on a free port; see ARCHITECTURE.md "Offline facts"). Skips with a reason when it is missing."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.servers import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*cmd: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return list(cmd)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway cluster; yields the base URL postgresql://postgres@127.0.0.1:PORT."""
    if not (BIN / "initdb").exists():
        pytest.skip("POSTGRES TESTS SKIPPED: Debian's postgresql is missing (scripts/install-system-deps.sh installs it)")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("POSTGRES TESTS SKIPPED: no `postgres` user")
    root = Path(tempfile.mkdtemp(prefix="mianshi-pg-"))
    data = root / "data"
    data.mkdir()
    if os.geteuid() == 0:
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(data, owner.pw_uid, owner.pw_gid)
    port = free_port()
    log = root / "server.log"
    subprocess.run(_as_postgres(str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"),
                   check=True, capture_output=True)
    started = subprocess.run(_as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o",
                                          f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "-w", "start"),
                             capture_output=True, text=True)
    if started.returncode != 0:
        detail = log.read_text(errors="replace")[-3000:] if log.exists() else started.stderr
        raise RuntimeError(f"postgres did not start: {detail}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def new_database(base_url: str) -> str:
    """A fresh, empty database on the server; its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:10]
    with psycopg.connect(base_url + "/postgres", autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return f"{base_url}/{name}"
