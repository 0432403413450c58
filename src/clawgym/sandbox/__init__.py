"""Sandboxes: isolated, limited, disposable places to run an agent's commands and the checks."""

from __future__ import annotations

from typing import Any

from clawgym.sandbox._base import ENV_ALLOWLIST, ExecResult, Sandbox, SandboxLimits
from clawgym.sandbox._bwrap import BwrapSandbox
from clawgym.sandbox._process import ProcessSandbox

BACKENDS: dict[str, type[Sandbox]] = {"bwrap": BwrapSandbox, "process": ProcessSandbox}


def sandbox_class(name: str) -> type[Sandbox]:
    """A backend by name, or by "module:Class" for third-party backends."""
    if name in BACKENDS:
        return BACKENDS[name]
    if ":" in name:
        import importlib

        module, _, cls = name.partition(":")
        return getattr(importlib.import_module(module), cls)
    raise ValueError(f"unknown sandbox backend {name!r}; choose {', '.join(BACKENDS)} or 'module:Class'")


def create_sandbox(backend: str = "bwrap", **kwargs: Any) -> Sandbox:
    """Make a sandbox of the named backend (see `Sandbox.__init__` for the arguments)."""
    return sandbox_class(backend)(**kwargs)


__all__ = ["BACKENDS", "ENV_ALLOWLIST", "BwrapSandbox", "ExecResult", "ProcessSandbox", "Sandbox",
           "SandboxLimits", "create_sandbox", "sandbox_class"]
