"""Typed chat messages: one pydantic union keyed on `role` (as inspect_ai's `ChatMessage`), each
convertible to and from the OpenAI chat format that trajectories store and servers receive.

    msg = parse_message({"role": "tool", "tool_call_id": "c1", "content": "ok"})   # -> ToolMessage
    msg.openai()                                                                  # -> the dict again

Content is what the OpenAI API allows: a string, or a list of typed parts (text, image_url,
input_audio, file, refusal), kept as sent. A model's renderer sees only text: `text_messages()`
joins a message's text parts (one newline between parts, as vLLM does) before a conversation
reaches `ChatModel.chat`, and refuses a part that is not text, naming where it is.

Tool calls are `ToolCall`s (one type, from `_base`): the arguments exactly as the model wrote
them (JSON text), decoded beside them; a call whose arguments do not decode is still a message
(its `error` says why), never a crash.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from clawgym.models._base import ModelResponse, ToolCall
from clawgym.models._parse import make_call, new_call_id, parse_text_tool_calls

ToolCallPart = ToolCall  # the name agent/ used before the one tool-call type


class TextPart(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ImageUrl(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str
    detail: str | None = None


class ImagePart(BaseModel):
    type: Literal["image_url"] = "image_url"
    image_url: ImageUrl


class AudioPart(BaseModel):
    type: Literal["input_audio"] = "input_audio"
    input_audio: dict[str, Any]


class FilePart(BaseModel):
    type: Literal["file"] = "file"
    file: dict[str, Any]


class RefusalPart(BaseModel):
    type: Literal["refusal"] = "refusal"
    refusal: str


ContentPart = Annotated[Union[TextPart, ImagePart, AudioPart, FilePart, RefusalPart], Field(discriminator="type")]
Content = Union[str, list[ContentPart]]
_PARTS: TypeAdapter[Any] = TypeAdapter(list[ContentPart])


class ChatFormatError(ValueError):
    """A message a text model cannot be given (a non-text content part); the message says where."""


def content_text(content: Content | None, *, where: str = "content") -> str:
    """The text of a message's content: a string as it is, text parts joined by newlines.
    Raises ChatFormatError for a part that is not text (an image, audio, a file)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for j, part in enumerate(content):
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, RefusalPart):
            texts.append(part.refusal)
        else:
            raise ChatFormatError(f"{where}[{j}] is a {part.type!r} part: the models served here read text only; "
                                  "send text parts (or a string)")
    return "\n".join(texts)


def _dump(content: Content | None) -> Any:
    if content is None or isinstance(content, str):
        return content
    return [p.model_dump(exclude_none=True) for p in content]


class SystemMessage(BaseModel):
    role: Literal["system"] = "system"
    content: Content

    @property
    def text(self) -> str:
        return content_text(self.content)

    def openai(self) -> dict[str, Any]:
        return {"role": "system", "content": _dump(self.content)}


class UserMessage(BaseModel):
    role: Literal["user"] = "user"
    content: Content

    @property
    def text(self) -> str:
        return content_text(self.content)

    def openai(self) -> dict[str, Any]:
        return {"role": "user", "content": _dump(self.content)}


