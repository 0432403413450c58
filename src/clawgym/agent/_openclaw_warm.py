"""OpenClaw kept warm: sandbox sessions with OpenClaw already started inside, one rollout each.

Started cold, `openclaw agent exec` spends most of a short rollout before its first model
request: Node loading ~100 MB of JavaScript, plugin discovery, and above all creating and
migrating its SQLite state in a fresh state folder (a run in a process that already ran one in
the same state folder reaches its first request in a fraction of the time; one in a new state
folder pays nearly all of it again). So a warm session does that work before its task exists:

1. a sandbox session of the rollout's shape (the same `create_sandbox` arguments as a cold
   rollout: mount path, limits, OpenClaw bound read-only, network policy "model") with its own
   `ModelFront`, which at this point answers only the warm-up, from a fixed script;
2. inside it, `DRIVER_JS` (our few lines of Node) imports OpenClaw's own `agent exec` command
   (`agentExecCommand`, what the CLI's `agent exec` action calls) and runs one warm-up turn with
   the rollout's config and state folder in a scratch workspace (read a file, run `true`,
   answer), deletes the scratch workspace, says it is ready and blocks on stdin;
3. a rollout takes it: its workspace is imported at the mount path (empty until then), the
   front is pointed at the rollout's model and recorder, and the task (instruction, time left)
   is written to the driver, which runs `agentExecCommand` on it exactly as the CLI would
   (`--cwd` the workspace, `--state-dir`, `--config`, `--model`, `--timeout`, `--json`) and
   writes the JSON envelope to a file, with the wall and CPU seconds the command took (its
   process, all threads; not the commands its tools ran).

Isolation is the sandbox pool's (`clawgym.sandbox._pool`): each warm session is made for one
rollout and closed after it; what it holds before the take (the warm-up's session rows in the
state folder, OpenClaw's in-memory caches) is the same fixed, task-free warm-up for every
session, and nothing of one rollout reaches another. The warm-up's model turns never reach the
run's model.

A shape is warmed once it was asked for twice (`warm_after`: a one-off rollout costs no second
session competing with it for the cores; those two run cold); `size` ready sessions per shape
are kept (`configure_warm_pool`, default 1), each ~850 MB of resident Node once warmed up
(measured); unused ones are closed after `idle_s` and at exit. A rollout with no ready session runs cold, as before.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from clawgym.errors import ClawGymError
from clawgym.sandbox import ExecResult, Process, Sandbox

DRIVER_PATH = "/root/.openclaw/clawgym-warm.mjs"
RESULT_PATH = "/root/.openclaw/clawgym-result.json"
WARM_DIR = "/tmp/clawgym-warm"
READY = "clawgym-openclaw-ready"
WARM_SCRIPT: list[Any] = [  # the warm-up turn's model answers: a read, a command, a reply
    {"content": None, "tool_calls": [{"name": "read", "arguments": {"path": "hello.txt"}}]},
    {"content": None, "tool_calls": [{"name": "exec", "arguments": {"command": "true"}}]},
]
_START_TIMEOUT_S = 900.0
_POLL_S = 0.05

# Node: argv = dist folder, workspace, state folder, config, provider/model, scratch folder
DRIVER_JS = r"""
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
const [dist, cwd, stateDir, config, model, warmDir, resultPath] = process.argv.slice(2);
process.title = "openclaw-agent";
const find = (re, exported) => readdirSync(dist).find(
  (n) => re.test(n) && readFileSync(`${dist}/${n}`, "utf8").includes(exported));
const entry = find(/^agent-exec-[\w-]+\.mjs$/, "export { agentExecCommand }");
if (!entry) throw new Error(`no agent-exec module exporting agentExecCommand in ${dist}`);
const { agentExecCommand } = await import(`${dist}/${entry}`);
const opts = (dir, timeout) => ({ cwd: dir, stateDir, config, model, json: true, timeout: String(timeout),
  isolated: false, authEnvOnly: false, fallback: [] });
const quiet = { log() {}, error() {}, writeStdout() {}, writeJson() {},
  exit(code) { throw new Error(`warm-up exit ${code}`); } };
mkdirSync(`${warmDir}/ws`, { recursive: true });
writeFileSync(`${warmDir}/ws/hello.txt`, "hello\n");
const warm = await agentExecCommand("Read hello.txt, run `true`, then answer ok.", opts(`${warmDir}/ws`, 600), quiet);
rmSync(warmDir, { recursive: true, force: true });
if (warm.exitCode !== 0) {
  process.stderr.write(`clawgym warm-up failed: ${JSON.stringify(warm.envelope)}\n`);
  process.exit(3);
}
process.stderr.write("READY\n");
let buf = "";
let task = null;
for await (const chunk of process.stdin) {
  buf += chunk;
  const i = buf.indexOf("\n");
  if (i >= 0) { task = JSON.parse(buf.slice(0, i)); break; }
}
if (!task) process.exit(4);
const out = (line) => process.stdout.write(line.endsWith("\n") ? line : `${line}\n`);
const runtime = { log: (...a) => console.log(...a), error: (...a) => console.error(...a), writeStdout: out,
  writeJson: (v, space = 2) => out(JSON.stringify(v, undefined, space > 0 ? space : undefined)),
  exit(code) { process.exit(code); } };
