"""Accounts of the web app: a users file with bcrypt-hashed passwords, or a trusted reverse-proxy header.

The file (``mianshi ui --users FILE`` or ``MIANSHI_USERS``; ``mianshi users add NAME`` writes it) has
one account a line, ``name:bcrypt-hash:role`` (role ``user`` or ``admin``); ``#`` starts a comment.
Passwords are never stored, logged or shown — only their bcrypt hashes. An admin sees, besides their
own sessions, aggregates over all users (counts and means), never another user's sessions.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import bcrypt

USER_NAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
Role = Literal["user", "admin"]


class UsersFileError(ValueError):
    """The users file cannot be read or has a malformed line (the message never contains a hash)."""


@dataclass(frozen=True)
class Account:
    name: str
    password_hash: str
    role: Role = "user"

    def __repr__(self) -> str:  # never print the hash
        return f"Account(name={self.name!r}, role={self.role!r})"

    @property
    def admin(self) -> bool:
        return self.role == "admin"


def valid_name(name: str) -> bool:
    return bool(USER_NAME.match(name))


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("密码不能为空")
    return bcrypt.hashpw(password.encode("utf-8")[:72], bcrypt.gensalt()).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8")[:72], password_hash.encode("ascii"))
    except ValueError:
        return False


def read_users(path: Path) -> dict[str, Account]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsersFileError(f"无法读取用户文件 {path}：{exc.strerror or type(exc).__name__}") from None
    accounts: dict[str, Account] = {}
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) not in (2, 3) or not valid_name(parts[0]) or not parts[1].startswith("$2"):
            raise UsersFileError(f"{path} 第 {n} 行格式不对：应为 name:bcrypt-hash[:user|admin]")
        role = parts[2] if len(parts) == 3 else "user"
        if role not in ("user", "admin"):
            raise UsersFileError(f"{path} 第 {n} 行：角色只能是 user 或 admin")
        accounts[parts[0]] = Account(parts[0], parts[1], role)  # type: ignore[arg-type]
    return accounts


def write_users(path: Path, accounts: dict[str, Account]) -> None:
    """Atomically, readable only by the owner."""
    lines = ["# mianshi accounts: name:bcrypt-hash:role (written by `mianshi users add`)"]
    lines += [f"{a.name}:{a.password_hash}:{a.role}" for a in accounts.values()]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


class Authenticator:
    """Gradio's ``auth=`` callable: checks a name and password against the users file (re-read when
    the file changes, so `mianshi users add` takes effect without a restart)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime = -1.0
        self._accounts: dict[str, Account] = {}
        self.accounts()  # a broken file fails at start, not at the first login

    def accounts(self) -> dict[str, Account]:
        mtime = self.path.stat().st_mtime
        if mtime != self._mtime:
            self._accounts, self._mtime = read_users(self.path), mtime
        return self._accounts

    def __call__(self, username: str, password: str) -> bool:
        account = self.accounts().get(username)
        return account is not None and check_password(password, account.password_hash)

    def is_admin(self, username: str | None) -> bool:
        account = self.accounts().get(username or "")
        return account is not None and account.admin


def users_file(explicit: Path | None = None) -> Path:
    """--users, else MIANSHI_USERS, else $MIANSHI_HOME/users.txt."""
    if explicit is not None:
        return explicit
    env = os.environ.get("MIANSHI_USERS")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("MIANSHI_HOME") or "~/.mianshi").expanduser() / "users.txt"
