"""The plain-process backend, for machines without bubblewrap. It does NOT isolate.

The session's server runs on the host over a private folder holding the workspace copy, with
the environment cleared to an allowlist, resource limits, and (as root) a throw-away uid and a
cgroup, so the process tree can be killed and host files private to root stay private. The
network, the rest of the file system and the task's mount path are not separated: a task that
hard-codes its mount path sees the copy's real path instead (passed as $CLAWGYM_WORKSPACE), and
there is no workspace size cap.
"""

from __future__ import annotations

import os
import sys
import warnings

from clawgym.sandbox._base import Sandbox

_warned = False


class ProcessSandbox(Sandbox):
    backend = "process"
    isolates = False

    def _setup(self) -> None:
        global _warned
        if not _warned:
            _warned = True
            warnings.warn("ClawGym is using the 'process' sandbox backend: commands are NOT "
                          "isolated (network, host files). Install bubblewrap for real isolation.",
                          RuntimeWarning, stacklevel=4)
        ws, home = self.root / "workspace", self.root / "home"
        ws.mkdir()
        home.mkdir()
        shim = self.root / "bin"
        shim.mkdir()
        (shim / "python").symlink_to(self._server_python())
        if self.uid is not None:
            for p in (self.root, ws, home):
                os.chown(p, self.uid, self.uid)
        self.env.setdefault("CLAWGYM_WORKSPACE", str(ws))
        self.env.setdefault("HOME", str(home))
        self.env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:" + str(shim))

    @property
    def path(self) -> str:
        return str(self.root / "workspace")

    def _private_dirs(self) -> tuple[list[str], list[str]]:
        return [self.path, str(self.root / "home")], []

    def _server_python(self) -> str:
        return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

    def _host_paths(self, python: str) -> list[tuple[str, str]]:
        where = "the sandbox's folder (set its parent with CLAWGYM_SANDBOX_DIR or root_dir)"
        return [(str(self.root), where), (python, "the server's interpreter")]

    def _server_argv(self, python_argv: list[str], env: dict[str, str]) -> list[str]:
        return python_argv

    def _popen_env(self, env: dict[str, str]) -> dict[str, str]:
        return env