def _calls(value: Any) -> list[ToolCall]:
    """Tool calls from any shape we meet: `ToolCall`s, the OpenAI wire form
    `{"id", "type", "function": {"name", "arguments"}}`, or flat `{"id", "name", "arguments"}`,
    arguments as JSON text or as an object; each decoded (`parsed` or `error` set)."""
    out: list[ToolCall] = []
    for i, c in enumerate(value or []):
        if isinstance(c, ToolCall):
            out.append(c if c.parsed is not None or c.error is not None else make_call(c.name, c.arguments, c.id))
            continue
        if not isinstance(c, dict):
            raise ValueError(f"tool_calls[{i}] must be an object, got {type(c).__name__}")
        fn = c.get("function") if isinstance(c.get("function"), dict) else c
        name, args = fn.get("name"), fn.get("arguments", "{}")
        if not isinstance(name, str):
            raise ValueError(f"tool_calls[{i}] has no function name")
        if args is None:
            args = "{}"
        if not isinstance(args, (str, dict)):
            args = json.dumps(args, ensure_ascii=False)
        out.append(make_call(name, args, c.get("id") or new_call_id()))
    return out


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)

    @field_validator("content", mode="before")
    @classmethod
    def _join(cls, value: Any) -> Any:
        """An assistant's parts are text or refusals only (the API allows no other): kept as the
        one string they make, which trajectories and `final_message` hold."""
        if isinstance(value, list):
            parts = _PARTS.validate_python(value)
            return content_text(parts, where="assistant content")
        return value

    @field_validator("tool_calls", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> list[ToolCall]:
        return _calls(value)

    @property
    def text(self) -> str:
        return content_text(self.content)

    def openai(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": _dump(self.content)}
        if self.tool_calls:
            msg["tool_calls"] = [c.openai() for c in self.tool_calls]
        return msg

    def calls(self) -> list[ToolCall]:
        """The tool calls, decoded (a malformed one has `error` set)."""
        return list(self.tool_calls)

    @classmethod
    def from_text(cls, text: str) -> AssistantMessage:
        """A raw completion in our text format (`<tool_call>{json}</tool_call>`), parsed the way
        the in-process models parse their own output. A call that is not valid JSON is kept as a
        call named "" whose arguments are the raw text (so it counts as malformed)."""
        content, calls = parse_text_tool_calls(text)
        return cls(content=content or None, tool_calls=calls)

    @classmethod
    def from_response(cls, resp: ModelResponse) -> AssistantMessage:
        return cls(content=resp.content, tool_calls=resp.tool_calls)


class ToolMessage(BaseModel):
    role: Literal["tool"] = "tool"
    tool_call_id: str
    content: Content
    name: str | None = Field(default=None, description="The tool called (not part of the OpenAI record).")
    is_error: bool = Field(default=False, description="The call failed (not part of the OpenAI record).")

    @property
    def text(self) -> str:
        return content_text(self.content)

    def openai(self) -> dict[str, Any]:
        return {"role": "tool", "tool_call_id": self.tool_call_id, "content": _dump(self.content)}


ChatMessage = Annotated[Union[SystemMessage, UserMessage, AssistantMessage, ToolMessage], Field(discriminator="role")]
AnyMessage = Union[SystemMessage, UserMessage, AssistantMessage, ToolMessage]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(ChatMessage)
_FIELDS = {"system": ("role", "content"), "user": ("role", "content"),
           "assistant": ("role", "content", "tool_calls"),
           "tool": ("role", "tool_call_id", "content", "name", "is_error")}


def parse_message(data: dict[str, Any] | BaseModel) -> AnyMessage:
    """A typed message from an OpenAI-format dict (or a typed message, returned as is).

    Accepts what OpenAI-compatible clients, servers and our trajectories write: `content` a
    string, a list of parts, or None (read as "" where the API requires content); role
    "developer" (OpenAI's newer name for system) as system; tool calls in any shape `_calls`
    reads; keys a role does not have are dropped. Raises pydantic's ValidationError otherwise."""
    if isinstance(data, (SystemMessage, UserMessage, AssistantMessage, ToolMessage)):
        return data
    if isinstance(data, BaseModel):
        data = data.model_dump()
    if not isinstance(data, dict):
        return _ADAPTER.validate_python(data)  # raises: a message must be an object
    msg = dict(data)
    if msg.get("role") == "developer":
        msg["role"] = "system"
    if msg.get("role") in ("system", "user", "tool") and msg.get("content") is None:
        msg["content"] = ""
    allowed = _FIELDS.get(msg.get("role"))  # type: ignore[arg-type]
    return _ADAPTER.validate_python({k: v for k, v in msg.items() if k in allowed} if allowed else msg)


def to_openai(messages: list[Any]) -> list[dict[str, Any]]:
    """OpenAI-format dicts from typed messages (dicts pass through unchanged)."""
    return [m if isinstance(m, dict) else m.openai() for m in messages]


def from_openai(messages: list[dict[str, Any]]) -> list[AnyMessage]:
    return [parse_message(m) for m in messages]


def text_messages(messages: list[Any]) -> list[dict[str, Any]]:
    """The conversation as a text model's renderer takes it: OpenAI-format dicts whose content is
    a string (text parts joined), None only for an assistant turn that only calls tools.
    Raises ChatFormatError naming the first non-text part (`messages[i].content[j]`)."""
    out = []
    for i, m in enumerate(messages):
        typed = parse_message(m)
        msg = typed.openai()
        if typed.content is not None:
            msg["content"] = content_text(typed.content, where=f"messages[{i}].content")
        out.append(msg)
    return out


__all__ = ["AnyMessage", "AssistantMessage", "AudioPart", "ChatFormatError", "ChatMessage", "Content", "ContentPart",
           "FilePart", "ImagePart", "RefusalPart", "SystemMessage", "TextPart", "ToolCallPart", "ToolMessage",
           "UserMessage", "content_text", "from_openai", "parse_message", "text_messages", "to_openai"]
