"""The reference solution, run in a sandbox: the oracle agent's whole job, and QA's reference
probe. It lives here, under both, so that verification never depends on the agent layer."""

from __future__ import annotations

from clawgym.sandbox import ExecResult, Sandbox
from clawgym.tasks import Task, TaskFile

STAGING = ".clawgym_solution"


def solution_entry(task: Task) -> str | None:
    names = {f.path for f in task.solution}
    return "solve.sh" if "solve.sh" in names else "solve.py" if "solve.py" in names else None


def run_solution(task: Task, sandbox: Sandbox) -> ExecResult | None:
    """Run solve.sh (bash) or solve.py (python3) in the workspace; None when the task has none.
    The solution's files are staged in the workspace and removed after it ran."""
    entry = solution_entry(task)
    if entry is None:
        return None
    sandbox.write_files([TaskFile(path=f"{STAGING}/{f.path}", data=f.data, executable=f.executable)
                         for f in task.solution])
    runner = "bash" if entry == "solve.sh" else "python3"
    command = f"{runner} {STAGING}/{entry}; rc=$?; rm -rf {STAGING}; exit $rc"
    return sandbox.exec(command, timeout_s=task.limits.timeout_s or 600)
