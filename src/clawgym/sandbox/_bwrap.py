"""The default backend: bubblewrap.

No network (a private network namespace with only its own loopback), a read-only view of the
host's system folders and nothing else of it (no /home, /work, /srv, no task folders), private
/tmp, /run and HOME, the workspace bind-mounted read-write at the task's mount path, a private
pid namespace (when the command exits or is killed, every process it left dies with it), and
an environment cleared to an allowlist.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from clawgym.errors import SandboxError
from clawgym.sandbox._base import Sandbox

_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError("bubblewrap (bwrap) is not installed: run `apt-get install -y bubblewrap`, "
                           "or choose the unisolated backend with --sandbox process")
    return path


class BwrapSandbox(Sandbox):
    backend = "bwrap"
    leaves_processes = False  # the pid namespace dies with each command

    def _setup(self) -> None:
        self._bwrap = bwrap_path()
        if not self.mount_path.startswith("/"):
            raise SandboxError(f"mount path must be absolute, got {self.mount_path!r}")
        # --as-pid-1: the command is the namespace's init, so no bwrap init is orphaned as a
        # zombie on hosts whose pid 1 does not reap; when it exits, the namespace dies whole.
        base = [self._bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--as-pid-1",
                "--uid", "0", "--gid", "0", "--hostname", "sandbox"]
        for d in _SYSTEM_DIRS:
            if os.path.islink(d):
                base += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                base += ["--ro-bind", d, d]
        base += ["--tmpfs", "/tmp", "--tmpfs", "/root", "--tmpfs", "/run", "--tmpfs", "/var",
                 "--dev", "/dev", "--proc", "/proc"]
        for src, dest in self.ro_binds:
            if not Path(src).exists():
                raise SandboxError(f"read-only bind source {src} does not exist")
            base += ["--ro-bind", src, dest]
        base += ["--bind", str(self.host_workspace), self.mount_path]
        self._base_argv = base

    @property
    def path(self) -> str:
        return self.mount_path

    def _wrap(self, argv: list[str], env: dict[str, str], cwd: str) -> list[str]:
        envargs: list[str] = ["--clearenv"]
        for k, v in env.items():
            envargs += ["--setenv", k, v]
        return [*self._base_argv, *envargs, "--chdir", cwd, "--", *argv]

    def _kill_tree(self, proc) -> None:
        # The pid namespace dies with bwrap, so killing its group is enough (and cheap).
        import signal

        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
