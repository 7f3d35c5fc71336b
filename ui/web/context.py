"""What the web callbacks are given: how to get the interviewer facade, where to write downloads, and
the relabelling registry. Holds no interview state (that lives in each browser session).

Who is asking: every callback calls ``ctx.interviewer()``, which returns the facade bound to the user of
the Gradio request being served (``gr.Request.username`` with ``--users``, the trusted proxy header with
MIANSHI_TRUSTED_USER_HEADER, else the single default user), so no callback can read another user's
sessions, history or review queue."""

from __future__ import annotations

import logging
import re
import secrets
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.interviewer import Interviewer
from ui import services
from ui.users import valid_name
from ui.web.i18n import Lang, lang_of, t

log = logging.getLogger("mianshi.web")

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def valid_session_id(value: object) -> str | None:
    """A session id read back from the browser (which anyone can edit), or None when it is not one."""
    return value if isinstance(value, str) and SESSION_ID.match(value) else None


class NotSignedIn(PermissionError):
    """The trusted proxy header is missing from a request (or names no valid user)."""


def request_user(request: Any, trusted_header: str | None) -> str | None:
    """The user a Gradio request speaks for: its header (behind a trusted proxy) or its login name."""
    if request is None:
        return None
    if trusted_header:
        headers = getattr(request, "headers", None) or {}
        name = str(headers.get(trusted_header.lower()) or headers.get(trusted_header) or "").strip()
        if not name or not valid_name(name):
            raise NotSignedIn(trusted_header)
        return name
    login = getattr(request, "username", None)
    return str(login) if login else None


def current_request() -> Any:
    """The request of the Gradio event being served in this thread (None outside an event)."""
    try:
        from gradio.context import LocalContext
    except ImportError:  # pragma: no cover
        return None
    return LocalContext.request.get(None)


@dataclass
class WebContext:
    interviewer: Callable[[], Interviewer] = services.interviewer
    """The facade bound to the user of the current request (see the module doc). The shared facade it
    wraps locks around each turn; per-session state lives in its database."""
    refresh: Callable[[], Interviewer] = services.fresh_interviewer
    """A new facade after the bank changed (documents added)."""
    default_user: str | None = None
    """The user of a request without a login (None: the facade's own, the OS user)."""
    trusted_header: str | None = None
    """MIANSHI_TRUSTED_USER_HEADER: the header a trusted reverse proxy sets to the signed-in user."""
    admins: Callable[[str], bool] = lambda _name: False
    """Whether a user has the admin role (may see aggregates over all users)."""
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "mianshi-web")
    """Downloads (reports, batch results); inside the temp dir, which Gradio may serve."""
    bank_lock: threading.Lock = field(default_factory=threading.Lock)
    """One bank change at a time."""

    def __post_init__(self) -> None:
        shared, fresh = self.interviewer, self.refresh
        self.shared_interviewer = shared
        self.interviewer = lambda: self._bind(shared())
        self.refresh = lambda: self._bind(fresh())

    def user(self) -> str | None:
        """The user of the request being served (None: the default user)."""
        return request_user(current_request(), self.trusted_header) or self.default_user

    def is_admin(self) -> bool:
        name = self.user()
        return name is not None and self.admins(name)

    def may_change_shared(self) -> bool:
        """What every user shares (the server's LLM settings, the question bank): without sign-in (one local
        user) anyone here may change it; with accounts or a trusted proxy only an admin."""
        try:
            return self.user() is None or self.is_admin()
        except PermissionError:
            return False

    def _bind(self, iv: Interviewer) -> Interviewer:
        name = self.user()
        return iv.for_user(name) if name else iv

    def session_dir(self, session_id: str) -> Path:
        """A fresh directory for a session's downloads, with an unguessable name (the files are served
        by path: another user must not reach them by guessing a session id)."""
        root = self.work_dir / "sessions"
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{session_id}-", dir=root))

    def batch_dir(self) -> Path:
        root = self.work_dir / "batch"
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="run-", dir=root))

    def browser_secret(self) -> str:
        """The key that obfuscates the session id kept in the browser; stored under MIANSHI_HOME so a
        refresh still resumes after the server restarts."""
        try:
            path = self.shared_interviewer().settings.home_dir / "web_secret"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(secrets.token_hex(16), encoding="utf-8")
                path.chmod(0o600)
            return path.read_text(encoding="utf-8").strip()
        except OSError:
            return secrets.token_hex(16)


def error_text(exc: BaseException, lang: Lang) -> str:
    log.exception("web callback failed", exc_info=exc)
    return t("error", lang, error=f"{type(exc).__name__}: {exc}")


class Relabel:
    """Components whose label, value or placeholder changes with the language radio."""

    def __init__(self) -> None:
        self.entries: dict[int, tuple[Any, dict[str, str]]] = {}

    def __call__(self, component: Any, key: str, attr: str = "label") -> Any:
        self.entries.setdefault(id(component), (component, {}))[1][attr] = key
        return component

    @property
    def components(self) -> list[Any]:
        return [c for c, _ in self.entries.values()]

    def updates(self, lang_choice: str) -> list[dict[str, Any]]:
        import gradio as gr

        lang = lang_of(lang_choice)
        updates = []
        for _, attrs in self.entries.values():
            values: dict[str, Any] = {attr: t(key, lang) for attr, key in attrs.items()}
            updates.append(gr.update(**values))
        return updates
