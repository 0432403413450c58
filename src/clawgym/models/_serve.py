"""Serve any ChatModel as an OpenAI-compatible chat-completions endpoint (tool calls included),
so black-box agents (and our own `openai` client) can use it over real HTTP."""

# No `from __future__ import annotations` here: FastAPI must see the real Request type.

import threading
import time
import uuid
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clawgym.models._base import ChatModel, ModelError, SamplingParams


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Union[str, list[dict[str, Any]], None] = None


class _ChatRequest(BaseModel):
    """What we accept: a request that does not fit is the client's error (400), never ours (500)."""

    model_config = ConfigDict(extra="allow")
    model: Optional[str] = None
    messages: list[_Message] = Field(min_length=1)
    tools: Optional[list[dict[str, Any]]] = None
    temperature: Optional[float] = Field(default=None, ge=0)
    top_p: Optional[float] = Field(default=None, gt=0, le=1)
    max_tokens: Optional[int] = Field(default=None, ge=1)
    seed: Optional[int] = None
    stop: Union[str, list[str], None] = None
    logprobs: Optional[bool] = None
    stream: Optional[bool] = None


def create_app(model: ChatModel):
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    app = FastAPI(title=f"clawgym serve: {model.name}")
    lock = threading.Lock()  # one request at a time: most in-process models are not re-entrant

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": model.name, "object": "model", "owned_by": "clawgym"}]}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        try:
            req = _ChatRequest.model_validate_json(await request.body())
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            return _error(400, f"bad request{' at ' + where if where else ''}: {problem['msg']}")
        if req.stream:
            return _error(400, "streaming is not supported by clawgym serve")
        params = SamplingParams(temperature=req.temperature, top_p=req.top_p, max_tokens=req.max_tokens,
                                seed=req.seed, stop=[req.stop] if isinstance(req.stop, str) else req.stop,
                                logprobs=bool(req.logprobs))
        messages = [m.model_dump() for m in req.messages]
        import anyio

        def run():
            with lock:
                return model.chat(messages, req.tools, params)

        try:
            resp = await anyio.to_thread.run_sync(run)
        except ModelError as exc:
            return _error(503, str(exc))
        message: dict[str, Any] = {"role": "assistant", "content": resp.content}
        if resp.tool_calls:
            message["tool_calls"] = [c.openai() for c in resp.tool_calls]
        choice: dict[str, Any] = {"index": 0, "message": message,
                                  "finish_reason": resp.finish_reason or "stop"}
        if params.logprobs and resp.logprobs is not None:
            choice["logprobs"] = {"content": [{"token": str(t), "logprob": lp, "bytes": None, "top_logprobs": []}
                                              for t, lp in zip(resp.token_ids or [""] * len(resp.logprobs),
                                                               resp.logprobs)]}
        return {"id": "chatcmpl-" + uuid.uuid4().hex[:24], "object": "chat.completion",
                "created": int(time.time()), "model": req.model or model.name,
                "choices": [choice],
                "usage": {"prompt_tokens": resp.usage.prompt_tokens,
                          "completion_tokens": resp.usage.completion_tokens,
                          "total_tokens": resp.usage.total}}

    def _error(status: int, message: str):
        return JSONResponse(status_code=status, content={"error": {"message": message, "type": "invalid_request_error"
                                                                   if status == 400 else "server_error"}})

    return app


def serve(model: ChatModel, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning") -> None:
    import uvicorn

    uvicorn.run(create_app(model), host=host, port=port, log_level=log_level)
