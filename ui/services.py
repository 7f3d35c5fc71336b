"""Construct the facades from settings (entry points only) — shared by the CLI and the web app.

Settings come from the environment (``MIANSHI_*``, ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``) and, for
the LLM endpoint, from ``$MIANSHI_HOME/config.toml``, which the web app's 设置 tab writes::

    [llm]
    base_url = "http://127.0.0.1:8080/v1"
    model = "qwen2.5-7b-instruct"
    api_key = "sk-…"

An environment variable always wins over the file. The file is read here, when a facade is built, so
a saved change takes effect with the next :func:`fresh_interviewer` (no restart).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.interviewer import Interviewer
    from agent.settings import AgentSettings

CONFIG_FILE = "config.toml"
ENV_NAMES: dict[str, tuple[str, ...]] = {
    "base_url": ("MIANSHI_BASE_URL", "OPENAI_BASE_URL"),
    "api_key": ("MIANSHI_API_KEY", "OPENAI_API_KEY"),
    "llm_model": ("MIANSHI_LLM_MODEL",),
}
"""AgentSettings field -> the environment variables that set it (and take precedence over the file)."""


class ConfigError(ValueError):
    """config.toml cannot be read or written; the message says which file and why."""


@dataclass(frozen=True)
class LLMConfig:
    """The saved LLM endpoint (empty strings: not saved)."""

    base_url: str = ""
    model: str = ""
    api_key: str = ""

    def masked_key(self) -> str:
        """The saved key for display: never more than its last four characters."""
        key = self.api_key
        if not key:
            return ""
        return "••••" + key[-4:] if len(key) > 8 else "••••"


def home_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("MIANSHI_HOME") or "~/.mianshi").expanduser()


def config_path(home: Path | None = None) -> Path:
    return (home or home_dir()) / CONFIG_FILE


def read_config(path: Path) -> LLMConfig:
    """The saved endpoint; a missing file is no configuration, a broken one is a :class:`ConfigError`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return LLMConfig()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    llm = data.get("llm", {})
    if not isinstance(llm, dict):
        raise ConfigError(f"{path}: [llm] must be a table")
    return LLMConfig(**{k: str(llm.get(k) or "").strip() for k in ("base_url", "model", "api_key")})


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def write_config(path: Path, config: LLMConfig) -> None:
    """Write config.toml atomically, readable only by its owner (it may hold an API key)."""
    lines = ["# mianshi settings (written by the web app's 设置 tab). Environment variables take precedence.",
             "[llm]"]
    lines += [f"{key} = {_toml_string(value)}" for key, value in
              (("base_url", config.base_url), ("model", config.model), ("api_key", config.api_key)) if value]
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from exc


def env_overrides(environ: Mapping[str, str] | None = None) -> list[str]:
    """The environment variables that are set and so win over config.toml."""
    env = os.environ if environ is None else environ
    return [name for names in ENV_NAMES.values() for name in names if env.get(name)]


def agent_settings(environ: Mapping[str, str] | None = None) -> AgentSettings:
    """AgentSettings from the environment, with the endpoint saved in config.toml where the environment
    sets none of it. A broken config.toml is ignored here (the 设置 tab reports it)."""
    from agent.settings import AgentSettings

    env = os.environ if environ is None else environ
    settings = AgentSettings()
    try:
        saved = read_config(config_path(settings.home_dir))
    except ConfigError:
        return settings
    fields = {"base_url": saved.base_url, "api_key": saved.api_key, "llm_model": saved.model}
    chosen = {k: v for k, v in fields.items() if v and not any(env.get(n) for n in ENV_NAMES[k])}
    return settings.model_copy(update=chosen) if chosen else settings


@lru_cache(maxsize=1)
def interviewer() -> Interviewer:
    from agent.interviewer import Interviewer
    from knowledge.kb import KnowledgeBase
    from knowledge.settings import KnowledgeSettings

    return Interviewer(KnowledgeBase(KnowledgeSettings()), agent_settings())


def fresh_interviewer() -> Interviewer:
    """A new facade, reading the settings again (after config.toml or the bank changed)."""
    interviewer.cache_clear()
    return interviewer()

