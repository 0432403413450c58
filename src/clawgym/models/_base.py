"""The one model interface every agent talks to.

`ChatModel.chat(messages, tools, params, timeout_s=...)` takes OpenAI-format messages and tool
schemas and returns one assistant turn: text, tool calls (raw arguments kept beside the parsed
ones, so a malformed call is data, not a crash), usage, and token ids / logprobs where the model
gives them. `timeout_s` is the caller's remaining deadline: a model must not outlive it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from pydantic import BaseModel, Field

from clawgym.errors import ClawGymError


class ModelError(ClawGymError):
    """The model could not answer (unreachable, timed out, refused): an infrastructure failure."""


class ModelUnavailable(ModelError):
    """A failure worth retrying: HTTP 429/5xx, a timeout, a lost connection, or an answer that
    is not a chat completion. `retry_after_s` is the server's own Retry-After, if it sent one."""

    def __init__(self, message: str, *, retry_after_s: float | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ContextLengthError(ModelError):
    """The conversation no longer fits the model's context window (the agent stops, the
    attempt is scored: this ends a rollout as `context_length`, not as an infrastructure error)."""


class ToolCall(BaseModel):
    id: str
    name: str
    arguments: str = Field(description="The arguments exactly as the model wrote them (JSON text).")
    parsed: dict[str, Any] | None = Field(default=None, description="Decoded arguments, if valid.")
    error: str | None = Field(default=None, description="Why the call could not be decoded.")

    def openai(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function",
                "function": {"name": self.name, "arguments": self.arguments}}


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ModelResponse(BaseModel):
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    finish_reason: str | None = None
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    prompt_token_ids: list[int] | None = None

    def message(self) -> dict[str, Any]:
        """The assistant message in OpenAI chat format."""
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = [c.openai() for c in self.tool_calls]
        return msg


class SamplingParams(BaseModel):
    """Passed through to the model as given; None means the server's own default."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop: list[str] | None = None
    logprobs: bool = False

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, exclude={"logprobs"})


class ChatModel(ABC):
    """A chat model. Implementations: openai, hf, smollm2, scripted (see `load_model`)."""

    name: str = "model"

    @abstractmethod
    def chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None,
             params: SamplingParams | None = None, *, timeout_s: float | None = None) -> ModelResponse:
        """One assistant turn. Raises ModelError when the model cannot answer at all.

        `timeout_s`: the most seconds this call may take, retries included (the caller's
        remaining deadline); None means the model's own limit. Wrappers must pass it on."""

    def config(self) -> dict[str, Any]:
        """What to record about this model in a trajectory. Never secrets."""
        return {"kind": type(self).__name__, "name": self.name}

    def close(self) -> None:
        """Release resources (connections, memory)."""