const [t0, cpu0] = [performance.now(), process.cpuUsage()];
const result = await agentExecCommand(task.message, opts(cwd, task.timeout), runtime);
const cpu = process.cpuUsage(cpu0);
writeFileSync(`${resultPath}.part`, JSON.stringify({ envelope: result.envelope, exit_code: result.exitCode,
  wall_s: (performance.now() - t0) / 1e3, cpu_s: (cpu.user + cpu.system) / 1e6 }));
renameSync(`${resultPath}.part`, resultPath);
await new Promise((resolve) => process.stdout.write("", resolve));
process.exit(result.exitCode);
""".replace("READY", READY)


@dataclass
class WarmSession:
    """A sandbox session with OpenClaw warmed up inside it, waiting for one task."""

    sandbox: Sandbox
    front: Any  # the session's `ModelFront` (its one way out), answering the warm-up until taken
    process: Process
    ready_at: float = field(default_factory=time.monotonic)
    stats: dict[str, float] = field(default_factory=dict)  # OpenClaw's own wall and CPU seconds for the task

    def close(self) -> None:
        try:
            self.sandbox.close()
        finally:
            self.front.close()

    def wait_ready(self, timeout_s: float = _START_TIMEOUT_S) -> None:
        """Until the driver says its warm-up is done; raises when it exits or takes too long."""
        deadline = time.monotonic() + timeout_s
        while True:
            out = self.process.output()
            if READY in out:
                self.ready_at = time.monotonic()
                return
            code = self.process.poll()
            if code is not None:
                raise ClawGymError(f"OpenClaw's warm-up exited {code}: {out[-1500:]}")
            if time.monotonic() > deadline:
                raise ClawGymError(f"OpenClaw's warm-up took over {timeout_s:.0f} s: {out[-1500:]}")
            time.sleep(0.2)

    def run(self, message: str, time_left: float, grace_s: float) -> tuple[ExecResult, float]:
        """Hand the task to the waiting driver and wait for it to end (killed `grace_s` past the
        time left). The result as `Sandbox.exec` gives one: stdout is the JSON envelope, stderr
        everything OpenClaw printed."""
        t0 = time.monotonic()
        line = json.dumps({"message": message, "timeout": max(1, int(time_left))}).encode() + b"\n"
        if self.process.write(line, timeout_s=10) != len(line):
            raise ClawGymError("OpenClaw's warm driver did not take its task")
        timed_out = False
        # until the result is written (the workspace is final then: the process's own exit, its
        # state cleanup, is not waited for) or the process ends without one
        while (code := self.process.poll()) is None and not self.sandbox.exists(RESULT_PATH):
            if time.monotonic() - t0 > time_left + grace_s:
                self.process.kill()
                code, timed_out = self.process.poll(), True
                break
            time.sleep(_POLL_S)
        envelope = ""  # none: it crashed or was killed (the caller says which)
        try:
            result = json.loads(self.sandbox.read_file(RESULT_PATH, max_bytes=16 << 20))
            envelope, code = json.dumps(result["envelope"]), int(result["exit_code"])
            self.stats = {"wall_s": round(result["wall_s"], 3), "cpu_s": round(result["cpu_s"], 3)}
        except (ClawGymError, ValueError, KeyError, TypeError):
            pass
        exit_code = -9 if timed_out or code is None else code
        return (ExecResult(exit_code=exit_code, stdout=envelope, stderr=self.process.output(), timed_out=timed_out,
                           duration_s=time.monotonic() - t0), time.monotonic() - t0)


@dataclass
class _Shape:
    start: Callable[[], WarmSession]
    ready: deque[WarmSession] = field(default_factory=deque)
    starting: int = 0
    asked: int = 0
    failures: int = 0
    last_use: float = field(default_factory=time.monotonic)


class WarmPool:
    """Ready `WarmSession`s per shape (see the module doc): `size` kept per shape once it was
    asked for `warm_after` times, closed after `idle_s` unused; a shape whose sessions fail to
    start 3 times in a row is left cold."""

    def __init__(self, size: int = 1, *, warm_after: int = 2, idle_s: float = 300.0):
        if size < 0 or warm_after < 1 or idle_s <= 0:
            raise ValueError(f"WarmPool: size >= 0, warm_after >= 1, idle_s > 0; got size={size}, "
                             f"warm_after={warm_after}, idle_s={idle_s}")
        self.size, self.warm_after, self.idle_s = size, warm_after, idle_s
        self._shapes: dict[Hashable, _Shape] = {}
        self._cv = threading.Condition()
        self._closed = False
        self._janitor: threading.Thread | None = None
        self.taken = self.missed = 0
        self.errors: list[str] = []  # why sessions failed to start, the last few

    def take(self, key: Hashable, start: Callable[[], WarmSession]) -> WarmSession | None:
        """A ready session of this shape, or None (the caller runs cold); either way the shape
        is kept filled from here on with `start`."""
        if self.size == 0:
            return None
        stale: list[WarmSession] = []
        got = None
        with self._cv:
            if self._closed:
                return None
            shape = self._shapes.setdefault(key, _Shape(start))
            shape.last_use = time.monotonic()
            shape.asked += 1
            while shape.ready and got is None:
                ws = shape.ready.popleft()
                if ws.process.poll() is None and ws.sandbox.alive:
                    got = ws
                else:
                    stale.append(ws)
            if got is not None:
                self.taken += 1
            else:
                self.missed += 1
            self._fill(shape)
            if self._janitor is None:
                self._janitor = threading.Thread(target=self._expire_loop, name="clawgym-openclaw-warm-idle",
                                                 daemon=True)
                self._janitor.start()
        for ws in stale:
            ws.close()
        return got

    def wait_ready(self, timeout_s: float = _START_TIMEOUT_S) -> bool:
        """Until no session is starting (benchmarks and tests: a rollout that finds one ready)."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while any(s.starting for s in self._shapes.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(min(left, 1.0))
            return any(s.ready for s in self._shapes.values())

    def _fill(self, shape: _Shape) -> None:
        if shape.failures >= 3 or shape.asked < self.warm_after:
            return
        for _ in range(self.size - len(shape.ready) - shape.starting):
            shape.starting += 1
            threading.Thread(target=self._start, args=(shape,), name="clawgym-openclaw-warm", daemon=True).start()

    def _start(self, shape: _Shape) -> None:
        ws: WarmSession | None = None
        try:
            ws = shape.start()
            ws.wait_ready()
        except Exception as exc:  # noqa: BLE001 -- any failure to start: recorded, and the shape goes cold after 3
            if ws is not None:
                ws.close()
                ws = None
            self.errors = [*self.errors[-4:], f"{type(exc).__name__}: {exc}"]
        with self._cv:
            shape.starting -= 1
            if ws is None:
                shape.failures += 1
            elif not self._closed:
                shape.failures = 0
                shape.ready.append(ws)
                ws = None
            self._cv.notify_all()
        if ws is not None:
            ws.close()

    def _expire_loop(self) -> None:
        """Close ready sessions of shapes nobody asked for in `idle_s`."""
        while True:
            with self._cv:
                self._cv.wait(self.idle_s / 4)
                if self._closed:
                    return
                now, old = time.monotonic(), []
                for shape in self._shapes.values():
                    while shape.ready and now - max(shape.last_use, shape.ready[0].ready_at) > self.idle_s:
                        old.append(shape.ready.popleft())
            for ws in old:
                ws.close()

    def close(self) -> None:
        """Close every ready session; sessions still starting are closed when they finish."""
        with self._cv:
            self._closed = True
            held = [ws for s in self._shapes.values() for ws in s.ready]
            self._shapes.clear()
            self._cv.notify_all()
        for ws in held:
            ws.close()


_pool: WarmPool | None = None
_pool_lock = threading.Lock()


def warm_pool() -> WarmPool:
    """The process's pool of warm OpenClaw sessions, made on first use (see `configure_warm_pool`)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._closed:
            _pool = WarmPool()
        return _pool


def configure_warm_pool(size: int = 1, **kwargs: Any) -> WarmPool:
    """Replace the process's pool (closing the old one's ready sessions): `size` sessions kept
    ready per shape, one per concurrent OpenClaw rollout; 0: every rollout starts cold; see
    `WarmPool` for the other knobs."""
    global _pool
    with _pool_lock:
        old, _pool = _pool, WarmPool(size, **kwargs)
    if old is not None:
        old.close()
    return _pool


def close_warm_pool() -> None:
    global _pool
    with _pool_lock:
        old, _pool = _pool, None
    if old is not None:
        old.close()


def _after_fork_in_child() -> None:
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()  # the parent's sessions stay the parent's


atexit.register(close_warm_pool)
os.register_at_fork(after_in_child=_after_fork_in_child)

__all__ = ["DRIVER_JS", "WarmPool", "WarmSession", "close_warm_pool", "configure_warm_pool", "warm_pool"]
