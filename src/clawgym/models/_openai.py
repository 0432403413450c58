"""Any OpenAI-compatible chat endpoint (vLLM, SGLang, llama.cpp server, hosted APIs).

Retries (429, 5xx, connection errors, timeouts) are ours, not the client's, so that one bound
holds over all of them: a hung or flapping server costs a rollout at most `total_timeout_s`.
The API key never leaves the client: not in `config()`, not in any error message.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from clawgym.models._base import ChatModel, ModelError, ModelResponse, SamplingParams, Usage
from clawgym.models._parse import make_call, parse_text_tool_calls

_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class OpenAIModel(ChatModel):
    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 request_timeout_s: float = 120.0, total_timeout_s: float = 600.0,
                 max_attempts: int = 8, backoff_s: float = 0.5):
        import openai

        self.name = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        self._key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.request_timeout_s, self.total_timeout_s = request_timeout_s, total_timeout_s
        self.max_attempts, self.backoff_s = max_attempts, backoff_s
        self._client = openai.OpenAI(base_url=self.base_url, api_key=self._key, max_retries=0,
                                     timeout=request_timeout_s)

    def config(self) -> dict[str, Any]:
        return {"kind": "openai", "name": self.name, "base_url": self.base_url}

    def _redact(self, text: str) -> str:
        if self._key and self._key != "EMPTY":
            text = text.replace(self._key, "***")
        return text

    def chat(self, messages, tools=None, params: SamplingParams | None = None) -> ModelResponse:
        import openai

        params = params or SamplingParams()
        # messages and tools go in as the JSON they already are: the client's type-driven
        # transform walks every message on every call (8.5 ms of CPU for a 10-turn history,
        # against 3.6 ms this way), which caps how many rollouts one process can drive.
        body: dict[str, Any] = {"messages": messages, **({"tools": tools} if tools else {})}
        kwargs: dict[str, Any] = {"model": self.name, "messages": [], "extra_body": body, **params.given()}
        if params.logprobs:
            kwargs["logprobs"] = True
        deadline = time.monotonic() + self.total_timeout_s
        last = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                resp = self._client.chat.completions.create(
                    **kwargs, timeout=min(self.request_timeout_s, remaining))
                return self._convert(resp)
            except openai.APIStatusError as exc:
                last = f"HTTP {exc.status_code} from {self.base_url}: {self._redact(_body(exc))}"
                if exc.status_code not in _RETRY_STATUS:
                    raise ModelError(f"model {self.name!r} refused the request: {last}") from None
            except openai.APITimeoutError:
                last = f"no answer from {self.base_url} within {min(self.request_timeout_s, remaining):.3g}s"
            except openai.APIConnectionError as exc:
                last = f"cannot connect to {self.base_url}: {self._redact(str(exc.__cause__ or exc))}"
            except openai.OpenAIError as exc:
                raise ModelError(f"model {self.name!r} failed: {self._redact(type(exc).__name__)}") from None
            pause = min(self.backoff_s * 2 ** (attempt - 1), 8.0) * (0.5 + random.random() / 2)
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        raise ModelError(f"model {self.name!r} unavailable after {attempt} attempt(s) "
                         f"({self.total_timeout_s:g}s budget): {last}")

    def _convert(self, resp: Any) -> ModelResponse:
        if not resp.choices:
            raise ModelError(f"model {self.name!r} returned no choices")
        choice = resp.choices[0]
        msg = choice.message
        content = msg.content
        calls = [make_call(c.function.name, c.function.arguments or "", c.id) for c in msg.tool_calls or []]
        if not calls and content and "<tool_call>" in content:
            content, calls = parse_text_tool_calls(content)
            content = content or None
        logprobs = None
        if getattr(choice, "logprobs", None) is not None and choice.logprobs.content:
            logprobs = [t.logprob for t in choice.logprobs.content]
        usage = Usage(prompt_tokens=getattr(resp.usage, "prompt_tokens", 0) or 0,
                      completion_tokens=getattr(resp.usage, "completion_tokens", 0) or 0)
        return ModelResponse(content=content, tool_calls=calls, usage=usage,
                             finish_reason=choice.finish_reason, logprobs=logprobs)

    def close(self) -> None:
        self._client.close()


def _body(exc: Any) -> str:
    try:
        body = exc.response.text
    except Exception:  # the body may be unreadable; the status code is enough
        body = ""
    return (body or str(exc.message or "")).strip()[:300]
