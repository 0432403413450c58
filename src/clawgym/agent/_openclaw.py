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
  through; `clawgym serve` is one), or any other `ChatModel` (scripted, hf, smollm2, a keyed
  https API) answered in process through the one chat codec of `clawgym.models` (the same
  request checks, error statuses and server-sent-events stream as `clawgym serve`; content parts
  joined to text before the model's renderer sees them).

How OpenClaw is launched (config, command line, environment, paths) comes from
`_openclaw_install`, which the compile-cache warm-up uses too. A model with a small context
window (SmolLM2: 8192 tokens) gets OpenClaw's lean prompt (see `openclaw_config`).

Warm (the default, `warm=True`): a rollout takes a session of the same shape in which OpenClaw
is already started and warmed up (`_openclaw_warm`: its own front, OpenClaw's `agent exec`
command imported and run once on a fixed task-free warm-up turn, then waiting for its task),
imports its workspace and hands it the task; a rollout with none ready runs cold as above and
one is started for the next. Each session still serves one rollout only.

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
from clawgym.agent._openclaw_install import (
    CONFIG_PATH,
    MESSAGE_PATH,
    NODE_PACKAGE,
    NODE_VERSION,
    OPENCLAW_IN_SANDBOX,
    OPENCLAW_VERSION,
    PROVIDER,
    STATE_DIR,
    OpenClawInstall,
    openclaw_argv,
    openclaw_config,
    openclaw_env,
    packaged_cache_dir,
    require_install,
)
from clawgym.agent._openclaw_warm import (
    DRIVER_JS,
    DRIVER_PATH,
    RESULT_PATH,
    WARM_DIR,
    WARM_SCRIPT,
    WarmSession,
    warm_pool,
)
from clawgym.agent._trajectory import StepRecord
from clawgym.errors import ClawGymError
from clawgym.models import (
    ChatModel,
    ModelError,
    RequestError,
    ScriptedModel,
    Usage,
    error_body,
    error_for,
    parse_request,
    read_answer,
    render_completion,
    render_stream,
)
from clawgym.sandbox import create_sandbox
from clawgym.settings import DEFAULT_MAX_STEPS, DEFAULT_TIMEOUT_S
from clawgym.tasks import TaskFile

LEAN_CONTEXT = 32768  # a model whose context window is smaller gets OpenClaw's lean prompt
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


answer_from_stream = read_answer  # the name tests and callers used before the codec


class ModelFront:
    """The host end of the sandbox's one way out: records, budgets, relays (see module doc)."""

    def __init__(self, recorder: _Recorder, *, upstream: str | None = None, model: ChatModel | None = None,
                 api_key: str | None = None):
        self.serve(recorder, upstream=upstream, model=model, api_key=api_key)
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection; bodies end at close

            def log_message(self, *a):
                pass

            def do_GET(self):
                self._json(404, error_body(404, "clawgym relays POST /chat/completions only"))

            def do_POST(self):
                raw = self._body()
                ex, refused = front.recorder.begin(raw)
                if refused:
                    front.recorder.end(ex, 400, None, refused)
                    self._json(400, error_body(400, refused, code="clawgym_budget"))
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

            def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                self._send(status, json.dumps(body).encode(), "application/json", headers)

            def _send(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="clawgym-openclaw-front")
        self._thread.start()

    def serve(self, recorder: _Recorder, *, upstream: str | None = None, model: ChatModel | None = None,
              api_key: str | None = None) -> None:
        """Record into `recorder` and answer from `upstream` or `model` from now on (a warm
        session's front, which answered only the warm-up until its rollout took it)."""
        if upstream is None and model is None:
            raise ClawGymError("the openclaw agent needs a model: pass --model (openai:NAME with OPENAI_BASE_URL, "
                               "scripted:FILE, smollm2, ...) or an endpoint")
        self.recorder, self.model, self.api_key = recorder, model, api_key
        self.upstream = urlsplit(upstream) if upstream else None

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
            h._json(502, error_body(502, f"clawgym: model endpoint unreachable: {exc}"))
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
        answer = read_answer(bytes(captured)) if resp.status < 400 else None
        if resp.status >= 400:
            try:
                ex["code"] = json.loads(bytes(captured))["error"]["code"]
            except (ValueError, KeyError, TypeError):
                pass
        self.recorder.end(ex, resp.status, answer,
                          None if resp.status < 400 else bytes(captured[:2000]).decode("utf-8", "replace"))

    def _answer(self, h: Any, raw: bytes, ex: dict[str, Any]) -> None:
        """Answer from an in-process ChatModel through the codec `clawgym serve` uses (streamed
        when asked, which OpenClaw always does)."""
        assert self.model is not None
        try:
            req = parse_request(raw)
            resp = self.model.chat(req.text_messages(), req.tools, req.params, timeout_s=self._left())
        except (RequestError, ModelError) as exc:
            status, body, headers = error_for(exc)
            if body["error"].get("code"):
                ex["code"] = body["error"]["code"]
            self.recorder.end(ex, status, None, body["error"]["message"])
            h._json(status, body, headers)
            return
        except Exception as exc:  # a broken model is a server failure, answered and recorded as such
            message = f"the model failed: {type(exc).__name__}: {exc}"
            self.recorder.end(ex, 500, None, message)
            h._json(500, error_body(500, message))
            return
        name = req.model or self.model.name
        body = render_completion(resp, model=name)
        self.recorder.end(ex, 200, {"message": body["choices"][0]["message"],
                                    "finish_reason": body["choices"][0]["finish_reason"], "usage": body["usage"]})
        if req.stream:
            h._send(200, render_stream(resp, model=name, include_usage=req.include_usage), "text/event-stream")
        else:
            h._send(200, json.dumps(body).encode(), "application/json")


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


def served_window(base_url: str, model_id: str) -> int | None:
    """The context window an OpenAI-compatible server states for `model_id` (`max_model_len` in
    GET /models, as vLLM and `clawgym serve` give it); None when it says nothing or cannot be asked."""
    url = urlsplit(base_url)
    try:
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=5)
        try:
            conn.request("GET", url.path.rstrip("/") + "/models")
            resp = conn.getresponse()
            body = json.loads(resp.read(1 << 20)) if resp.status == 200 else {}
        finally:
            conn.close()
        entries = [e for e in body.get("data") or [] if isinstance(e, dict)]
        entry = next((e for e in entries if e.get("id") == model_id), entries[0] if len(entries) == 1 else {})
        value = entry.get("max_model_len")
        return value if isinstance(value, int) and value > 0 else None
    except (OSError, ValueError, AttributeError):
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
    context_window: the context told to OpenClaw (default: `config.context_tokens`, else the
    model's own window, else 131072); lean: OpenClaw's lean prompt (default: when that window is
    under 32768 tokens, as SmolLM2's 8192 is: its full prompt alone is about 9500 tokens).
    warm: take a session with OpenClaw already started and warmed up (`_openclaw_warm`) when one
    is ready, and keep one ready for the next rollout of the same shape (not with extra_args,
    which only a command line takes); False: every rollout starts OpenClaw cold.
    """

    name = "openclaw"

    def __init__(self, model: ChatModel | None = None, config: AgentConfig | None = None, *,
                 endpoint: str | None = None, install: OpenClawInstall | None = None,
                 cache_dir: Path | None = None, model_id: str | None = None,
                 extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None,
                 context_window: int | None = None, lean: bool | None = None, warm: bool = True):
        self.model, self.cfg = model, config or AgentConfig()
        self.warm = warm
        self.context_window, self.lean = context_window, lean
        self.endpoint, self._install, self.cache_dir = endpoint, install, cache_dir
        self.model_id = model_id
        self.extra_args, self.extra_env = list(extra_args or []), dict(extra_env or {})
        self._compile_cache = False

    def config(self) -> dict[str, Any]:
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
        max_steps = self.cfg.max_steps or task.limits.max_steps or DEFAULT_MAX_STEPS
        timeout = self.cfg.timeout_s or task.limits.timeout_s or DEFAULT_TIMEOUT_S
        start = time.monotonic()
        recorder = _Recorder(max_steps, start + timeout)
        upstream = self.endpoint or _direct_endpoint(self.model)
        model = None if upstream else self.model
        model_id = self.model_id or (self.model.name if self.model is not None else "model")
        traj.model = self.model.config() if self.model is not None else {"kind": "endpoint", "name": model_id}
        traj.messages = [{"role": "user", "content": task.instruction}]
        emit("user", {"content": task.instruction})
        limits = sandbox.limits.model_copy(update={"memory_bytes": None,  # V8 reserves far more address space than it uses
                                                   "output_bytes": max(sandbox.limits.output_bytes, 1 << 20)})
        context = self._context(upstream, model_id)
        shape = {"backend": sandbox.backend, "mount_path": sandbox.path, "limits": limits,
                 "ro_binds": [(str(inst.root), OPENCLAW_IN_SANDBOX)]}
        warm = None
        if self.warm and not self.extra_args:
            key = (str(inst.root), sandbox.backend, sandbox.path, limits.model_dump_json(), model_id, context,
                   self._compile_cache, json.dumps(self.extra_env, sort_keys=True))
            warm = warm_pool().take(key, lambda: self._start_warm(inst, shape, model_id, context))
        traj.agent["warm"] = warm is not None
        if warm is not None:
            try:
                warm.front.serve(recorder, upstream=upstream, model=model)
                inner = warm.sandbox
                inner.deadline = sandbox.deadline
                inner._load(archive=sandbox.export())  # what a pooled session's fill does (`SandboxPool.create`)
                left = timeout - (time.monotonic() - start)
                result = (*warm.run(task.instruction, left, _EXIT_GRACE_S), left)
                traj.agent["openclaw_run"] = warm.stats
                inner.kill_all()  # as a cold run's exit ends its process group: nothing touches the files now
                self._put_back(inner, sandbox)
            finally:  # off the rollout's path: nothing of the session is needed any more
                threading.Thread(target=warm.close, name="clawgym-openclaw-warm-close", daemon=True).start()
        else:
            front = ModelFront(recorder, upstream=upstream, model=model)
            try:
                with create_sandbox(shape["backend"], archive=sandbox.export(), mount_path=sandbox.path, limits=limits,
                                    ro_binds=shape["ro_binds"], network="model", model_endpoint=front.url) as inner:
                    result = self._exec(inner, task, model_id, timeout - (time.monotonic() - start), context)
                    self._put_back(inner, sandbox)
            finally:
                front.close()
        self._convert(traj, recorder, result, emit)

    def _context(self, upstream: str | None, model_id: str) -> tuple[int, int, bool]:
        """(context window, tokens per turn, lean prompt) told to OpenClaw: the configured context,
        else the model's own window (an in-process model knows it; a relayed server may say it as
        `max_model_len` in /v1/models, as `clawgym serve` and vLLM do), else 131072."""
        cfg = self.model.config() if self.model is not None else {}
        known = cfg.get("max_positions") if isinstance(cfg.get("max_positions"), int) else None
        if known is None and upstream and not (self.cfg.context_tokens or self.context_window):
            known = served_window(upstream, model_id)
        window = self.cfg.context_tokens or self.context_window or known or 131072
        turn = self.cfg.sampling.max_tokens or min(8192, max(256, window // 4))
        lean = self.lean if self.lean is not None else window < LEAN_CONTEXT
        return max(window, turn * 2), turn, lean

    def _prepare(self, inner, inst: OpenClawInstall, model_id: str, context: tuple[int, int, bool]) -> dict[str, str]:
        """OpenClaw's config and state folder in the session; its environment."""
        window, turn, lean = context
        config = openclaw_config(inner.env.get("OPENAI_BASE_URL", "http://127.0.0.1:18080/v1"), model_id,
                                 workspace=inner.path, context_window=window, max_tokens=turn, lean=lean)
        inner.write_file(CONFIG_PATH, json.dumps(config, indent=2).encode())
        inner.exec(["mkdir", "-p", STATE_DIR], timeout_s=30)
        # the compile cache was warmed at install and is read-only here: about half of Node's start-up saved
        return openclaw_env(compile_cache=self._compile_cache, extra=self.extra_env,
                            cache_dir=packaged_cache_dir(inst.root) if self._compile_cache else None)

    def _exec(self, inner, task, model_id: str, time_left: float, context: tuple[int, int, bool]):
        inst = self._install or require_install(self.cache_dir)
        env = self._prepare(inner, inst, model_id, context)
        inner.write_file(MESSAGE_PATH, task.instruction.encode())
        argv = openclaw_argv(config=CONFIG_PATH, cwd=inner.path, state_dir=STATE_DIR, model_id=model_id,
                             timeout_s=max(1, int(time_left)), message_file=MESSAGE_PATH, extra=self.extra_args)
        t0 = time.monotonic()
        result = inner.exec(argv, timeout_s=time_left + _EXIT_GRACE_S, env=env, cwd=inner.path)
        return result, time.monotonic() - t0, time_left

    def _start_warm(self, inst: OpenClawInstall, shape: dict, model_id: str,
                    context: tuple[int, int, bool]) -> WarmSession:
        """A session of this rollout's shape with OpenClaw warmed up inside (see `_openclaw_warm`);
        its front answers the warm-up turn from a fixed script, never from the run's model."""
        front = ModelFront(_Recorder(None, float("inf")), model=ScriptedModel(WARM_SCRIPT, final="ok"))
        try:
            inner = create_sandbox(shape["backend"], mount_path=shape["mount_path"], limits=shape["limits"],
                                   ro_binds=shape["ro_binds"], network="model", model_endpoint=front.url)
            try:
                env = self._prepare(inner, inst, model_id, context)
                inner.write_file(DRIVER_PATH, DRIVER_JS.encode())
                root = OPENCLAW_IN_SANDBOX
                argv = [f"{root}/node_modules/{NODE_PACKAGE}/bin/node", DRIVER_PATH, f"{root}/node_modules/openclaw/dist",
                        inner.path, STATE_DIR, CONFIG_PATH, f"{PROVIDER}/{model_id}", WARM_DIR, RESULT_PATH]
                return WarmSession(inner, front, inner.spawn(argv, env=env, cwd=inner.path))
            except BaseException:
                inner.close()
                raise
        except BaseException:
            front.close()
            raise

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
        too_long = bool(exchanges) and exchanges[-1].get("code") == "context_length_exceeded"
        model_failed = [ex for ex in exchanges if ex.get("status", 200) >= 500 or ex.get("status") == 429
                        or (ex.get("error") and "budget" not in ex["error"] and "wall time" not in ex["error"]
                            and ex.get("code") != "context_length_exceeded")]
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
        elif too_long:  # the conversation outgrew the model's window: the agent's run ends, scored
            traj.stop_reason = "context_length"
            traj.error = f"the conversation no longer fits the model: {exchanges[-1].get('error')}"
        elif model_failed:
            traj.stop_reason, traj.status = "model_error", "infra_error"
            err = (env.get("error") or {}).get("message") if isinstance(env.get("error"), dict) else env.get("error")
            traj.error = f"model error: {model_failed[-1].get('error') or model_failed[-1].get('status')}; OpenClaw: {err}"
        else:
            traj.stop_reason, traj.status = "agent_exit", "agent_error"
            err = env.get("error")
            traj.error = f"OpenClaw ended with status {status!r}: {json.dumps(err)[:1500] if err else tail}"


__all__ = ["ModelFront", "OpenClawAgent", "answer_from_stream"]
