"""Sandboxes: isolated, limited, disposable sessions in which an agent's tools and the checks run.

A `Sandbox` is made from a workspace, lives for one rollout (or one verification), and is
destroyed; every operation on its files and processes runs inside it (see `_base`).
"""

from __future__ import annotations

from typing import Any

from clawgym.sandbox._base import (
    ENV_ALLOWLIST, ExecResult, FileStat, ListEntry, NetworkPolicy, OperationError, Process, ReadPage, Sandbox,
    SandboxLimitExceeded, SandboxLimits, iter_archive, read_archive,
)
from clawgym.sandbox._bwrap import BwrapSandbox
from clawgym.sandbox._cgroup import MemoryGroup
from clawgym.sandbox._docker import DockerSandbox, check_docker
from clawgym.sandbox._files import tar_directory, tar_files
from clawgym.sandbox._process import ProcessSandbox

BACKENDS: dict[str, type[Sandbox]] = {"bwrap": BwrapSandbox, "process": ProcessSandbox}


def sandbox_class(name: str) -> type[Sandbox]:
    """A backend by name, or by "module:Class" for third-party backends."""
    if name in BACKENDS:
        return BACKENDS[name]
    if name == "docker":
        return DockerSandbox
    if ":" in name:
        import importlib

        module, _, cls = name.partition(":")
        return getattr(importlib.import_module(module), cls)
    raise ValueError(f"unknown sandbox backend {name!r}; choose {', '.join([*BACKENDS, 'docker'])} or 'module:Class'")


def create_sandbox(backend: str = "bwrap", **kwargs: Any) -> Sandbox:
    """Make a sandbox of the named backend (see `Sandbox.__init__` for the arguments)."""
    return sandbox_class(backend)(**kwargs)


__all__ = ["BACKENDS", "ENV_ALLOWLIST", "BwrapSandbox", "DockerSandbox", "check_docker", "ExecResult", "FileStat", "ListEntry", "MemoryGroup", "NetworkPolicy",
           "OperationError", "Process", "ProcessSandbox", "ReadPage", "Sandbox", "SandboxLimitExceeded",
           "SandboxLimits", "create_sandbox", "iter_archive", "read_archive", "sandbox_class", "tar_directory",
           "tar_files"]
