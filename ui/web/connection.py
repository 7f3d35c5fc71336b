"""The settings tab's connection test: the fields the user typed -> agent.llm.check_endpoint (``GET
{base_url}/models`` with a short timeout), after checking the address looks like one. Never raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.llm import check_endpoint
from agent.settings import AgentSettings
from ui.web.i18n import Lang, t


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def check_connection(base_url: str | None, api_key: str | None, model: str | None = None, timeout: float = 5.0,
                     lang: Lang = "zh") -> ConnectionCheck:
    url = (base_url or "").strip()
    if url and not url.lower().startswith(("http://", "https://")):
        return ConnectionCheck(False, t("conn_bad_url", lang, url=url))
    fields: dict[str, Any] = {"backend": "llm"}
    if url:
        fields["base_url"] = url
    if (api_key or "").strip():
        fields["api_key"] = (api_key or "").strip()  # empty: the environment's key, if any
    if (model or "").strip():
        fields["llm_model"] = (model or "").strip()
    try:
        ok, message = check_endpoint(AgentSettings(**fields), timeout=timeout)
    except Exception as exc:  # settings validation or anything unexpected: a message, not a crash
        return ConnectionCheck(False, t("conn_failed", lang, detail=f"{type(exc).__name__}: {exc}"[:200]))
    return ConnectionCheck(ok, message)
