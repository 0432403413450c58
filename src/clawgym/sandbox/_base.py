"""The sandbox contract: made from a workspace, runs commands in it, destroyed.

Every backend shares the expensive-to-get-right parts here: a dedicated throw-away uid per
sandbox when we run as root (so process-count limits bite and cleanup can find every process),
resource limits applied with `prlimit` before exec (no preexec_fn, which is unsafe in threads),
capped output capture, and a timeout that kills the whole process tree.
"""

from __future__ import annotations

import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from clawgym.errors import SandboxError
from clawgym.sandbox._files import _remove, copy_workspace
from clawgym.sandbox._procs import kill_uid
from clawgym.tasks._model import DEFAULT_MOUNT_PATH, TaskFile

ENV_ALLOWLIST = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TERM": "dumb",
    "PYTHONDONTWRITEBYTECODE": "1",
}



class SandboxLimits(BaseModel):
    """Resource limits of one sandbox. None disables a limit."""

    timeout_s: float = Field(default=120.0, gt=0, description="Default wall time of one exec.")
    cpu_s: int | None = Field(default=300, ge=1, description="CPU seconds per process (RLIMIT_CPU).")
    memory_bytes: int | None = Field(default=2 << 30, ge=1 << 20,
                                     description="Address space per process (RLIMIT_AS).")
    max_procs: int | None = Field(default=256, ge=1, description="Processes at once (RLIMIT_NPROC).")
    max_file_bytes: int | None = Field(default=1 << 30, ge=1,
                                       description="Largest file a process may write (RLIMIT_FSIZE).")
    output_bytes: int = Field(default=256 << 10, ge=1, description="Captured bytes kept per stream.")


