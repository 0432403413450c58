"""Serve any ChatModel as an OpenAI-compatible chat-completions endpoint (`clawgym serve`), so
black-box agents (the real OpenClaw) and our own `openai:` client can use it over real HTTP.

Requests and answers go through the one codec (`_codec`): content as strings or parts (text
parts joined before the model's renderer sees them), `max_tokens` or `max_completion_tokens`,
JSON or a server-sent-events stream (OpenClaw always streams), the same error statuses as the
OpenClaw front.

- Concurrency: every request generates in a thread of its own. An in-process Hugging Face model
  with a batching engine (`HFModel.engine()`) gets all of them at once, batched into shared
  forward passes; an `openai:` model is called concurrently; any other model (scripted, a
  non-batching HF model, a `module:Class`) one request at a time, since it may not be re-entrant.
- A client that has gone: its generation is stopped at the next decoding step (engine-backed
  models; others finish their turn, which is then dropped) and nothing is sent.
- SIGTERM (or Ctrl-C): no new requests; running generations are stopped and answered 503
  (engine-backed), others are given `grace_s`; the process ends within seconds.

`GET /health` says how many generations are running and how many were stopped early.
"""

# No `from __future__ import annotations` here: FastAPI must see the real Request type.

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future, InvalidStateError
from typing import Any, Optional

from clawgym.models._base import ChatModel, ContextLengthError, ModelError, ModelResponse, Usage
from clawgym.models._codec import (
    ChatRequest, RequestError, error_body, error_for, parse_request, render_completion, render_stream,
)
from clawgym.models._parse import parse_text_tool_calls

_POLL_S = 0.25  # how often a waiting request checks that its client is still there


class _Jobs:
    """The generations running now (and a count of those stopped early)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set["_Job"] = set()
        self.cancelled = 0
        self.closing = False

    def cancel_all(self, reason: str) -> None:
        with self.lock:
            self.closing = True
            jobs = list(self.running)
        for job in jobs:
            job.cancel(reason)


class _Job:
    """One request's generation, in a thread of its own. `cancel()` stops an engine-backed one at
    its next decoding step (by moving its deadline to now); another model's turn runs to its end."""

    def __init__(self, model: ChatModel, messages: list[dict[str, Any]], req: ChatRequest, jobs: _Jobs,
                 lock: Optional[threading.Lock]):
        self.model, self.messages, self.req, self.jobs, self.lock = model, messages, req, jobs, lock
        self.future: Future = Future()
        self.reason: Optional[str] = None  # why it was cancelled
        self._gen: Any = None  # the engine's GenRequest, once submitted
        self._guard = threading.Lock()
        with jobs.lock:
            jobs.running.add(self)
        threading.Thread(target=self._run, daemon=True, name="clawgym-serve").start()

    def cancel(self, reason: str) -> None:
        with self._guard:
            if self.reason is not None:
                return
            self.reason = reason
            if self._gen is not None:
                self._gen.deadline = 0.0  # the engine ends a row whose deadline has passed
        with self.jobs.lock:
            self.jobs.cancelled += 1

    def _run(self) -> None:
        try:
            if _engine_backed(self.model):
                resp = self._engine_chat()
            elif self.lock is not None:
                with self.lock:
                    resp = self._chat()
            else:
                resp = self._chat()
            outcome: tuple[str, Any] = ("result", resp)
        except BaseException as exc:  # handed to the request, which answers it
            outcome = ("exception", exc)
        finally:
            with self.jobs.lock:
                self.jobs.running.discard(self)
        with contextlib.suppress(InvalidStateError):
            getattr(self.future, "set_" + outcome[0])(outcome[1])

    def _chat(self) -> ModelResponse:
        if self.reason is not None:
            raise ModelError(self.reason)
        return self.model.chat(self.messages, self.req.tools, self.req.params)

    def _engine_chat(self) -> ModelResponse:
        """`HFModel.chat` through the engine's public API, keeping the `GenRequest` so that the
        generation can be stopped when its client goes (chat() has no handle for that)."""
        from clawgym.models._batch import GenRequest

        m: Any = self.model
        params = self.req.params
        prompt = m.encode_prompt(self.messages, self.req.tools)
        limit = getattr(m.model.config, "max_position_embeddings", None)
        if limit is not None and len(prompt) >= limit:
            raise ContextLengthError(f"prompt of {len(prompt)} tokens does not fit {m.name}'s {limit}")
        max_new = params.max_tokens or m.default_max_tokens
        if limit is not None:
            max_new = min(max_new, limit - len(prompt))
        gen = GenRequest(prompt_ids=prompt, max_new_tokens=max_new, temperature=float(params.temperature or 0),
                         top_p=params.top_p, seed=params.seed, stop=params.stop)
        with self._guard:
            if self.reason is not None:
                raise ModelError(self.reason)
            self._gen = gen
        out = m.engine().submit(gen).result()
        content, calls = parse_text_tool_calls(m.decode(out.token_ids))
        return ModelResponse(content=content or None, tool_calls=calls,
                             finish_reason="tool_calls" if calls else out.finish_reason,
                             usage=Usage(prompt_tokens=len(prompt), completion_tokens=len(out.token_ids)),
                             token_ids=out.token_ids, logprobs=out.logprobs, prompt_token_ids=prompt)


