"""The settings tab's connection test: the fields the user typed -> agent.llm.check_endpoint (``GET
{base_url}/models`` with a short timeout), after checking the address looks like one. Never raises."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.llm import check_endpoint
from agent.settings import AgentSettings
from ui.web.i18n import Lang, t

ENGLISH: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(a), b) for a, b in (
    (r"^未配置大模型.*", "No LLM is configured: fill in a base URL or an API key (or set OPENAI_API_KEY / OPENAI_BASE_URL)."),
    (r"^API Key 无效或没有权限（401/403）.*", "The API key is invalid or not allowed (401/403): check the key."),
    (r"^连接超时（(?P<s>[^）]+)）.*", r"Timed out (\g<s>): check that the base URL is reachable."),
    (r"^无法连接到 (?P<url>\S+?)：.*", r"Cannot connect to \g<url>: check the address, the network, or that the local server runs."),
    (r"^服务返回错误 (?P<code>\d+)：(?P<detail>.*)", r"The service returned error \g<code>: \g<detail>"),
    (r"^连接失败：(?P<detail>.*)", r"Connection failed: \g<detail>"),
    (r"^连接成功，可用模型：(?P<models>.*?)（注意：列表中没有 (?P<m>.+)）$",
     r"Connected; models: \g<models> (note: \g<m> is not in the list)"),
    (r"^连接成功，可用模型：(?P<models>.*)$", r"Connected; models: \g<models>"),
))
"""The endpoint check's messages (agent.llm says them in Chinese) in English."""


def in_english(message: str) -> str:
    for pattern, replacement in ENGLISH:
        if pattern.match(message):
            return pattern.sub(replacement, message, count=1)
    return message


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
    return ConnectionCheck(ok, in_english(message) if lang == "en" else message)
