"""ClawGym: synthesize, run, verify, train and benchmark personal-agent tasks.

The root exports the few nouns, imported on first use (PEP 562), so `import clawgym` and
`clawgym --help` stay fast; heavy libraries (torch, transformers, ray) load only with the
model or executor that needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "clawgym.agent": ["Agent", "AgentConfig", "LLMAgent", "Trajectory", "rollout"],
    "clawgym.errors": ["ClawGymError", "Problem", "SandboxError", "TaskSpecError", "VerifierError"],
    "clawgym.models": ["ChatModel", "ModelError", "SamplingParams", "load_model"],
    "clawgym.runs": ["RunConfig", "RunStore", "execute"],
    "clawgym.sandbox": ["ExecResult", "Sandbox", "SandboxLimits", "create_sandbox"],
    "clawgym.tasks": ["Task", "TaskFile", "load_tasks", "save_tasks"],
    "clawgym.verify": ["VerifyResult", "verify", "verify_code", "verify_many"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'clawgym' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
