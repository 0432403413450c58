"""The plain-process backend, for machines without bubblewrap. It does NOT isolate.

Commands run on the host in a private copy of the workspace, with the environment cleared to
an allowlist, resource limits, and (as root) a throw-away uid so the process tree can be
killed and host files private to root stay private. The network, the rest of the file system
and the task's mount path are not separated: a task that hard-codes its mount path sees the
copy's real path instead (passed as argv and $CLAWGYM_WORKSPACE).
"""

from __future__ import annotations

import warnings

from clawgym.sandbox._base import Sandbox

_warned = False


class ProcessSandbox(Sandbox):
    backend = "process"

    def _setup(self) -> None:
        global _warned
        if not _warned:
            _warned = True
            warnings.warn("ClawGym is using the 'process' sandbox backend: commands are NOT "
                          "isolated (network, host files). Install bubblewrap for real isolation.",
                          RuntimeWarning, stacklevel=3)
        self.env.setdefault("CLAWGYM_WORKSPACE", str(self.host_workspace))

    @property
    def path(self) -> str:
        return str(self.host_workspace)

    def _wrap(self, argv: list[str], env: dict[str, str], cwd: str) -> list[str]:
        return argv

    def _popen_env(self, env: dict[str, str]) -> dict[str, str]:
        return {**env, "HOME": str(self.root)}
