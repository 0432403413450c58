"""The OpenAI chat-completions wire format, both ways, for every server we run.

`clawgym serve` and the OpenClaw front (agent/_openclaw.py) read requests and write answers
through this one module, so they accept the same requests, answer the same statuses and stream
the same chunks:

- `parse_request(body)`: a request body to typed messages, tools and `SamplingParams`
  (`max_tokens` or `max_completion_tokens`); anything that does not fit is a `RequestError`
  (status 400, saying where), never a server error.
- `render_completion(resp, ...)` / `render_stream(resp, ...)`: a `ModelResponse` as one JSON
  completion, or as server-sent events (role and content, one delta per tool call, the finish
  reason, the usage when `stream_options.include_usage` asks, then `[DONE]`).
- `error_status(exc)` / `error_body(...)`: a model failure as the status a client can act on:
  400 `context_length_exceeded`, 503 for a retryable `ModelUnavailable` (with Retry-After), 502
  for any other `ModelError`.
- `read_answer(data)`: the assistant message, finish reason and usage back from an answer,
  streamed or not (what the OpenClaw front records of a relayed answer).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clawgym.models._base import ContextLengthError, ModelError, ModelResponse, ModelUnavailable, SamplingParams
from clawgym.models._chat import AnyMessage, ChatFormatError, parse_message, text_messages


class RequestError(ValueError):
    """A request that does not fit the API: the client's error (HTTP 400), saying where."""

    status = 400


class _StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: Optional[bool] = None


class _Wire(BaseModel):
    """The request fields we read, checked; others (tool_choice "auto", store, metadata, ...) are
    accepted and ignored, as OpenAI-compatible servers do."""

    model_config = ConfigDict(extra="allow")
    model: Optional[str] = None
    messages: list[dict[str, Any]] = Field(min_length=1)
    tools: Optional[list[dict[str, Any]]] = None
    tool_choice: Union[str, dict[str, Any], None] = None
    temperature: Optional[float] = Field(default=None, ge=0)
    top_p: Optional[float] = Field(default=None, gt=0, le=1)
    max_tokens: Optional[int] = Field(default=None, ge=1)
    max_completion_tokens: Optional[int] = Field(default=None, ge=1)
    seed: Optional[int] = None
    stop: Union[str, list[str], None] = None
    n: Optional[int] = Field(default=None, ge=1, le=1)
    logprobs: Optional[bool] = None
    stream: Optional[bool] = None
    stream_options: Optional[_StreamOptions] = None


class ChatRequest(BaseModel):
    """A chat-completions request, read."""

    model: Optional[str] = None
    messages: list[AnyMessage]
    tools: Optional[list[dict[str, Any]]] = None
    params: SamplingParams = Field(default_factory=SamplingParams)
    stream: bool = False
    include_usage: bool = False

    def text_messages(self) -> list[dict[str, Any]]:
        """The messages as a text model takes them (text parts joined); RequestError for a part
        that is not text."""
        try:
            return text_messages(self.messages)
        except ChatFormatError as exc:
            raise RequestError(f"bad request: {exc}") from None


def _problem(exc: ValidationError, prefix: str = "") -> str:
    problem = exc.errors()[0]
    where = prefix + ".".join(str(p) for p in problem["loc"])
    return f"bad request{' at ' + where if where else ''}: {problem['msg']}"


def parse_request(body: bytes | str | dict[str, Any]) -> ChatRequest:
    """Read a chat-completions request body. Raises RequestError saying where it does not fit."""
    try:
        wire = _Wire.model_validate(body) if isinstance(body, dict) else _Wire.model_validate_json(body)
    except ValidationError as exc:
        raise RequestError(_problem(exc)) from None
    messages = []
    for i, m in enumerate(wire.messages):
        try:
            messages.append(parse_message(m))
        except ValidationError as exc:
            raise RequestError(_problem(exc, f"messages.{i}.")) from None
        except ValueError as exc:
            raise RequestError(f"bad request at messages.{i}: {exc}") from None
    tools = wire.tools or None
    if wire.tool_choice == "none":
        tools = None
    params = SamplingParams(temperature=wire.temperature, top_p=wire.top_p,
                            max_tokens=wire.max_tokens or wire.max_completion_tokens, seed=wire.seed,
                            stop=[wire.stop] if isinstance(wire.stop, str) else wire.stop,
                            logprobs=bool(wire.logprobs))
    return ChatRequest(model=wire.model, messages=messages, tools=tools, params=params, stream=bool(wire.stream),
                       include_usage=bool(wire.stream_options and wire.stream_options.include_usage))


def _usage(resp: ModelResponse) -> dict[str, int]:
    return {"prompt_tokens": resp.usage.prompt_tokens, "completion_tokens": resp.usage.completion_tokens,
            "total_tokens": resp.usage.total}


def finish_reason(resp: ModelResponse) -> str:
    return resp.finish_reason or ("tool_calls" if resp.tool_calls else "stop")


