"""`self_check(backend)`: the conformance suite every sandbox backend passes (as inspect_ai's
sandbox tests and Gymnasium's `check_env`), ours in the tests and a user's `module:Class` before
a run trusts it.

Why a suite and not a base class alone: the protocol is small (exec, read/write/list/remove,
export), but an implementation can honour the signatures and still get the semantics wrong (an
exit code swallowed, stderr merged into stdout, a timeout that does not kill, an export that
loses bytes). Each check runs the real operation in a real session and says what it expected.
Isolation is checked as far as the backend claims it: an isolating backend (`isolates`) must
hide the host's files and network; one that does not isolate must say so.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clawgym.errors import SandboxError
from clawgym.sandbox._base import OperationError, Sandbox, read_archive
from clawgym.tasks import TaskFile

_SEED = TaskFile(path="seed/in.txt", data=b"seed \xe2\x9c\x93\n")
_BLOB = bytes(range(256)) * 4  # every byte value: nothing may be re-encoded on the way


class SelfCheckError(SandboxError):
    """A backend failed its conformance checks; the message lists each failure and why."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


def self_check(backend: str | type[Sandbox], *, raise_on_failure: bool = True,
               **options: Any) -> list[CheckResult]:
    """Run the conformance suite on a backend (a registry name, ``module:Class``, or a class).
    `options` go to every session it makes (limits, image, ...). Returns one result per check;
    raises `SelfCheckError` listing the failures unless `raise_on_failure` is False. A session
    that cannot be made at all raises the backend's own error."""
    from clawgym.sandbox import create_sandbox, sandbox_class

    name = backend if isinstance(backend, str) else f"{backend.__module__}:{backend.__qualname__}"
    cls = sandbox_class(backend) if isinstance(backend, str) else backend

    def make(**kw: Any) -> Sandbox:
        if isinstance(backend, str):
            return create_sandbox(backend, **options, **kw)
        return cls(**options, **kw)

    results: list[CheckResult] = []
    with make(files=[_SEED]) as sb:
        for check in _SESSION_CHECKS:
            results.append(_run(check.__name__.removeprefix("check_"), lambda: check(sb)))
        results.append(_run("export_import_round_trip", lambda: check_round_trip(sb, make)))
        results.append(_run("isolation", lambda: check_isolation(sb, cls)))
    results.append(_run("close_is_final", lambda: check_close(make)))
    failed = [r for r in results if not r.ok]
    if failed and raise_on_failure:
        raise SelfCheckError(f"sandbox backend {name!r} failed {len(failed)} of {len(results)} conformance checks: "
                             + "; ".join(f"{r.name}: {r.detail}" for r in failed)
                             + ". Fix the backend (see clawgym.sandbox.Sandbox) before running agents in it")
    return results


def _run(name: str, fn: Callable[[], str | None]) -> CheckResult:
    try:
        return CheckResult(name, True, fn() or "")
    except _Fail as exc:
        return CheckResult(name, False, str(exc))
    except Exception as exc:  # an operation that raised instead of answering is a failure too
        return CheckResult(name, False, f"{type(exc).__name__}: {exc}")


class _Fail(Exception):
    pass


def _expect(cond: bool, why: str) -> None:
    if not cond:
        raise _Fail(why)


def check_exec_exit_codes(sb: Sandbox) -> None:
    for cmd, code in (("true", 0), ("exit 3", 3), (["/bin/sh", "-c", "exit 7"], 7)):
        r = sb.exec(cmd, timeout_s=30)
        _expect(r.exit_code == code and not r.timed_out, f"exec({cmd!r}) gave exit code {r.exit_code}, expected {code}")
    r = sb.exec(["/no/such/program"], timeout_s=30)
    _expect(r.exit_code != 0, "a program that does not exist exited 0")


def check_exec_output(sb: Sandbox) -> None:
    r = sb.exec("printf 'to out'; printf 'to err' >&2", timeout_s=30)
    _expect(r.stdout == "to out", f"stdout was {r.stdout!r}, expected 'to out'")
    _expect(r.stderr == "to err", f"stderr was {r.stderr!r}, expected 'to err' (kept apart from stdout)")
    r = sb.exec("cat", stdin=b"piped in", timeout_s=30)
    _expect(r.stdout == "piped in", f"stdin did not reach the command (stdout {r.stdout!r})")
    r = sb.exec("pwd", timeout_s=30)
    _expect(r.stdout.strip() == sb.path, f"commands run in {r.stdout.strip()!r}, not the workspace {sb.path!r}")


