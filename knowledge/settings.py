"""Settings of the knowledge base (read only at entry points; constructors do no I/O)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KnowledgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MIANSHI_", extra="ignore")

    home: Path = Field(default=Path("~/.mianshi"), description="数据目录：题库、向量库、历史记录")
    chroma_url: str | None = Field(default=None, description="Chroma 服务地址，如 http://127.0.0.1:8000；为空则用内嵌库")
    embedding_backend: Literal["e5", "openai"] = "e5"
    embedding_model: str = "text-embedding-3-small"
    embedding_base_url: str | None = None
    max_doc_mb: float = 20.0
    match_threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="题目匹配置信度低于此值时视为未匹配")

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()