class ExecResult(BaseModel):
    """What one command did. Output beyond the cap is dropped and counted, never silently."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""
    stdout_dropped: int = Field(default=0, description="Bytes of stdout beyond the cap.")
    stderr_dropped: int = Field(default=0, description="Bytes of stderr beyond the cap.")
    duration_s: float = 0.0
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def note(self) -> str | None:
        notes = [f"{name} truncated: {n} bytes dropped" for name, n in
                 (("stdout", self.stdout_dropped), ("stderr", self.stderr_dropped)) if n]
        if self.timed_out:
            notes.append("timed out: the whole process tree was killed")
        return "; ".join(notes) or None


class _Capture(threading.Thread):
    """Drain a pipe, keeping the first `cap` bytes and counting the rest."""

    def __init__(self, stream, cap: int):
        super().__init__(daemon=True)
        self.stream, self.cap, self.buf, self.dropped = stream, cap, bytearray(), 0
        self.start()

    def run(self) -> None:
        while chunk := self.stream.read1(65536):
            room = self.cap - len(self.buf)
            self.buf += chunk[:max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)
        self.stream.close()

    def text(self) -> str:
        return self.buf.decode("utf-8", errors="replace")


def _sandbox_uid() -> int | None:
    """A fresh unprivileged uid when we are root; None (run as ourselves) otherwise."""
    if os.geteuid() != 0:
        return None
    return 2_000_000_000 + secrets.randbelow(100_000_000)


class Sandbox(ABC):
    """An isolated place to run commands over a private copy of a workspace.

    Use as a context manager; `close()` kills whatever is left and deletes the copy.
    """

    backend: str = "base"
    leaves_processes: bool = True  # False where an exec's processes cannot outlive it

    def __init__(self, *, workspace: Path | None = None, files: Iterable[TaskFile] = (),
                 mount_path: str = DEFAULT_MOUNT_PATH, limits: SandboxLimits | None = None,
                 env: Mapping[str, str] | None = None,
                 ro_binds: Sequence[tuple[str, str]] = (), root_dir: Path | None = None,
                 replace: Sequence[str] = ()):
        self.limits = limits or SandboxLimits()
        self.mount_path = mount_path
        self.env = dict(env or {})
        self.ro_binds = list(ro_binds)
        self.uid = _sandbox_uid()
        base = root_dir or Path(os.environ.get("CLAWGYM_SANDBOX_DIR", tempfile.gettempdir()))
        base.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix="clawgym-sbx-", dir=base))
        self.host_workspace = self.root / "workspace"
        self._closed = False
        self._spawned: list[Spawned] = []
        try:
            if workspace is not None:
                copy_workspace(Path(workspace), self.host_workspace)
            else:
                self.host_workspace.mkdir()
            for rel in replace:
                _remove(self.host_workspace / rel)
            self._write(files)
            if self.uid is not None:
                self._chown_tree(self.root)
            self._setup()
        except Exception as exc:
            self.close()
            if isinstance(exc, SandboxError):
                raise
            raise SandboxError(f"could not create the sandbox workspace in {self.root}: {exc}") from exc

    def _write(self, files: Iterable[TaskFile]) -> list[Path]:
        written = []
        for f in files:
            dest = self.host_workspace / f.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            _remove(dest)
            dest.write_bytes(f.data)
            if f.executable:
                dest.chmod(0o755)
            written.append(dest)
        return written

    def write_files(self, files: Iterable[TaskFile]) -> None:
        """Put files into the workspace from outside (e.g. the checks, after the agent stops)."""
        for dest in self._write(files):
            if self.uid is not None:
                for p in [dest, *dest.parents]:
                    if p == self.host_workspace:
                        break
                    os.chown(p, self.uid, self.uid, follow_symlinks=False)

    def _chown_tree(self, root: Path) -> None:
        os.chown(root, self.uid, self.uid)
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                os.chown(os.path.join(dirpath, name), self.uid, self.uid, follow_symlinks=False)

    def _setup(self) -> None:
        """Backend hook run once the workspace is in place."""

    @property
    @abstractmethod
    def path(self) -> str:
        """The workspace's path as commands inside the sandbox see it."""

    @abstractmethod
    def _wrap(self, argv: list[str], env: dict[str, str], cwd: str) -> list[str]:
        """Turn a command into the argv that runs it inside this backend."""

    def _command(self, argv: list[str], env: Mapping[str, str] | None,
                 cwd: str | None) -> tuple[list[str], dict[str, str]]:
        """The full argv (uid drop, limits, backend) and the environment of one command."""
        full_env = {**ENV_ALLOWLIST, "HOME": "/root", **self.env, **(env or {})}
        # setpriv drops to the sandbox uid (cheaper than Popen(user=...), which forbids vfork);
        # prlimit then lowers the limits; both exec away before the backend starts.
        drop = (["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups"]
                if self.uid is not None else [])
        return drop + self._limit_args() + self._wrap(argv, full_env, cwd or self.path), full_env

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

    def exec(self, command: str | Sequence[str], *, timeout_s: float | None = None,
             env: Mapping[str, str] | None = None, cwd: str | None = None,
             stdin: bytes | None = None) -> ExecResult:
        """Run a command (a shell string or an argv) in the workspace; never raises on failure
        of the command itself, only when the sandbox cannot run it at all."""
        if self._closed:
            raise SandboxError("sandbox is closed")
        argv = ["/bin/bash", "-c", command] if isinstance(command, str) else list(command)
        wrapped, full_env = self._command(argv, env, cwd)
        timeout = timeout_s or self.limits.timeout_s
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                wrapped, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                env=self._popen_env(full_env))
        except OSError as exc:
            raise SandboxError(f"{self.backend} sandbox could not start {wrapped[0]!r}: {exc}") from exc
        out = _Capture(proc.stdout, self.limits.output_bytes)
        err = _Capture(proc.stderr, self.limits.output_bytes)
        if stdin is not None:
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        timed_out = self._wait(proc, timeout)
        self._kill_tree(proc)
        proc.wait()
        out.join(5)
        err.join(5)
        return ExecResult(exit_code=proc.returncode, stdout=out.text(), stderr=err.text(),
                          stdout_dropped=out.dropped, stderr_dropped=err.dropped,
                          duration_s=time.monotonic() - start, timed_out=timed_out)

    def spawn(self, command: str, *, env: Mapping[str, str] | None = None, cwd: str | None = None) -> "Spawned":
        """Start a command in the background (its own instance of the backend, sharing the
        workspace); it lives until killed or until the sandbox closes."""
        if self._closed:
            raise SandboxError("sandbox is closed")
        wrapped, full_env = self._command(["/bin/bash", "-c", command], env, cwd)
        try:
            proc = subprocess.Popen(wrapped, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env=self._popen_env(full_env))
        except OSError as exc:
            raise SandboxError(f"{self.backend} sandbox could not start {wrapped[0]!r}: {exc}") from exc
        spawned = Spawned(proc, _Capture(proc.stdout, self.limits.output_bytes), self)
        self._spawned.append(spawned)
        return spawned

    def kill_all(self) -> None:
        """Stop every background process (the agent has stopped; nothing may touch the files)."""
        for s in getattr(self, "_spawned", []):
            s.kill()
        if self.uid is not None and self.leaves_processes:
            kill_uid(self.uid)

    @staticmethod
    def _wait(proc: subprocess.Popen, timeout: float) -> bool:
        """Block until the command exits or the timeout passes; True if it timed out.

        A pidfd + poll wakes the moment the process exits (Popen.wait(timeout) polls with
        sleeps of up to 50 ms, which costs more than the whole sandbox start-up).
        """
        try:
            fd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            try:
                proc.wait(timeout=timeout)
                return False
            except subprocess.TimeoutExpired:
                return True
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            return not poller.poll(timeout * 1000)
        finally:
            os.close(fd)

    def _popen_env(self, env: dict[str, str]) -> dict[str, str]:
        return {"PATH": ENV_ALLOWLIST["PATH"]}

    def _kill_tree(self, proc: subprocess.Popen) -> None:
        """Kill the command's process group and, with a sandbox uid, every process of that uid
        (which also catches children that left the group with setsid)."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.uid is not None:
            kill_uid(self.uid)

    def close(self) -> None:
        """Kill anything left and delete the sandbox's files. Safe to call twice."""
        if self._closed:
            return
        self.kill_all()
        self._closed = True
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()


class Spawned:
    """A background command: poll it, read its output so far, write to its stdin, kill it."""

    def __init__(self, proc: subprocess.Popen, capture: _Capture, sandbox: Sandbox):
        self.proc, self.capture, self.sandbox = proc, capture, sandbox
        self.started = time.monotonic()

    def poll(self) -> int | None:
        return self.proc.poll()

    def output(self) -> str:
        return self.capture.text()

    def write(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.sandbox._kill_tree(self.proc)
        self.proc.wait()
        self.capture.join(5)