def check_exec_timeout(sb: Sandbox) -> None:
    t = time.monotonic()
    r = sb.exec("sleep 30; echo late", timeout_s=1)
    took = time.monotonic() - t
    _expect(r.timed_out, f"a 30 s command under a 1 s timeout was not reported as timed out (exit {r.exit_code})")
    _expect("late" not in r.stdout, "the command ran on past its timeout")
    _expect(took < 15, f"a 1 s timeout took {took:.1f} s to return")
    r = sb.exec("true", timeout_s=30)
    _expect(r.exit_code == 0, "the session did not work after a timed-out command")


def check_files(sb: Sandbox) -> None:
    _expect(sb.read_file(f"{sb.path}/{_SEED.path}") == _SEED.data, "the workspace's file did not arrive intact")
    target = f"{sb.path}/out/sub/blob.bin"
    sb.write_file(target, _BLOB)
    _expect(sb.read_file(target) == _BLOB, "a written file read back different bytes")
    _expect(sb.read_file(target, offset=256, max_bytes=16) == _BLOB[256:272], "read_file ignored offset/max_bytes")
    r = sb.exec("cat out/sub/blob.bin | wc -c", timeout_s=30)
    _expect(r.stdout.strip() == str(len(_BLOB)), f"a command saw {r.stdout.strip()} bytes of a written file")
    listed = {e.path: e for e in sb.list(sb.path, recursive=True)}
    _expect("out/sub/blob.bin" in listed and listed["out/sub/blob.bin"].size == len(_BLOB),
            f"list() did not show the written file with its size (got {sorted(listed)[:10]})")
    _expect(sb.exists(target), "exists() missed a written file")
    sb.remove(f"{sb.path}/out", recursive=True)
    _expect(not sb.exists(target), "remove() left the file")
    sb.remove(f"{sb.path}/out", recursive=True, missing_ok=True)
    try:
        sb.read_file(target)
    except OperationError:
        pass
    else:
        raise _Fail("reading a missing file did not raise OperationError")


def check_round_trip(sb: Sandbox, make: Callable[..., Sandbox]) -> None:
    sb.write_file(f"{sb.path}/trip/blob.bin", _BLOB)
    with sb.export() as archive:
        files = read_archive(archive)
        _expect(files.get("trip/blob.bin") == _BLOB and files.get(_SEED.path) == _SEED.data,
                f"the export lost or changed files (it holds {sorted(files)[:10]})")
        archive.seek(0)
        with make(archive=archive) as other:
            _expect(other.read_file(f"{other.path}/trip/blob.bin") == _BLOB,
                    "a session made from the export (import) read different bytes")


def check_isolation(sb: Sandbox, cls: type[Sandbox]) -> str:
    if not sb.isolates:
        _expect(cls.isolates is False, "the session does not isolate but its class claims to")
        return f"{sb.backend} does not isolate (isolates=False): host files and network are reachable"
    secret_dir = tempfile.mkdtemp(prefix="clawgym-selfcheck-")
    secret = os.path.join(secret_dir, "host-secret.txt")
    listener = socket.socket()
    try:
        with open(secret, "w") as fh:
            fh.write("HOST-SECRET-8c1f")
        r = sb.exec(["cat", secret], timeout_s=30)
        _expect("HOST-SECRET" not in r.stdout, f"a host file ({secret}) is readable inside the sandbox")
        try:
            data = sb.read_file(secret)
        except OperationError:
            data = b""
        _expect(b"HOST-SECRET" not in data, f"read_file reached a host file ({secret})")
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        r = sb.exec(f"echo hi > /dev/tcp/127.0.0.1/{port}", timeout_s=15)
        _expect(r.exit_code != 0, f"the sandbox reached a host port (127.0.0.1:{port}) with network policy none")
    finally:
        listener.close()
        shutil.rmtree(secret_dir, ignore_errors=True)
    return "host files and the host's network are out of reach"


def check_close(make: Callable[..., Sandbox]) -> None:
    sb = make()
    sb.close()
    sb.close()  # twice is fine
    try:
        sb.exec("true", timeout_s=5)
    except SandboxError:
        return
    raise _Fail("a closed session still ran a command (it must raise SandboxError)")


_SESSION_CHECKS = (check_exec_exit_codes, check_exec_output, check_exec_timeout, check_files)

__all__ = ["CheckResult", "SelfCheckError", "self_check"]
