"""The default backend: bubblewrap, one instance per session.

No network (a private network namespace with only its own loopback; under policy "model", a
relay to the model's endpoint alone, see `_proxy`), a read-only view of the
host's system folders and nothing else of it (no /home, /work, /srv, no task folders), private
size-capped /tmp, /run, /var and HOME, the workspace on a size-capped private mount at the
task's path, a private pid namespace (when the session ends, every process in it dies), and an
environment cleared to an allowlist. `python` is on the PATH (as the trusted python3), because
ClawGym's checks and instructions call it and Debian has only `python3`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from clawgym.errors import SandboxError
from clawgym.sandbox._base import Sandbox
from clawgym.sandbox._proxy import MODEL_SOCKET_IN_SANDBOX

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
SHIM_DIR = "/run/clawgym/bin"  # last on the PATH: `python` -> the trusted python3


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError("bubblewrap (bwrap) is not installed: run `apt-get install -y bubblewrap`, "
                           "or choose the unisolated backend with --sandbox process")
    return path


class BwrapSandbox(Sandbox):
    backend = "bwrap"
    at_mount_path = True
    reap_later = True  # one SIGKILL pass stops it all (pid namespace + cgroup): close need not wait

    @property
    def path(self) -> str:
        return self.mount_path

    def _private_dirs(self) -> tuple[list[str], list[str]]:
        return [self.mount_path, "/tmp", "/root", "/var", "/run"], [SHIM_DIR.rsplit("/", 1)[0], self.mount_path]

    def _host_paths(self, python: str) -> list[tuple[str, str]]:
        paths = [(src, "the read-only bind source") for src, _ in self.ro_binds]
        if self._proxy is not None:
            paths.append((str(self._proxy.path), "the model relay's socket"))
        return paths

    def _server_argv(self, python_argv: list[str], env: dict[str, str]) -> list[str]:
        lim = self.limits
        # --as-pid-1: the server is the namespace's init, so when it exits (its input ended: the
        # host is gone) every process in the sandbox dies with it, and the agent's `kill -9 -1`
        # cannot reach it (a namespace's init ignores signals from inside). No --die-with-parent:
        # its signal follows the *thread* that started bwrap, and a session may outlive that
        # thread (a trainer's worker pool).
        argv = [bwrap_path(), "--unshare-all", "--new-session", "--as-pid-1",
                "--uid", "0", "--gid", "0", "--hostname", "sandbox"]
        for d in _SYSTEM_DIRS:
            if os.path.islink(d):
                argv += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                argv += ["--ro-bind", d, d]
        for d in ("/tmp", "/root", "/run", "/var"):
            argv += ["--size", str(lim.tmp_bytes), "--tmpfs", d]
        argv += ["--dev", "/dev", "--proc", "/proc"]
        for src, dest in self.ro_binds:
            if not Path(src).exists():
                raise SandboxError(f"read-only bind source {src} does not exist")
            argv += ["--ro-bind", src, dest]
        argv += ["--size", str(lim.workspace_bytes), "--tmpfs", self.mount_path]
        argv += ["--dir", SHIM_DIR, "--symlink", python_argv[0], f"{SHIM_DIR}/python"]
        if self._proxy is not None:  # network policy "model": the one way out (see _proxy)
            argv += ["--bind", str(self._proxy.path), MODEL_SOCKET_IN_SANDBOX]
        env = {**env, "PATH": env.get("PATH", "") + ":" + SHIM_DIR}
        self.env.setdefault("PATH", env["PATH"])
        argv.append("--clearenv")
        for k, v in env.items():
            argv += ["--setenv", k, v]
        return [*argv, "--chdir", self.mount_path, "--", *python_argv]
