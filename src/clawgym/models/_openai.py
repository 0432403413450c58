"""Any OpenAI-compatible chat endpoint (vLLM, SGLang, llama.cpp server, hosted APIs).

A model that cannot answer is the infrastructure's fault, never the agent's: an HTTP error, a
timeout, a refused connection, and equally a 200 whose body is not a chat completion (a
truncated JSON body, `"message": null`, a proxy's HTML page) raise `ModelUnavailable`, and
are retried. Retries are ours (tenacity), not the client's, so that one bound holds over all of
them: a call costs at most `total_timeout_s`, or less when the caller's own deadline (the
agent's `--timeout`) comes first. A server's `Retry-After` is honoured, capped. The API key
never leaves the client: not in `config()`, not in any error message.
"""

from __future__ import annotations

import email.utils
import random
import time
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_before_delay

from clawgym import settings
from clawgym.models._base import ChatModel, ModelError, ModelResponse, ModelUnavailable, SamplingParams, Usage
from clawgym.models._parse import make_call, parse_text_tool_calls

_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


# The wire shape we rely on, checked strictly: anything else is a malformed answer.
class _Function(BaseModel):
    name: str
    arguments: str | dict[str, Any] | None = None


class _WireCall(BaseModel):
    id: str | None = None
    function: _Function


class _WireMessage(BaseModel):
    content: str | None = None
    tool_calls: list[_WireCall] | None = None


class _TokenLogprob(BaseModel):
    logprob: float


class _Logprobs(BaseModel):
    content: list[_TokenLogprob] | None = None


class _Choice(BaseModel):
    message: _WireMessage
    finish_reason: str | None = None
    logprobs: _Logprobs | None = None


class _Usage(BaseModel):
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0


class _Completion(BaseModel):
    choices: list[_Choice] = Field(min_length=1)
    usage: _Usage | None = None


