"""The synthesis engine every route shares: structured model calls with repair, a response
cache, token and cost accounting, a concurrency limit, and redaction.

A stage asks the model for one JSON object that must validate against a pydantic schema. When
it does not (no JSON, a missing field, a failed semantic check), the validation errors go back
to the model as the next user turn; after `max_repairs` such turns the record is rejected with
the last reason (`Rejected`). A model that cannot answer at all raises `ModelError`: that is the
infrastructure's fault, the stage is not recorded, and a resumed run tries it again.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, ValidationError

from clawgym.errors import ClawGymError
from clawgym.models import ChatModel, SamplingParams
from clawgym.synth._cache import ResponseCache, cache_key
from clawgym.synth._redact import Redactor

T = TypeVar("T", bound=BaseModel)


class Rejected(ClawGymError):
    """A record failed a stage: `stage` and `reason` go to the ledger and the summary."""

    def __init__(self, stage: str, reason: str, detail: Any = None, usage: "StageUsage | None" = None,
                 kind: str = "rejected"):
        super().__init__(f"{stage}: {reason}")
        self.stage, self.reason, self.detail, self.kind = stage, reason, detail, kind
        self.usage = usage


class Pricing(BaseModel):
    """US dollars per million tokens, for the cost column of the summary."""

    input_per_mtok: float = Field(default=0.0, ge=0)
    output_per_mtok: float = Field(default=0.0, ge=0)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok) / 1e6


class StageUsage(BaseModel):
    """What one stage spent: model calls (answered by the model or by the cache), tokens as the
    model reported them (cached answers keep their original count in `cached_*`, not spent
    again), repair turns and wall time."""

    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    cached_completion_tokens: int = 0
    repairs: int = 0
    seconds: float = 0.0

    def add(self, other: "StageUsage | dict[str, Any]") -> "StageUsage":
        data = other.model_dump() if isinstance(other, StageUsage) else other
        for k, v in data.items():
            if k in StageUsage.model_fields:
                setattr(self, k, getattr(self, k) + v)
        return self


class Answer(BaseModel, Generic[T]):
    value: T
    messages: list[dict[str, Any]]
    prompt_hash: str
    repairs: int = 0


def prompt_hash(messages: list[dict[str, Any]]) -> str:
    """The hash of a stage's first prompt (provenance): sha256 of its canonical JSON, 16 hex."""
    blob = json.dumps(messages, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.S)


class ParseError(ValueError):
    pass


def extract_json(text: str) -> Any:
    """The JSON object in a model's answer: the whole text, a ```json fenced block, or the
    outermost {...}. Thinking blocks (<think>...</think>) are ignored."""
    text = re.sub(r"<think>.*?</think>", "", text, flags=re.S).strip()
    candidates = [text, *[m.group(1) for m in _FENCE.finditer(text)]]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    last: Exception | None = None
    for c in candidates:
        try:
            return json.loads(c)
        except json.JSONDecodeError as exc:
            last = exc
    raise ParseError(f"the answer is not one JSON object ({last})" if last else "the answer is empty")


def describe_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:12]:
        where = ".".join(str(x) for x in err["loc"]) or "(the object)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


class SynthEngine:
    """Structured, cached, accounted model calls. Thread-safe; at most `concurrency` model
    requests are in flight at once whatever the number of caller threads."""

    def __init__(self, model: ChatModel, *, cache: ResponseCache | None = None, concurrency: int = 4,
                 max_repairs: int = 2, pricing: Pricing | None = None, redactor: Redactor | None = None,
                 timeout_s: float | None = None):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if max_repairs < 0:
            raise ValueError("max_repairs cannot be negative")
        self.model = model
        self.cache = cache
        self.concurrency = concurrency
        self.max_repairs = max_repairs
        self.pricing = pricing or Pricing()
        self.redactor = redactor or Redactor()
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self.session: dict[str, StageUsage] = {}  # this process's spend, per stage
        self._model_id = model.config()

    def _account(self, stage: str, usage: StageUsage) -> None:
        with self._lock:
            self.session.setdefault(stage, StageUsage()).add(usage)

    def complete(self, stage: str, messages: list[dict[str, Any]], params: SamplingParams,
                 usage: StageUsage) -> str:
        """One answer's text, from the cache when the same request was answered before."""
        key = cache_key(self._model_id, messages, params.model_dump(exclude_none=True))
        start = time.monotonic()
        hit = self.cache.get(key) if self.cache is not None else None
        one = StageUsage(calls=1)
        if hit is not None:
            content, u = hit
            one.cache_hits = 1
            one.cached_prompt_tokens, one.cached_completion_tokens = u["prompt_tokens"], u["completion_tokens"]
        else:
            with self._slots:
                response = self.model.chat(messages, None, params, timeout_s=self.timeout_s)
            content = response.content or ""
            one.prompt_tokens = response.usage.prompt_tokens
            one.completion_tokens = response.usage.completion_tokens
            if self.cache is not None and content:
                self.cache.put(key, content, {"prompt_tokens": one.prompt_tokens,
                                              "completion_tokens": one.completion_tokens})
        one.seconds = time.monotonic() - start
        usage.add(one)
        self._account(stage, one)
        return content

    def structured(self, stage: str, messages: list[dict[str, Any]], schema: type[T], *,
                   params: SamplingParams | None = None, usage: StageUsage | None = None,
                   parse: Callable[[str], Any] = extract_json, max_repairs: int | None = None,
                   context: dict[str, Any] | None = None) -> Answer[T]:
        """Ask until the answer validates against `schema` (with `context` given to its
        validators), feeding each failure back; raise `Rejected` after `max_repairs` repairs."""
        params = params or SamplingParams()
        usage = usage if usage is not None else StageUsage()
        limit = self.max_repairs if max_repairs is None else max_repairs
        convo = [dict(m) for m in messages]
        first_hash = prompt_hash(messages)
        reason, kind = "", "schema"
        for attempt in range(limit + 1):
            text = self.complete(stage, convo, params, usage)
            try:
                value = schema.model_validate(parse(text), context=context)
                return Answer[schema](value=value, messages=[*convo, {"role": "assistant", "content": text}],
                                      prompt_hash=first_hash, repairs=attempt)
            except ParseError as exc:
                reason, kind = str(exc), "malformed"
            except ValidationError as exc:
                reason, kind = "the answer does not match the schema: " + describe_validation(exc), "schema"
            if attempt < limit:
                usage.repairs += 1
                self._account(stage, StageUsage(repairs=1))
                convo += [{"role": "assistant", "content": text},
                          {"role": "user", "content": repair_message(reason)}]
        raise Rejected(stage, self.redactor.text(f"{reason} (after {limit} repair turn{'s' * (limit != 1)})"),
                       usage=usage, kind=kind)


def repair_message(reason: str) -> str:
    return (f"Your answer was not accepted: {reason}\n"
            "Answer again with the complete, corrected JSON object only (no prose, no code fences), "
            "following the schema you were given.")
