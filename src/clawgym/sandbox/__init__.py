"""Sandboxes: isolated, limited, disposable sessions in which an agent's tools and the checks run.

A `Sandbox` is made from a workspace, lives for one rollout (or one verification), and is
destroyed; every operation on its files and processes runs inside it (see `_base`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from clawgym import registry

from clawgym.sandbox._base import (
    ENV_ALLOWLIST, ExecResult, FileStat, ListEntry, NetworkPolicy, OperationError, Process, ReadPage, Sandbox,
    SandboxLimitExceeded, SandboxLimits, iter_archive, read_archive,
)
from clawgym.sandbox._bwrap import BwrapSandbox
from clawgym.sandbox._cgroup import MemoryGroup
from clawgym.sandbox._docker import DockerSandbox, check_docker
from clawgym.sandbox._files import tar_directory, tar_files
from clawgym.sandbox._pool import SandboxPool, close_pool, configure_pool, default_pool
from clawgym.sandbox._process import ProcessSandbox
from clawgym.sandbox._selfcheck import CheckResult, SelfCheckError, self_check


class _Backends(Mapping[str, type[Sandbox]]):
    """The registered sandbox backends by name: a read-only view of the one registry
    (`clawgym.registry`), so a backend registered there is known here too."""

    def __getitem__(self, name: str) -> type[Sandbox]:
        if name not in registry.REGISTRY["sandbox"]:
            raise KeyError(name)
        return sandbox_class(name)

    def __iter__(self) -> Iterator[str]:
        return iter(registry.REGISTRY["sandbox"])

    def __len__(self) -> int:
        return len(registry.REGISTRY["sandbox"])


BACKENDS: Mapping[str, type[Sandbox]] = _Backends()


def sandbox_class(name: str) -> type[Sandbox]:
    """A backend by its registry name (bwrap, process, docker) or by "module:Class" for a user's
    own, through the one registry. Raises `RegistryError` (a ValueError) naming the known ones."""
    return registry.load("sandbox", name)


def create_sandbox(backend: str = "bwrap", **kwargs: Any) -> Sandbox:
    """Make a sandbox of the named backend (see `Sandbox.__init__` for the arguments): a session
    of the process's warm pool (`configure_pool`), pre-started for this shape and filled with
    this workspace, when one is ready; else one started now. Either way a session nothing ran
    in before, for this caller alone, ended by its `close()`."""
    sb = default_pool().create(sandbox_class(backend), **kwargs)
    sb.backend = backend  # its registry name: what makes another session like it (`module:Class` too)
    return sb


def prewarm_sandbox(backend: str = "bwrap", count: int = 1, **kwargs: Any) -> None:
    """Have `count` sessions of this shape (the `create_sandbox` arguments but the workspace)
    started ahead in the background, for a need known before it comes (a rollout's verification
    while the model still works). A later `create_sandbox` of the same shape takes one."""
    default_pool().prewarm(sandbox_class(backend), count, **kwargs)


__all__ = ["BACKENDS", "CheckResult", "SelfCheckError", "self_check", "ENV_ALLOWLIST", "BwrapSandbox", "DockerSandbox", "check_docker", "ExecResult", "FileStat", "ListEntry", "MemoryGroup", "NetworkPolicy",
           "OperationError", "Process", "ProcessSandbox", "ReadPage", "Sandbox", "SandboxLimitExceeded",
           "SandboxLimits", "SandboxPool", "close_pool", "configure_pool", "create_sandbox", "default_pool", "prewarm_sandbox", "iter_archive", "read_archive", "sandbox_class", "tar_directory",
           "tar_files"]