def _engine_backed(model: ChatModel) -> bool:
    return bool(getattr(model, "batching", False)) and callable(getattr(model, "engine", None)) \
        and callable(getattr(model, "encode_prompt", None))


def _concurrent(model: ChatModel) -> bool:
    """Whether `chat()` may be called from many threads at once."""
    return _engine_backed(model) or model.config().get("kind") == "openai"


class _ClientGone(Exception):
    pass


def create_app(model: ChatModel, *, concurrent: Optional[bool] = None) -> Any:
    """The FastAPI app serving `model`. `concurrent`: whether `model.chat` may run in many threads
    at once (default: engine-backed and `openai:` models yes, others no)."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response

    app = FastAPI(title=f"clawgym serve: {model.name}")
    jobs = _Jobs()
    app.state.jobs = jobs
    lock = None if (_concurrent(model) if concurrent is None else concurrent) else threading.Lock()

    def error(status: int, body: dict[str, Any], headers: Optional[dict[str, str]] = None) -> Any:
        return JSONResponse(status_code=status, content=body, headers=headers)

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        entry = {"id": model.name, "object": "model", "owned_by": "clawgym"}
        window = model.config().get("max_positions")
        if isinstance(window, int):  # the context window, named as vLLM names it (OpenClaw's agent reads it)
            entry["max_model_len"] = window
        return {"object": "list", "data": [entry]}

    @app.get("/health")
    def health() -> dict[str, Any]:
        with jobs.lock:
            info = {"status": "closing" if jobs.closing else "ok", "model": model.name,
                    "running": len(jobs.running), "stopped_early": jobs.cancelled}
        if _engine_backed(model):  # the most requests one forward pass has served so far
            info["max_batch_seen"] = getattr(getattr(model.engine(), "stats", None), "max_batch_seen", None)
        return info

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        try:
            req = parse_request(await request.body())
            messages = req.text_messages()
        except RequestError as exc:
            return error(400, error_body(400, str(exc)))
        if jobs.closing:
            return error(503, error_body(503, "clawgym serve is shutting down"))
        job = _Job(model, messages, req, jobs, lock)
        try:
            resp = await _wait(job, request)
        except _ClientGone:
            return Response(status_code=499)  # nobody is listening; the status is for logs
        except RequestError as exc:
            return error(400, error_body(400, str(exc)))
        except ModelError as exc:
            if job.reason is not None:  # stopped by us (shutdown): worth retrying elsewhere, not a broken model
                return error(503, error_body(503, f"generation stopped: {job.reason}"))
            status, body, headers = error_for(exc)
            return error(status, body, headers)
        except Exception as exc:  # a broken model is the server's failure, said as such
            return error(500, error_body(500, f"the model failed: {type(exc).__name__}: {exc}"))
        if job.reason is not None:
            return error(503, error_body(503, f"generation stopped: {job.reason}"))
        name = req.model or model.name
        if req.stream:
            return Response(render_stream(resp, model=name, include_usage=req.include_usage),
                            media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        return render_completion(resp, model=name, logprobs=req.params.logprobs)

    return app


async def _wait(job: _Job, request: Any) -> ModelResponse:
    """The job's answer; stops it (and raises _ClientGone) when the client disconnects, and when
    this request is cancelled (server shutdown)."""
    waiting = asyncio.wrap_future(job.future)
    try:
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=_POLL_S)
            if done:
                return waiting.result()
            if await request.is_disconnected():
                job.cancel("the client disconnected")
                raise _ClientGone()
    except asyncio.CancelledError:
        job.cancel("the server is shutting down")
        raise


def _server(model: ChatModel, host: str, port: int, log_level: str, grace_s: float) -> Any:
    import uvicorn

    app = create_app(model)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            app.state.jobs.cancel_all("the server is shutting down")
            super().handle_exit(sig, frame)

    return Server(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                                 timeout_graceful_shutdown=max(grace_s, 0.1)))


def serve(model: ChatModel, host: str = "127.0.0.1", port: int = 8000, log_level: str = "warning", *,
          grace_s: float = 3.0) -> None:
    """Serve until SIGTERM / Ctrl-C (see the module doc); closes the model after."""
    try:
        _server(model, host, port, log_level, grace_s).run()
    finally:
        model.close()


@contextlib.contextmanager
def serving(model: ChatModel, host: str = "127.0.0.1", port: int = 0, *, grace_s: float = 1.0) -> Iterator[str]:
    """Serve `model` from a background thread for the duration of a `with` block; yields the base
    URL (`http://host:port/v1`). For install-time warm-ups and tests; the model is not closed."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = _server(model, host, sock.getsockname()[1], "warning", grace_s)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="clawgym-serving")
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise ModelError(f"the model server on {host}:{sock.getsockname()[1]} did not start")
            thread.join(0.02)
        yield f"http://{host}:{sock.getsockname()[1]}/v1"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


__all__ = ["create_app", "serve", "serving"]