def _head(model: str) -> dict[str, Any]:
    return {"id": "chatcmpl-" + uuid.uuid4().hex[:24], "created": int(time.time()), "model": model}


def render_completion(resp: ModelResponse, *, model: str, logprobs: bool = False) -> dict[str, Any]:
    """The answer as one JSON chat completion."""
    choice: dict[str, Any] = {"index": 0, "message": resp.message(), "finish_reason": finish_reason(resp)}
    if logprobs and resp.logprobs is not None:
        tokens = [str(t) for t in resp.token_ids] if resp.token_ids else [""] * len(resp.logprobs)
        choice["logprobs"] = {"content": [{"token": t, "logprob": lp, "bytes": None, "top_logprobs": []}
                                          for t, lp in zip(tokens, resp.logprobs)]}
    return {**_head(model), "object": "chat.completion", "choices": [choice], "usage": _usage(resp)}


def render_chunks(resp: ModelResponse, *, model: str, include_usage: bool = False) -> list[dict[str, Any]]:
    """The answer as chat.completion.chunk objects: the role and content, one delta per tool call
    (index, id, name and the whole arguments), the finish reason, then the usage (a chunk with
    no choices) when asked, as OpenAI streams it."""
    head = {**_head(model), "object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": resp.content or ""})]
    for i, c in enumerate(resp.tool_calls):
        out.append(chunk({"tool_calls": [{"index": i, "id": c.id, "type": "function",
                                          "function": {"name": c.name, "arguments": c.arguments}}]}))
    out.append(chunk({}, finish_reason(resp)))
    if include_usage:
        out.append({**head, "choices": [], "usage": _usage(resp)})
    return out


def sse(items: list[dict[str, Any]]) -> bytes:
    """Server-sent events: one `data:` line per chunk, then `data: [DONE]`."""
    return b"".join(b"data: " + json.dumps(c, ensure_ascii=False).encode() + b"\n\n" for c in items) + \
        b"data: [DONE]\n\n"


def render_stream(resp: ModelResponse, *, model: str, include_usage: bool = False) -> bytes:
    """The answer as a complete server-sent-events body."""
    return sse(render_chunks(resp, model=model, include_usage=include_usage))


def error_status(exc: Exception) -> int:
    """The HTTP status for a failure: 400 for the client's (a bad request, a conversation past the
    context window), 503 for a model worth retrying, 502 for any other model failure."""
    if isinstance(exc, (RequestError, ContextLengthError)):
        return 400
    if isinstance(exc, ModelUnavailable):
        return 503
    return 502


def error_body(status: int, message: str, *, code: str | None = None) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "code": code}}


def error_for(exc: Exception) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, body, headers) answering a failure."""
    status = error_status(exc)
    code = "context_length_exceeded" if isinstance(exc, ContextLengthError) else None
    message = str(exc) if isinstance(exc, RequestError) else f"model error: {exc}"
    headers = {}
    retry = getattr(exc, "retry_after_s", None)
    if status == 503 and retry is not None:
        headers["Retry-After"] = str(max(0, round(retry)))
    return status, error_body(status, message, code=code), headers


def read_answer(data: bytes) -> dict[str, Any]:
    """The assistant message, finish reason and usage of a chat-completions answer, streamed
    (server-sent events) or not. Never raises: what cannot be read is kept as `unparsed`."""
    text = data.decode("utf-8", "replace")
    if not text.lstrip().startswith(("data:", "event:", ":")):
        try:
            body = json.loads(text)
            choice = (body.get("choices") or [{}])[0]
            return {"message": choice.get("message") or {}, "finish_reason": choice.get("finish_reason"),
                    "usage": body.get("usage")}
        except (ValueError, AttributeError):
            return {"message": {"role": "assistant", "content": None}, "unparsed": text[:2000]}
    content: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish, usage = None, None
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("data:"):
            continue
        item = line[5:].strip()
        if item == "[DONE]":
            break
        try:
            chunk = json.loads(item)
        except ValueError:
            continue
        if not isinstance(chunk, dict):
            continue
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                content.append(delta["content"])
            for key in ("reasoning_content", "reasoning"):
                if isinstance(delta.get(key), str):
                    reasoning.append(delta[key])
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(int(tc.get("index", len(calls))),
                                        {"id": None, "type": "function", "function": {"name": "", "arguments": ""}})
                if tc.get("id"):
                    slot["id"] = tc["id"]
                fn = tc.get("function") or {}
                slot["function"]["name"] += fn.get("name") or ""
                slot["function"]["arguments"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    joined = "".join(content)
    msg: dict[str, Any] = {"role": "assistant", "content": joined or None}
    if reasoning:
        msg["reasoning_content"] = "".join(reasoning)
    if calls:
        msg["tool_calls"] = [calls[i] for i in sorted(calls)]
    return {"message": msg, "finish_reason": finish, "usage": usage}


__all__ = ["ChatRequest", "RequestError", "error_body", "error_for", "error_status", "finish_reason",
           "parse_request", "read_answer", "render_chunks", "render_completion", "render_stream", "sse"]
