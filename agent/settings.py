"""Settings of the interviewer (read only at entry points)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

OFFLINE_EXAMINER = "离线考官（规则评分）"
"""The offline examiner's name (settings, history and reports name examiners in Chinese; see phrasing.backend_label)."""


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MIANSHI_", extra="ignore", populate_by_name=True)

    home: Path = Path("~/.mianshi")
    backend: Literal["auto", "offline", "llm"] = Field(
        default="auto", description="auto：配置了 API Key/地址就用大模型，否则离线考官；offline：始终离线；llm：必须用大模型")
    api_key: str | None = Field(default=None, repr=False, validation_alias=AliasChoices("MIANSHI_API_KEY", "OPENAI_API_KEY"))
    base_url: str | None = Field(default=None, validation_alias=AliasChoices("MIANSHI_BASE_URL", "OPENAI_BASE_URL"))
    database_url: str | None = Field(
        default=None, repr=False,
        description="postgresql://USER:PASS@HOST:PORT/DB：历史、复习计划和面试检查点存入 PostgreSQL；不设则用 MIANSHI_HOME 下的 SQLite")
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    llm_temperature: float = 0.0
    llm_max_tokens: int = Field(default=1024, ge=16, le=32768)

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def llm_configured(self) -> bool:
        return self.backend != "offline" and bool(self.api_key or self.base_url)

    def backend_label(self) -> str:
        if self.llm_configured:
            return f"大模型 {self.llm_model} @ {self.base_url or 'api.openai.com'}"
        return OFFLINE_EXAMINER