class OpenAIModel(ChatModel):
    """`openai:NAME`. Timeouts: `request_timeout_s` bounds one HTTP request, `total_timeout_s`
    one `chat()` call with all its retries; `retry_after_cap_s` caps a server's Retry-After."""

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 request_timeout_s: float = 120.0, total_timeout_s: float = 600.0,
                 max_attempts: int = 8, backoff_s: float = 0.5, retry_after_cap_s: float = 30.0):
        import openai

        if request_timeout_s <= 0 or total_timeout_s <= 0:
            raise ValueError(f"model timeouts must be positive, got request {request_timeout_s:g}s, "
                             f"total {total_timeout_s:g}s")
        self.name = model
        env = settings.current()  # OPENAI_BASE_URL, OPENAI_API_KEY
        self.base_url = base_url or env.openai_base_url or "https://api.openai.com/v1"
        self._key = api_key or (env.openai_api_key.get_secret_value() if env.openai_api_key else "") or "EMPTY"
        self.request_timeout_s, self.total_timeout_s = request_timeout_s, total_timeout_s
        self.max_attempts, self.backoff_s, self.retry_after_cap_s = max_attempts, backoff_s, retry_after_cap_s
        self._client = openai.OpenAI(base_url=self.base_url, api_key=self._key, max_retries=0,
                                     timeout=request_timeout_s)

    def config(self) -> dict[str, Any]:
        return {"kind": "openai", "name": self.name, "base_url": self.base_url}

    def _redact(self, text: str) -> str:
        if self._key and self._key != "EMPTY":
            text = text.replace(self._key, "***")
        return text

    def chat(self, messages, tools=None, params: SamplingParams | None = None, *,
             timeout_s: float | None = None) -> ModelResponse:
        params = params or SamplingParams()
        # messages and tools go in as the JSON they already are: the client's type-driven
        # transform walks every message on every call (8.5 ms of CPU for a 10-turn history,
        # against 3.6 ms this way), which caps how many rollouts one process can drive.
        body: dict[str, Any] = {"messages": messages, **({"tools": tools} if tools else {})}
        kwargs: dict[str, Any] = {"model": self.name, "messages": [], "extra_body": body, **params.given()}
        if params.logprobs:
            kwargs["logprobs"] = True
        budget = self.total_timeout_s if timeout_s is None else max(0.0, min(self.total_timeout_s, timeout_s))
        deadline = time.monotonic() + budget
        retrying = Retrying(retry=retry_if_exception_type(ModelUnavailable),
                            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(budget),
                            wait=self._pause, reraise=True)
        try:
            return retrying(self._once, kwargs, deadline)
        except ModelUnavailable as exc:
            tries = retrying.statistics.get("attempt_number", 1)
            raise ModelUnavailable(f"model {self.name!r} unavailable after {tries} attempt(s) within "
                                   f"{budget:.3g}s: {exc}. Check the server at {self.base_url}, or allow "
                                   "more time (--model-timeout, --request-timeout, --timeout)") from None

    def _pause(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter; a server's Retry-After instead, when it sends one."""
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after_s", None)
        if asked is not None:
            return min(asked, self.retry_after_cap_s)
        return min(self.backoff_s * 2 ** (state.attempt_number - 1), 8.0) * (0.5 + random.random() / 2)

    def _once(self, kwargs: dict[str, Any], deadline: float) -> ModelResponse:
        import openai

        timeout = min(self.request_timeout_s, deadline - time.monotonic())
        if timeout <= 0:
            raise ModelUnavailable("no time left for another request")
        try:
            raw = self._client.chat.completions.with_raw_response.create(**kwargs, timeout=timeout)
        except openai.APIStatusError as exc:
            reason = f"HTTP {exc.status_code} from {self.base_url}: {self._redact(_body(exc))}"
            if exc.status_code in _RETRY_STATUS:
                raise ModelUnavailable(reason, retry_after_s=_retry_after(exc.response.headers)) from None
            raise ModelError(f"model {self.name!r} refused the request: {reason}") from None
        except openai.APITimeoutError:
            raise ModelUnavailable(f"no answer from {self.base_url} within {timeout:.3g}s") from None
        except openai.APIConnectionError as exc:
            raise ModelUnavailable(f"cannot connect to {self.base_url}: "
                                   f"{self._redact(str(exc.__cause__ or exc))}") from None
        except openai.OpenAIError as exc:
            raise ModelError(f"model {self.name!r} failed: {self._redact(type(exc).__name__)}") from None
        return self._convert(raw.http_response.text, raw.http_response.headers.get("content-type", ""))

    def _convert(self, text: str, content_type: str) -> ModelResponse:
        try:
            resp = _Completion.model_validate_json(text)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise ModelUnavailable(
                f"{self.base_url} answered with something that is not a chat completion "
                f"({content_type or 'no content type'}; {where + ': ' if where else ''}{problem['msg']}): "
                f"{self._redact(text.strip()[:200])!r}") from None
        choice = resp.choices[0]
        content = choice.message.content
        calls = [make_call(c.function.name, c.function.arguments or "", c.id) for c in choice.message.tool_calls or []]
        if not calls and content and "<tool_call>" in content:
            content, calls = parse_text_tool_calls(content)
            content = content or None
        logprobs = None
        if choice.logprobs is not None and choice.logprobs.content:
            logprobs = [t.logprob for t in choice.logprobs.content]
        usage = Usage(prompt_tokens=(resp.usage and resp.usage.prompt_tokens) or 0,
                      completion_tokens=(resp.usage and resp.usage.completion_tokens) or 0)
        return ModelResponse(content=content, tool_calls=calls, usage=usage,
                             finish_reason=choice.finish_reason, logprobs=logprobs)

    def close(self) -> None:
        self._client.close()


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), or None."""
    value = (headers.get("retry-after") or "").strip() if headers is not None else ""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _body(exc: Any) -> str:
    try:
        body = exc.response.text
    except Exception:  # the body may be unreadable; the status code is enough
        body = ""
    return (body or str(exc.message or "")).strip()[:300]
