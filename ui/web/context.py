"""What the web callbacks are given: how to get the interviewer facade, where to write downloads, and
the relabelling registry. Holds no interview state (that lives in each browser session)."""

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
from ui.web.i18n import Lang, lang_of, t

log = logging.getLogger("mianshi.web")

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def valid_session_id(value: object) -> str | None:
    """A session id read back from the browser (which anyone can edit), or None when it is not one."""
    return value if isinstance(value, str) and SESSION_ID.match(value) else None


@dataclass
class WebContext:
    interviewer: Callable[[], Interviewer] = services.interviewer
    """The shared facade (it locks around each turn; per-session state lives in its SQLite files)."""
    refresh: Callable[[], Interviewer] = services.fresh_interviewer
    """A new facade after the bank changed (documents added)."""
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "mianshi-web")
    """Downloads (reports, batch results); inside the temp dir, which Gradio may serve."""
    bank_lock: threading.Lock = field(default_factory=threading.Lock)
    """One bank change at a time."""

    def session_dir(self, session_id: str) -> Path:
        path = self.work_dir / "sessions" / session_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def batch_dir(self) -> Path:
        root = self.work_dir / "batch"
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="run-", dir=root))

    def browser_secret(self) -> str:
        """The key that obfuscates the session id kept in the browser; stored under MIANSHI_HOME so a
        refresh still resumes after the server restarts."""
        try:
            path = self.interviewer().settings.home_dir / "web_secret"
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
