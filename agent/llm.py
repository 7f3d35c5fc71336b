"""The only place a chat model is constructed: langchain-openai ChatOpenAI against any
OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen/DashScope, Ollama, vLLM, llama.cpp server).

Timeouts and retries come from settings; the openai client retries 429/5xx/connection errors
with exponential backoff (MIANSHI_LLM_MAX_RETRIES times).
"""

from __future__ import annotations

from typing import Any

from langchain_openai import ChatOpenAI

from agent.settings import AgentSettings


class CompatChatOpenAI(ChatOpenAI):
    """ChatOpenAI for any OpenAI-compatible server: never sends ``content: null`` (llama.cpp's server
    rejects it), and outside api.openai.com sends ``max_tokens`` — llama.cpp, vLLM, Ollama and others
    ignore langchain's ``max_completion_tokens`` and would generate to the end of the context."""

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        for message in payload.get("messages", []):
            if message.get("content") is None:
                message["content"] = ""
        base = str(self.openai_api_base or "")
        if base and "api.openai.com" not in base and "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        return payload


def make_chat_model(settings: AgentSettings, streaming: bool = False) -> ChatOpenAI:
    return CompatChatOpenAI(
        model=settings.llm_model,
        base_url=settings.base_url,
        api_key=settings.api_key or "not-needed",  # type: ignore[arg-type]
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]
        streaming=streaming,
    )


def check_endpoint(settings: AgentSettings, timeout: float = 10.0) -> tuple[bool, str]:
    """Ask the endpoint for its models: (ok, a message in Chinese saying what happened and what to do)."""
    if not (settings.base_url or settings.api_key):
        return False, "未配置大模型：设置 OPENAI_API_KEY（以及可选的 OPENAI_BASE_URL、MIANSHI_LLM_MODEL）后重试。"
    from openai import APIConnectionError, APIStatusError, APITimeoutError, AuthenticationError, OpenAI

    client = OpenAI(base_url=settings.base_url, api_key=settings.api_key or "not-needed", timeout=timeout, max_retries=0)
    try:
        models = [m.id for m in client.models.list().data]
    except AuthenticationError:
        return False, "API Key 无效或没有权限（401/403）：检查 OPENAI_API_KEY。"
    except APITimeoutError:
        return False, f"连接超时（{timeout:g}s）：检查 OPENAI_BASE_URL 是否可达。"
    except APIConnectionError:
        return False, f"无法连接到 {settings.base_url or 'api.openai.com'}：检查地址、网络或本地服务是否已启动。"
    except APIStatusError as exc:
        return False, f"服务返回错误 {exc.status_code}：{str(exc)[:200]}"
    except Exception as exc:  # any other failure is reported, never raised into the UI
        return False, f"连接失败：{type(exc).__name__}: {str(exc)[:200]}"
    shown = "、".join(models[:5]) + ("…" if len(models) > 5 else "")
    note = "" if settings.llm_model in models or not models else f"（注意：列表中没有 {settings.llm_model}）"
    return True, f"连接成功，可用模型：{shown}{note}"
