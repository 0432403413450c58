"""Typed chat messages: one pydantic union keyed on `role` (as inspect_ai's `ChatMessage`), each
convertible to and from the OpenAI chat format that trajectories store.

    msg = parse_message({"role": "tool", "tool_call_id": "c1", "content": "ok"})   # -> ToolMessage
    msg.openai()                                                                  # -> the dict again

Tool calls keep the arguments exactly as the model wrote them (`arguments`, JSON text); a call
whose arguments do not decode is still a message (its `error` says why), never a crash.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter

from clawgym.models import ModelResponse, ToolCall, make_call, parse_text_tool_calls


class ToolCallPart(BaseModel):
    """One tool call of an assistant message."""

    id: str
    name: str
    arguments: str = Field(default="{}", description="JSON text, exactly as the model wrote it.")

    def parsed(self) -> ToolCall:
        """The decoded call (its `error` set when the arguments are not a JSON object)."""
        return make_call(self.name, self.arguments, self.id)

    def openai(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


class SystemMessage(BaseModel):
    role: Literal["system"] = "system"
    content: str

    def openai(self) -> dict[str, Any]:
        return {"role": "system", "content": self.content}


class UserMessage(BaseModel):
    role: Literal["user"] = "user"
    content: str

    def openai(self) -> dict[str, Any]:
        return {"role": "user", "content": self.content}


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None = None
    tool_calls: list[ToolCallPart] = Field(default_factory=list)

    def openai(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = [c.openai() for c in self.tool_calls]
        return msg

    def calls(self) -> list[ToolCall]:
        return [c.parsed() for c in self.tool_calls]

    @classmethod
    def from_text(cls, text: str) -> "AssistantMessage":
        """A raw completion in our text format (`<tool_call>{json}</tool_call>`), parsed the way
        the in-process models parse their own output. A call that is not valid JSON is kept as a
        call named "" whose arguments are the raw text (so it counts as malformed)."""
        content, calls = parse_text_tool_calls(text)
        return cls(content=content or None, tool_calls=[ToolCallPart(id=c.id, name=c.name, arguments=c.arguments)
                                                         for c in calls])

    @classmethod
    def from_response(cls, resp: ModelResponse) -> "AssistantMessage":
        return cls(content=resp.content, tool_calls=[ToolCallPart(id=c.id, name=c.name, arguments=c.arguments)
                                                     for c in resp.tool_calls])


class ToolMessage(BaseModel):
    role: Literal["tool"] = "tool"
    tool_call_id: str
    content: str
    name: str | None = Field(default=None, description="The tool called (not part of the OpenAI record).")
    is_error: bool = Field(default=False, description="The call failed (not part of the OpenAI record).")

    def openai(self) -> dict[str, Any]:
        return {"role": "tool", "tool_call_id": self.tool_call_id, "content": self.content}


ChatMessage = Annotated[Union[SystemMessage, UserMessage, AssistantMessage, ToolMessage], Field(discriminator="role")]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(ChatMessage)


def parse_message(data: dict[str, Any] | BaseModel) -> SystemMessage | UserMessage | AssistantMessage | ToolMessage:
    """A typed message from an OpenAI-format dict (or a typed message, returned as is).

    Accepts what OpenAI-compatible servers and our trajectories write: `content` None or a list
    of text parts, tool calls as `{"id", "type", "function": {"name", "arguments"}}` with the
    arguments as JSON text or as an object."""
    if isinstance(data, (SystemMessage, UserMessage, AssistantMessage, ToolMessage)):
        return data
    if isinstance(data, BaseModel):
        data = data.model_dump()
    msg = dict(data)
    content = msg.get("content")
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        msg["content"] = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if msg.get("role") in ("system", "user", "tool") and msg.get("content") is None:
        msg["content"] = ""
    if msg.get("role") == "assistant":
        calls = []
        for i, c in enumerate(msg.get("tool_calls") or []):
            fn = c.get("function", c)
            args = fn.get("arguments", "{}")
            calls.append({"id": c.get("id") or f"call_{i}", "name": fn.get("name", ""),
                          "arguments": args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)})
        msg["tool_calls"] = calls
    allowed = {"system": ("role", "content"), "user": ("role", "content"),
               "assistant": ("role", "content", "tool_calls"),
               "tool": ("role", "tool_call_id", "content", "name", "is_error")}.get(msg.get("role"), ())
    return _ADAPTER.validate_python({k: v for k, v in msg.items() if k in allowed} if allowed else msg)


def to_openai(messages: list[Any]) -> list[dict[str, Any]]:
    """OpenAI-format dicts from typed messages (dicts pass through unchanged)."""
    return [m if isinstance(m, dict) else m.openai() for m in messages]


def from_openai(messages: list[dict[str, Any]]) -> list[SystemMessage | UserMessage | AssistantMessage | ToolMessage]:
    return [parse_message(m) for m in messages]
