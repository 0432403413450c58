"""ClawGym: synthesize, run, verify, train and benchmark personal-agent tasks.

The root exports the few nouns; heavy parts (models, training) are imported lazily by their
own subpackages so `import clawgym` and `clawgym --help` stay fast.
"""

from clawgym.errors import ClawGymError, Problem, SandboxError, TaskSpecError, VerifierError
from clawgym.sandbox import ExecResult, Sandbox, SandboxLimits, create_sandbox
from clawgym.tasks import Task, TaskFile, load_tasks, save_tasks
from clawgym.verify import VerifyResult, verify_code, verify_many

__version__ = "0.1.0"

__all__ = [
    "ClawGymError", "ExecResult", "Problem", "Sandbox", "SandboxError", "SandboxLimits", "Task",
    "TaskFile", "TaskSpecError", "VerifierError", "VerifyResult", "create_sandbox", "load_tasks",
    "save_tasks", "verify_code", "verify_many",
]
