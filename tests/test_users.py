"""Accounts: the users file (bcrypt hashes, never the password), `mianshi users add` (the password is
prompted, not echoed), the Gradio authenticator, and who a web request speaks for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ui.users import Account, Authenticator, UsersFileError, hash_password, read_users, write_users
from ui.web.context import NotSignedIn, request_user

ROOT = Path(__file__).resolve().parent.parent


def test_users_file_round_trip_and_authenticator(tmp_path: Path) -> None:
    path = tmp_path / "users.txt"
    write_users(path, {"alice": Account("alice", hash_password("pw-Alice-1"), "admin"),
                       "bob": Account("bob", hash_password("pw-Bob-2"))})
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    text = path.read_text()
    assert "pw-Alice-1" not in text and "pw-Bob-2" not in text and "$2" in text
    auth = Authenticator(path)
    assert auth("alice", "pw-Alice-1") and auth("bob", "pw-Bob-2")
    assert not auth("alice", "pw-Bob-2") and not auth("carol", "x") and not auth("bob", "")
    assert auth.is_admin("alice") and not auth.is_admin("bob") and not auth.is_admin(None)
    assert "$2" not in repr(read_users(path)["alice"])
    path.write_text("alice:not-a-hash\n")
    with pytest.raises(UsersFileError) as info:
        read_users(path)
    assert "not-a-hash" not in str(info.value)


def test_users_add_prompts_without_echo(tmp_path: Path) -> None:
    path = tmp_path / "u.txt"
    env = {**os.environ, "MIANSHI_HOME": str(tmp_path)}
    res = subprocess.run([sys.executable, "-m", "ui.cli", "users", "add", "dora", "--file", str(path)],
                         input="Secret-Pw-55\nSecret-Pw-55\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Secret-Pw-55" not in res.stdout + res.stderr
    assert Authenticator(path)("dora", "Secret-Pw-55")
    listed = subprocess.run([sys.executable, "-m", "ui.cli", "users", "list", "--file", str(path)],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert "dora" in listed.stdout and "$2" not in listed.stdout


def test_request_user() -> None:
    assert request_user(None, None) is None
    assert request_user(SimpleNamespace(username="alice", headers={}), None) == "alice"
    assert request_user(SimpleNamespace(username=None, headers={}), None) is None
    sso = SimpleNamespace(username=None, headers={"x-forwarded-user": "erin@example.org"})
    assert request_user(sso, "X-Forwarded-User") == "erin@example.org"
    for headers in ({}, {"x-forwarded-user": "../../etc"}):
        with pytest.raises(NotSignedIn):
            request_user(SimpleNamespace(username="alice", headers=headers), "X-Forwarded-User")
