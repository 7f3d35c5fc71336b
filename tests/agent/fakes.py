"""A scripted chat model (the only fake in the suite, at the chat-model seam).

It follows a script of replies, records what it received, and the test asserts it was used up.
``bind_tools`` returns self so ``create_agent`` can drive it through tool calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field


class ScriptedChatModel(GenericFakeChatModel):
    script: list[Any]
    received: list[list[BaseMessage]] = Field(default_factory=list)
    model_name: str = "scripted"

    def __init__(self, script: Sequence[Any], **kw: Any) -> None:
        super().__init__(messages=iter(()), script=list(script), received=[], **kw)

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.received.append(list(messages))
        if not self.script:
            raise AssertionError("scripted chat model ran out of replies")
        reply = self.script.pop(0)
        if isinstance(reply, Exception):
            raise reply
        message = reply if isinstance(reply, AIMessage) else AIMessage(content=str(reply))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def assert_used_up(self) -> None:
        assert not self.script, f"{len(self.script)} scripted replies were not used"
