"""The sandbox contract: a session made from a workspace, alive for one rollout, then destroyed.

One isolated instance per session runs a small trusted server (`_server.py`) as the sandbox's
uid, and every operation goes through it: `exec` (foreground or background), `read_file`,
`write_file`, `list`, `stat`, `remove`, `export`. Nothing here opens a path inside a workspace on
the host, so an agent that swaps a folder for a symlink can reach only what its sandbox sees,
and a backend can be anywhere the server can run (bubblewrap, a plain process, a container).

The host end treats the server as untrusted (an agent shares its uid): every reply is bounded
in bytes and seconds, and a server that misbehaves ends the session, never the host. Limits
apply to the sandbox as a whole (a cgroup for memory and processes, size-capped private mounts)
and per process (CPU, address space, file size, via prlimit before the backend starts).
"""

from __future__ import annotations

import io
import json
import marshal
import math
import os
import secrets
import select
import shutil
import signal
import struct
import subprocess
import tarfile
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, Field

from clawgym import settings
from clawgym.errors import SandboxError
from clawgym.sandbox._cgroup import Cgroup
from clawgym.sandbox import _files, _reaper
from clawgym.sandbox._files import tar_directory, tar_files
from clawgym.sandbox._procs import kill_uid
from clawgym.sandbox._reach import check_reachable
from clawgym.sandbox._proxy import FORWARDER_SOURCE, MODEL_PORT, MODEL_SOCKET_IN_SANDBOX, ModelProxy
from clawgym.tasks import DEFAULT_MOUNT_PATH, TaskFile

ENV_ALLOWLIST = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TERM": "dumb",
    "PYTHONDONTWRITEBYTECODE": "1",
}
SERVER_SOURCE = (Path(__file__).with_name("_server.py")).read_text()
# The compiled server arrives as the first {n} bytes of the server's input, read unbuffered (the
# protocol follows on the same pipe): no file of the host needs to be visible in the sandbox.
_BOOT = "import marshal,os\nb=b''\nwhile len(b)<{n}:\n b+=os.read(0,{n}-len(b)) or exit(3)\nexec(marshal.loads(b))"
_compiled: dict[str, bytes | None] = {}
_compiled_lock = threading.Lock()


def compiled_server(python: str) -> bytes | None:
    """The server compiled once by the interpreter that will run it (its bytecode is that
    version's): unmarshalling takes 0.05 ms where compiling the source takes ~10 ms, at every
    session start. None where that interpreter cannot do it (the source is sent instead)."""
    with _compiled_lock:
        if python not in _compiled:
            code = "import marshal,sys;sys.stdout.buffer.write(marshal.dumps(compile(sys.stdin.read(),'clawgym-sandbox-server','exec')))"
            try:
                r = subprocess.run([python, "-I", "-S", "-c", code], input=SERVER_SOURCE.encode(),
                                   capture_output=True, timeout=60)
                _compiled[python] = r.stdout if r.returncode == 0 and r.stdout else None
            except (OSError, subprocess.TimeoutExpired):
                _compiled[python] = None
        return _compiled[python]
_FRAME_MAX = 8 << 20  # no reply frame is bigger; the server's chunks are 1 MiB
_REPLY_MAX = 64 << 20  # a whole non-export reply
_GRACE_S = 5.0  # on top of an exec's own timeout, before the host gives up on the server
NetworkPolicy = Literal["none", "model"]


class SandboxLimitExceeded(SandboxError):
    """The sandbox as a whole hit a limit (memory, processes, disk): the agent's doing, scored
    as the agent's failure with this reason, never retried as an infrastructure fault."""


class SandboxLimits(BaseModel):
    """Resource limits of one sandbox. None disables a limit."""

    timeout_s: float = Field(default=120.0, gt=0, allow_inf_nan=False, description="Default wall time of one exec.")
    cpu_s: int | None = Field(default=300, ge=1, description="CPU seconds per process (RLIMIT_CPU).")
    memory_bytes: int | None = Field(default=2 << 30, ge=1 << 20,
                                     description="Address space per process (RLIMIT_AS).")
    max_procs: int | None = Field(default=256, ge=1, description="Processes at once (RLIMIT_NPROC and the cgroup).")
    max_file_bytes: int | None = Field(default=1 << 30, ge=1,
                                       description="Largest file a process may write (RLIMIT_FSIZE).")
    output_bytes: int = Field(default=256 << 10, ge=1, description="Captured bytes kept per stream.")
    sandbox_memory_bytes: int | None = Field(
        default=4 << 30, ge=64 << 20,
        description="Memory of the whole sandbox, its private mounts included (cgroup; as root).")
    workspace_bytes: int = Field(default=1 << 30, ge=1 << 20, description="Size cap of the workspace.")
    tmp_bytes: int = Field(default=256 << 20, ge=1 << 20,
                           description="Size cap of each private mount: /tmp, HOME (/root), /var, /run.")
    memory_group: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="A memory group (`MemoryGroup`, e.g. a run's) whose budget caps this sandbox together "
                    "with the group's others (cgroup; as root).")


