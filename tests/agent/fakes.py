"""A scripted chat model (the only fake in the suite, at the chat-model seam).

It follows a script of replies, records what it received, and the test asserts it was used up.
``bind_tools`` returns self so ``create_agent`` can drive it through tool calls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field


class ScriptedChatModel(GenericFakeChatModel):
    script: list[Any]
    received: list[list[BaseMessage]] = Field(default_factory=list)
    model_name: str = "scripted"
    stream_delay: float = 0.0
    streamed: list[str] = Field(default_factory=list)

    def __init__(self, script: Sequence[Any], **kw: Any) -> None:
        super().__init__(messages=iter(()), script=list(script), received=[], streamed=[], **kw)

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

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        """A text reply streams a few characters at a time (``stream_delay`` seconds apart), as a real server does."""
        result = self._generate(messages, stop, run_manager, **kwargs)
        message = result.generations[0].message
        text = message.content if isinstance(message.content, str) else ""
        if not text or getattr(message, "tool_calls", None):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text, tool_calls=getattr(message, "tool_calls", [])))
            return
        for n in range(0, len(text), 3):
            if self.stream_delay:
                time.sleep(self.stream_delay)
            self.streamed.append(text[n:n + 3])
            yield ChatGenerationChunk(message=AIMessageChunk(content=text[n:n + 3]))

    def assert_used_up(self) -> None:
        assert not self.script, f"{len(self.script)} scripted replies were not used"


def tool_call(name: str, n: int) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": {}, "id": f"call{n}", "type": "tool_call"}])


def follow_up_script(item: Any, phrase: Any) -> tuple[list[Any], Any]:
    """The replies of an LLM turn that ends in a follow-up: the agent grades through its tool (the first
    key point covered, the rest missed), plans, says something (never shown), and then words the
    follow-up as ``phrase(point)`` for the point the policy probes (the heaviest missed one)."""
    import json

    kps = item.key_points
    target = sorted(kps[1:], key=lambda k: -k.weight)[0]
    grade = {"score": 4.0, "key_points": [{"id": kps[0].id, "verdict": "covered", "evidence": ""}]
             + [{"id": k.id, "verdict": "missed", "evidence": ""} for k in kps[1:]],
             "misconceptions": [], "flags": [], "feedback": ""}
    return [tool_call("grade_answer", 1), json.dumps(grade, ensure_ascii=False), tool_call("plan_follow_up", 2), "好的",
            phrase(target)], target