class ExecResult(BaseModel):
    """What one command did. Output beyond the cap is dropped and counted, never silently."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""
    stdout_dropped: int = Field(default=0, description="Bytes of stdout beyond the cap.")
    stderr_dropped: int = Field(default=0, description="Bytes of stderr beyond the cap.")
    duration_s: float = 0.0
    timed_out: bool = False
    memory_limit: bool = Field(default=False, description="The sandbox's memory limit killed a process.")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def note(self) -> str | None:
        notes = [f"{name} truncated: {n} bytes dropped" for name, n in
                 (("stdout", self.stdout_dropped), ("stderr", self.stderr_dropped)) if n]
        if self.timed_out:
            notes.append("timed out: the whole process tree was killed")
        if self.memory_limit:
            notes.append("killed: a memory limit was reached (the sandbox's own, or its memory group's)")
        return "; ".join(notes) or None


class FileStat(BaseModel):
    type: Literal["file", "dir", "symlink", "fifo", "socket", "other"]
    size: int
    mode: int = 0
    mtime: float = 0.0


class ListEntry(BaseModel):
    path: str = Field(description="Relative to the listed folder; not-UTF-8 bytes surrogate-escaped.")
    type: str
    size: int = 0


class ReadPage(BaseModel):
    text: str
    first_line: int
    lines: int
    total_lines: int
    size: int
    binary: bool = False


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _sandbox_uid() -> int | None:
    """A fresh unprivileged uid when we are root; None (run as ourselves) otherwise."""
    if os.geteuid() != 0:
        return None
    return 2_000_000_000 + secrets.randbelow(100_000_000)


class _Channel:
    """The host end of the protocol: one request at a time, every read and write bounded by a
    deadline and every reply by a size, over the server's stdin/stdout pipes."""

    def __init__(self, proc: subprocess.Popen, fail: Callable[[str], SandboxError]):
        self.proc = proc
        self.wfd, self.rfd = proc.stdin.fileno(), proc.stdout.fileno()
        os.set_blocking(self.wfd, False)
        os.set_blocking(self.rfd, False)
        self.lock = threading.RLock()
        self.broken: str | None = None
        self._fail_session = fail

    def _fail(self, why: str) -> SandboxError:
        """Mark the channel broken (the session ends) and return the error to raise."""
        self.broken = self.broken or why
        return self._fail_session(self.broken)

    def _wait(self, fd: int, event: int, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._fail(f"the sandbox server did not answer in time")
        poller = select.poll()
        poller.register(fd, event)
        if not poller.poll(left * 1000):
            raise self._fail("the sandbox server did not answer in time")

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self._wait(self.wfd, select.POLLOUT, deadline)
            try:
                n = os.write(self.wfd, view[:1 << 20])
            except BlockingIOError:
                continue
            except OSError as exc:
                raise self._fail(f"the sandbox server is gone ({exc.strerror})") from None
            view = view[n:]

    def send_raw(self, data: bytes, *, timeout: float) -> None:
        with self.lock:
            self._send(data, time.monotonic() + timeout)

    def _recv(self, n: int, deadline: float) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = os.read(self.rfd, n - len(buf))
            except BlockingIOError:
                self._wait(self.rfd, select.POLLIN, deadline)
                continue
            if not chunk:
                raise self._fail("the sandbox server exited")
            buf += chunk
        return bytes(buf)

    def _frame(self, deadline: float) -> bytes:
        (n,) = struct.unpack(">I", self._recv(4, deadline))
        if n > _FRAME_MAX:
            raise self._fail(f"the sandbox server sent a frame of {n} bytes")
        return self._recv(n, deadline)

    def _header(self, deadline: float) -> dict[str, Any]:
        raw = self._frame(deadline)
        try:
            obj = json.loads(raw)
        except ValueError:
            raise self._fail("the sandbox server sent a reply that is not JSON") from None
        if not isinstance(obj, dict):
            raise self._fail("the sandbox server sent a reply that is not an object")
        return obj

    def call(self, header: dict[str, Any], *, timeout: float, payload: bytes | IO[bytes] | None = None,
             sink: IO[bytes] | None = None, max_bytes: int = _REPLY_MAX) -> tuple[dict[str, Any], bytes]:
        """Send one request (and its payload), return the reply and its payload (into `sink`,
        when given, else in memory). Raises SandboxError when the server breaks the protocol
        or the deadline; an operation's own failure comes back as {"ok": False, ...}."""
        with self.lock:
            if self.broken:
                raise self._fail(self.broken)
            deadline = time.monotonic() + timeout
            if payload is not None:
                header = {**header, "nbytes": -1}
            body = marshal.dumps(header)
            self._send(struct.pack(">I", len(body)) + body, deadline)
            if payload is not None:
                src = io.BytesIO(payload) if isinstance(payload, (bytes, bytearray)) else payload
                while chunk := src.read(1 << 20):
                    self._send(struct.pack(">I", len(chunk)) + chunk, deadline)
                self._send(struct.pack(">I", 0), deadline)
            reply = self._header(deadline)
            data = bytearray()
            if reply.get("stream"):
                total = 0
                while chunk := self._frame(deadline):
                    total += len(chunk)
                    if total > max_bytes:
                        raise self._fail(f"the sandbox sent more than {max_bytes} bytes")
                    if sink is not None:
                        sink.write(chunk)
                    else:
                        data += chunk
                if header.get("op") == "export":  # the export's outcome follows its stream
                    reply = self._header(deadline)
            return reply, bytes(data)


class Process:
    """A background command in a session: poll it, read its output so far, write to its stdin
    (bounded in time), kill it."""

    def __init__(self, sandbox: Sandbox, sid: str):
        self.sandbox, self.sid = sandbox, sid
        self.started = time.monotonic()
        self._returncode: int | None = None
        self._output = ""

    def _poll(self) -> None:
        if self.sandbox.closed:
            return
        reply, data = self.sandbox._call({"op": "poll", "sid": self.sid})
        self._returncode, self._output = reply.get("returncode"), _text(data)

    def poll(self) -> int | None:
        self._poll()
        return self._returncode

    def output(self) -> str:
        self._poll()
        return self._output

    def write(self, data: bytes, timeout_s: float = 5.0) -> int:
        """Bytes the command took within timeout_s (a command that never reads takes none)."""
        reply, _ = self.sandbox._call({"op": "write_stdin", "sid": self.sid, "timeout": timeout_s},
                                      payload=data, timeout=timeout_s + _GRACE_S)
        return int(reply.get("written", 0))

    def kill(self) -> None:
        if not self.sandbox.closed:
            self.sandbox._call({"op": "kill", "sid": self.sid})


class OperationError(SandboxError):
    """A file or process operation failed inside the sandbox (no such file, not a folder, ...):
    the caller's input was wrong, the sandbox is fine. Tools turn it into a message for the model."""

    def __init__(self, message: str, errno: int | None = None):
        super().__init__(message)
        self.errno = errno


class Sandbox(ABC):
    """An isolated session over a private copy of a workspace; see the module docstring.

    Use as a context manager; `close()` kills whatever is left and deletes everything.
    """

    backend: str = "base"
    isolates: bool = True  # False for backends that share the host (the process backend)
    at_mount_path: bool = False  # `path` is the mount path, known before the session starts

    def __init__(self, *, workspace: Path | None = None, files: Iterable[TaskFile] = (),
                 archive: bytes | IO[bytes] | None = None,
                 mount_path: str = DEFAULT_MOUNT_PATH, limits: SandboxLimits | None = None,
                 env: Mapping[str, str] | None = None,
                 ro_binds: Sequence[tuple[str, str]] = (), root_dir: Path | None = None,
                 replace: Sequence[str] = (), network: NetworkPolicy = "none",
                 model_endpoint: str | None = None, deadline: float | None = None):
        if not mount_path.startswith("/"):
            raise SandboxError(f"mount path must be absolute, got {mount_path!r}")
        if network not in ("none", "model"):
            raise SandboxError(f"unknown network policy {network!r}; use 'none' or 'model'")
        if network == "model" and not model_endpoint:
            raise SandboxError("network policy 'model' needs the model's endpoint (model_endpoint='http://host:port/v1')")
        self.limits = limits or SandboxLimits()
        self.mount_path = mount_path
        self.env = dict(env or {})
        self.ro_binds = list(ro_binds)
        self.network = network
        self.model_endpoint = model_endpoint
        self._proxy: ModelProxy | None = None
        self.deadline = deadline
        self.uid = _sandbox_uid()
        self.closed = False
        self._sid = 0
        self._proc: subprocess.Popen | None = None
        self._cgroup: Cgroup | None = None
        base = root_dir or settings.current().sandbox_root()
        base.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="clawgym-sbx-", dir=base))
        self._pid = os.getpid()  # a forked child inherits this object, never the session: see close()
        try:
            self._setup()
            self._start()
            self._load(workspace=workspace, archive=archive, files=files, replace=replace)
        except BaseException as exc:
            self.close()
            if isinstance(exc, SandboxError) or not isinstance(exc, Exception):
                raise
            raise SandboxError(f"could not create the {self.backend} sandbox: {exc}") from exc

    def _load(self, *, workspace: Path | None = None, archive: bytes | IO[bytes] | None = None,
              files: Iterable[TaskFile] = (), replace: Sequence[str] = ()) -> None:
        """Fill the (empty, just started) workspace: a host folder, then a tar, then `replace`d
        paths removed, then files. Through the server's import op, as every later write: a
        session taken from a warm pool (`_pool`) is filled by this same call."""
        if workspace is not None:
            self._import(tar_directory(Path(workspace)))
        if archive is not None:
            self._import(archive)
        for rel in replace:
            self.remove(rel, recursive=True, missing_ok=True)
        files = list(files)
        if files:
            self._import(tar_files(files))

    # -- backend hooks -----------------------------------------------------------------------
    def _setup(self) -> None:
        """Backend hook run before the server starts."""

    @property
    @abstractmethod
    def path(self) -> str:
        """The workspace's path as commands inside the sandbox see it."""

    @abstractmethod
    def _server_argv(self, python_argv: list[str], env: dict[str, str]) -> list[str]:
        """The argv that starts the server (`python_argv`) inside this backend with `env`."""

    def _host_paths(self, python: str) -> list[tuple[str, str]]:
        """Host paths the sandbox's own uid must reach (bind sources, its folder), each with what it
        is: checked before the start, so one it cannot see is named instead of a bare failure."""
        return []

    host_bytecode: bool = True  # the server runs on the host's interpreter binary: send it compiled

    def _server_python(self) -> str:
        return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else os.path.realpath(
            shutil.which("python3") or "/usr/bin/python3")

    # -- lifecycle ---------------------------------------------------------------------------
    def _start(self) -> None:
        if self.network == "model" and self.isolates:
            self._proxy = ModelProxy(self.root / "model.sock", self.model_endpoint or "", uid=self.uid)
            self.root.chmod(0o711)
        self.env.update(self._network_env())
        env = {**ENV_ALLOWLIST, "HOME": "/root", **self.env, "CLAWGYM_WS": self.path,
               "CLAWGYM_KILL_ALL": "1" if (self.isolates or self.uid is not None) else "0"}
        python = self._server_python()
        code = compiled_server(python) if self.host_bytecode else None
        boot = _BOOT.format(n=len(code)) if code else SERVER_SOURCE
        argv = self._wrap_host_argv(self._server_argv([python, "-I", "-S", "-c", boot], env))
        check_reachable(self._host_paths(python), self.uid, self.backend)
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=None if settings.current().sandbox_debug else subprocess.DEVNULL, start_new_session=True,
                                          env=self._popen_env(env))
        except OSError as exc:
            raise SandboxError(f"{self.backend} sandbox could not start {argv[0]!r}: {exc}") from exc
        self._channel = _Channel(self._proc, self._fail)
        if code:
            self._channel.send_raw(code, timeout=30)
        self._call({"op": "hello"}, timeout=30)
        self._started = True
        if self._proxy is not None:
            self._start_forwarder(python)

    def _start_forwarder(self, python: str) -> None:
        """Inside: 127.0.0.1:MODEL_PORT relayed to the bind-mounted socket (see `_proxy`)."""
        fwd = self.spawn([python, "-I", "-S", "-c", FORWARDER_SOURCE, str(MODEL_PORT), MODEL_SOCKET_IN_SANDBOX])
        deadline = time.monotonic() + 10
        while "ready" not in fwd.output():
            if fwd._returncode is not None or time.monotonic() > deadline:
                raise SandboxError(f"the model relay in the sandbox did not start: {fwd._output[-300:]!r}")
            time.sleep(0.005)

    def _network_env(self) -> dict[str, str]:
        """Where a program in the sandbox finds the model, under network policy 'model'."""
        if self.network != "model" or self.model_endpoint is None:
            return {}
        url = self._proxy.inside_url() if self._proxy is not None else self.model_endpoint
        return {"OPENAI_BASE_URL": url, "CLAWGYM_MODEL_URL": url}

    def _wrap_host_argv(self, argv: list[str]) -> list[str]:
        """The backend's argv as the host runs it: as the sandbox's uid, under the per-process
        limits, in the sandbox's cgroup. A backend whose argv is only a client of the sandbox
        (a container engine's CLI) applies its limits itself and returns argv as it is."""
        drop = (["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups"]
                if self.uid is not None else [])
        argv = drop + self._limit_args() + argv
        if os.geteuid() == 0:
            self._cgroup = Cgroup.create(self.root.name, memory_bytes=self.limits.sandbox_memory_bytes,
                                         pids=(self.limits.max_procs or 0) + 16 if self.limits.max_procs else None,
                                         group=self.limits.memory_group)
            if self._cgroup is not None:
                argv = self._cgroup.enter_argv() + argv
        return argv

    def _popen_env(self, env: dict[str, str]) -> dict[str, str]:
        return {"PATH": ENV_ALLOWLIST["PATH"]}

    def _limit_args(self) -> list[str]:
        lim, args = self.limits, []
        if lim.cpu_s:
            args.append(f"--cpu={lim.cpu_s}")
        if lim.memory_bytes:
            args.append(f"--as={lim.memory_bytes}")
        if lim.max_procs:
            args.append(f"--nproc={lim.max_procs}")
        if lim.max_file_bytes:
            args.append(f"--fsize={lim.max_file_bytes}")
        return ["prlimit", *args, "--"] if args else []

    def _fail(self, why: str) -> SandboxError:
        """The channel broke (server gone, late or lying): end the session, say why. A server
        that died under the session's feet was killed from inside (the memory limit, or the
        agent's own `kill -9 -1`): the agent's doing, never retried as infrastructure."""
        gone = self._proc is not None and self._proc.poll() is not None
        self._terminate()
        if self._cgroup is not None and self._cgroup.oom_kills() > 0:
            return SandboxLimitExceeded(f"{self.memory_limit_reason()} and was stopped")
        if gone and not self.closed and getattr(self, "_started", False):
            return SandboxLimitExceeded(f"the sandbox's server was stopped from inside ({why}): "
                                        "the agent's processes killed it")
        return SandboxError(f"{self.backend} sandbox failed: {why}")

    def memory_limit_reason(self) -> str:
        """Which memory limit stopped a process of this sandbox: its own, or its memory group's
        (the run's sandboxes together), with the number and what to change."""
        if self._cgroup is not None and self.limits.memory_group and not self._cgroup.hit_own_limit():
            return (f"the sandboxes of memory group {self.limits.memory_group!r} (a run's) together reached their "
                    "memory budget, and the kernel stopped the largest of their processes, this sandbox's; run "
                    "fewer attempts at once (--concurrency) or give the run a larger --memory-budget")
        return f"the sandbox reached its memory limit ({self.limits.sandbox_memory_bytes} bytes)"

    def _terminate(self) -> None:
        """Stop the session's every process: the server's process group, then whatever is left
        in its cgroup (or, without one, of its uid). Backends that do not die whole with their
        server get a moment to let it stop its children itself."""
        proc = self._proc
        if proc is not None and proc.poll() is None and not self.isolates:
            try:
                proc.stdin.close()  # end of input: the server kills its commands and exits
                proc.wait(1)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if proc is not None:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self._cgroup is not None:
            self._cgroup.kill()
        elif self.uid is not None:
            kill_uid(self.uid)

    reap_later: bool = False  # a backend whose every process dies with one SIGKILL pass (see close)

    def close(self) -> None:
        """Kill anything left and delete the sandbox's files. Safe to call twice.

        Where the backend allows (`reap_later`: bubblewrap, whose processes all live in the
        session's cgroup or die with its pid namespace), every process is sent SIGKILL here and
        the rest (reaping, the namespace's teardown, removing the cgroup) is handed to a reaper
        thread (`_reaper`): nothing of the session runs after close returns, and the caller
        does not wait the 10-60 ms the kernel takes to clear it away."""
        if getattr(self, "closed", True):
            return
        self.closed = True
        if getattr(self, "_pid", os.getpid()) != os.getpid():
            return  # inherited across a fork: the session is the parent's to close, not ours
        proc = self._proc
        if proc is not None:
            for f in (proc.stdin, proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
        if self.reap_later and (self._cgroup is not None or self.uid is None):
            self._kill_now()
            if self._proxy is not None:
                self._proxy.close()
            shutil.rmtree(self.root, ignore_errors=True)
            _reaper.hand_over(self._reap)
            return
        self._terminate()
        if self._proxy is not None:
            self._proxy.close()
        if self._cgroup is not None:
            self._cgroup.remove()
        self._teardown()
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_now(self) -> None:
        """SIGKILL every process of the session's cgroup but the backend's own (bubblewrap), once,
        without waiting: the server is its pid namespace's init, so when it dies all of the
        namespace dies, and bubblewrap, its parent, reaps it and exits (killed first, it would
        leave the server an orphan for the host's init to reap). Without a cgroup, the server's
        input has just ended: it stops its commands and exits by itself."""
        proc = self._proc
        if self._cgroup is not None:
            for pid in self._cgroup.pids():
                if proc is not None and pid == proc.pid:
                    continue
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def _reap(self) -> None:
        """The rest of close, in the reaper thread: wait for the processes (bubblewrap exits
        with its init), stop whatever is left, remove the cgroup."""
        if self._proc is not None:
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self._terminate()
        if self._cgroup is not None:
            self._cgroup.remove()
        self._teardown()

    def _teardown(self) -> None:
        """Backend hook run at close, after every process is gone."""

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "closed", True):
            try:
                self.close()
            except Exception:  # at interpreter exit, half the world is gone already
                pass

    # -- the protocol ------------------------------------------------------------------------
    def _timeout(self, wanted: float) -> float:
        """Seconds a call may take: what it asks, never past the session's deadline (plus the
        grace that lets the server report a timeout itself)."""
        if self.deadline is not None:
            wanted = min(wanted, max(self.deadline - time.monotonic(), 0.0) + _GRACE_S)
        return max(wanted, 0.5)

    def _call(self, header: dict[str, Any], *, payload: bytes | IO[bytes] | None = None, timeout: float = 60.0,
              sink: IO[bytes] | None = None, max_bytes: int = _REPLY_MAX) -> tuple[dict[str, Any], bytes]:
        if self.closed:
            raise SandboxError("sandbox is closed")
        reply, data = self._channel.call(header, payload=payload, timeout=self._timeout(timeout),
                                         sink=sink, max_bytes=max_bytes)
        if not reply.get("ok"):
            code = reply.get("errno")
            raise OperationError(str(reply.get("error") or "operation failed")[:2000],
                                 code if isinstance(code, int) else None)
        return reply, data

    def _import(self, archive: bytes | IO[bytes]) -> None:
        self._call({"op": "import"}, payload=archive, timeout=300)

    # -- commands ----------------------------------------------------------------------------
    def _env(self, env: Mapping[str, str] | None) -> dict[str, str]:
        return {**ENV_ALLOWLIST, "HOME": "/root", **self.env, **{str(k): str(v) for k, v in (env or {}).items()}}

    @property
    def python(self) -> str:
        """The trusted interpreter the session's server runs on (inside the sandbox)."""
        return self._server_python()

    def run_python(self, script: str, args: Sequence[str] = (), *, timeout_s: float | None = None,
                   env: Mapping[str, str] | None = None, cwd: str | None = None) -> ExecResult:
        """Run a Python script as `python3 -E -s script args...` would, on the session's trusted
        interpreter, forked from the already running server instead of starting a new
        interpreter (the checks of a verification cost their own work, not ~15 ms of start-up).
        Same result shape and limits as `exec`."""
        return self.exec([script, *args], timeout_s=timeout_s, env=env, cwd=cwd, _inline=True)

    def exec(self, command: str | Sequence[str], *, timeout_s: float | None = None,
             env: Mapping[str, str] | None = None, cwd: str | None = None,
             stdin: bytes | None = None, _inline: bool = False) -> ExecResult:
        """Run a command (a shell string or an argv) in the workspace and wait for it; when it
        ends or times out its whole process group is killed. Never raises on failure of the
        command itself, only when the sandbox cannot run it at all."""
        argv = ["/bin/bash", "-c", command] if isinstance(command, str) else list(command)
        timeout = timeout_s or self.limits.timeout_s
        if not math.isfinite(timeout) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if self.deadline is not None:
            timeout = max(min(timeout, self.deadline - time.monotonic()), 0.1)
        ooms = self._cgroup.oom_kills() if self._cgroup is not None else 0
        try:
            reply, data = self._call(
                {"op": "exec", "argv": argv, "env": self._env(env), "cwd": cwd, "timeout": timeout,
                 "output_bytes": self.limits.output_bytes, "inline": _inline},
                payload=stdin, timeout=timeout + _GRACE_S, max_bytes=2 * self.limits.output_bytes)
        except OperationError as exc:  # could not start it (no such program, bad cwd): a result
            return ExecResult(exit_code=127, stderr=f"{exc}\n")
        n = min(int(reply.get("stdout_len", 0)), len(data))
        return ExecResult(exit_code=int(reply.get("exit_code", -1)), stdout=_text(data[:n]), stderr=_text(data[n:]),
                          stdout_dropped=int(reply.get("stdout_dropped", 0)),
                          stderr_dropped=int(reply.get("stderr_dropped", 0)),
                          duration_s=float(reply.get("duration_s", 0.0)), timed_out=bool(reply.get("timed_out")),
                          memory_limit=self._cgroup is not None and self._cgroup.oom_kills() > ooms)

    def spawn(self, command: str | Sequence[str], *, env: Mapping[str, str] | None = None,
              cwd: str | None = None) -> Process:
        """Start a command in the background; it lives until killed or until the session ends."""
        argv = ["/bin/bash", "-c", command] if isinstance(command, str) else list(command)
        self._sid += 1
        sid = f"p{self._sid}"
        self._call({"op": "spawn", "sid": sid, "argv": argv, "env": self._env(env), "cwd": cwd,
                    "output_bytes": self.limits.output_bytes})
        return Process(self, sid)

    def kill_all(self) -> None:
        """Stop every process in the sandbox but its server (the agent has stopped: nothing may
        touch the files from here on)."""
        if not self.closed:
            self._call({"op": "kill_all"})

    # -- files -------------------------------------------------------------------------------
    def read_file(self, path: str, *, max_bytes: int = 1 << 20, offset: int = 0, confine: bool = False) -> bytes:
        """Up to max_bytes of a regular file (never a FIFO, device or a final symlink); with
        `confine`, only a file inside the workspace."""
        _, data = self._call({"op": "read_file", "path": path, "max_bytes": max_bytes, "offset": offset,
                              "confine": confine}, max_bytes=max_bytes)
        return data

    def read_lines(self, path: str, *, offset: int = 1, limit: int = 2000, max_bytes: int = 50_000,
                   confine: bool = False) -> ReadPage:
        """A page of a text file, counted through to the end in the sandbox: a file of any size
        costs the host at most max_bytes."""
        reply, data = self._call({"op": "read_lines", "path": path, "offset": offset, "limit": limit,
                                  "max_bytes": max_bytes, "confine": confine}, max_bytes=max_bytes + 1)
        return ReadPage(text=_text(data), first_line=offset, lines=int(reply.get("lines", 0)),
                        total_lines=int(reply.get("total_lines", 0)), size=int(reply.get("size", 0)),
                        binary=bool(reply.get("binary")))

    def write_file(self, path: str, data: bytes, *, mode: int | None = None, mkdirs: bool = True,
                   confine: bool = False) -> int:
        """Create or replace a regular file (parents made); refuses to write through a symlink,
        into a FIFO or over a folder; with `confine`, anywhere but inside the workspace."""
        reply, _ = self._call({"op": "write_file", "path": path, "mode": mode, "mkdirs": mkdirs,
                               "confine": confine}, payload=data)
        return int(reply.get("written", 0))

    @property
    def alive(self) -> bool:
        """Open and answering: not closed, its server running, its channel whole."""
        channel = getattr(self, "_channel", None)
        return (not self.closed and self._proc is not None and self._proc.poll() is None
                and channel is not None and channel.broken is None)

    def _private_dirs(self) -> tuple[list[str], list[str]]:
        """(folders a command may write, what to keep in them): what `refill` empties."""
        return [self.path], []

    def refill(self, *, workspace: Path | None = None, archive: bytes | IO[bytes] | None = None,
               files: Iterable[TaskFile] = (), replace: Sequence[str] = ()) -> None:
        """Make this session ready for another workspace of the same trusted run: every process
        but the server stopped, the workspace and the session's other writable folders (its
        private /tmp, HOME, /var, /run) emptied, then filled as a new session is. For one
        verifier run over many workspaces it derived itself (QA's probes of one task); never
        between agents or tasks: those get a session each."""
        self.kill_all()
        paths, keep = self._private_dirs()
        self._call({"op": "clear", "paths": paths, "keep": keep}, timeout=120)
        self._load(workspace=workspace, archive=archive, files=files, replace=replace)

    def write_files(self, files: Iterable[TaskFile]) -> None:
        """Put files into the workspace from outside (e.g. the checks, after the agent stops),
        replacing whatever is at each path."""
        files = list(files)
        for f in files:
            self.remove(f.path, recursive=True, missing_ok=True)
        if files:
            self._import(tar_files(files))

    def workspace_free_bytes(self) -> int | None:
        """Bytes still free in the workspace's file system (its size-capped mount), or None when
        that cannot be told. Near 0: the agent filled its workspace to the cap."""
        r = self.exec(["stat", "-f", "-c", "%a %S", self.path], timeout_s=10)
        try:
            blocks, size = (int(x) for x in r.stdout.split())
        except ValueError:
            return None
        return blocks * size if r.exit_code == 0 else None

    def stat(self, path: str) -> FileStat:
        reply, _ = self._call({"op": "stat", "path": path})
        return FileStat.model_validate({k: reply[k] for k in ("type", "size", "mode", "mtime") if k in reply})

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
            return True
        except OperationError:
            return False

    def list(self, path: str | None = None, *, recursive: bool = False, limit: int = 10_000) -> list[ListEntry]:
        reply, _ = self._call({"op": "list", "path": path, "recursive": recursive, "limit": limit})
        return [ListEntry.model_validate(e) for e in reply.get("entries", [])[:limit] if isinstance(e, dict)]

    def remove(self, path: str, *, recursive: bool = False, missing_ok: bool = False) -> None:
        self._call({"op": "remove", "path": path, "recursive": recursive, "missing_ok": missing_ok})

    def hash_files(self) -> dict[str, tuple[int, str]]:
        """Size and sha256 of every regular file in the workspace, hashed inside the sandbox."""
        reply, _ = self._call({"op": "hash", "path": self.path}, timeout=300)
        files = reply.get("files", {})
        return {str(k): (int(v[0]), str(v[1])) for k, v in files.items()} if isinstance(files, dict) else {}

    def export(self, sink: IO[bytes] | None = None) -> IO[bytes]:
        """The workspace as a tar stream (folders and regular files; links to files inside it
        become copies, anything else is left out), bounded by the workspace's size cap. Returns
        a file object at position 0 (spooled to disk when large)."""
        out = sink or tempfile.SpooledTemporaryFile(max_size=32 << 20)
        cap = self.limits.workspace_bytes + (64 << 20)
        self._call({"op": "export", "path": self.path, "max_bytes": self.limits.workspace_bytes,
                    "max_entries": _files.max_workspace_entries()},
                   sink=out, timeout=600, max_bytes=cap)
        out.seek(0)
        return out

    def export_files(self, max_bytes: int = 256 << 20) -> dict[str, bytes]:
        """The workspace as {path: bytes}, for trusted workspaces (a reference solution's)."""
        return read_archive(self.export(), max_bytes=max_bytes)


def iter_archive(fileobj: IO[bytes], *, keep_bytes: int) -> Iterator[tuple[str, int, bytes | None, str]]:
    """(path, size, content if at most keep_bytes else None, sha256) of each regular file in a
    tar from `export`: read as a stream, in memory only up to keep_bytes per file."""
    import hashlib

    with tarfile.open(fileobj=fileobj, mode="r|", encoding="utf-8", errors="surrogateescape") as tf:
        for m in tf:
            if not m.isreg():
                continue
            src = tf.extractfile(m)
            h, head = hashlib.sha256(), bytearray()
            while chunk := src.read(1 << 20):
                h.update(chunk)
                if len(head) <= keep_bytes:
                    head += chunk[: keep_bytes + 1 - len(head)]
            yield m.name, m.size, bytes(head) if m.size <= keep_bytes else None, h.hexdigest()


def read_archive(fileobj: IO[bytes], *, max_bytes: int = 256 << 20) -> dict[str, bytes]:
    files, total = {}, 0
    for name, size, data, _ in iter_archive(fileobj, keep_bytes=max_bytes):
        total += size
        if data is None or total > max_bytes:
            raise SandboxError(f"workspace over {max_bytes} bytes")
        files[name] = data
    return files
