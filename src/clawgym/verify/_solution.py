"""The reference solution, run in a sandbox: the oracle agent's whole job, and QA's reference
probe. It lives here, under both, so that verification never depends on the agent layer."""

from __future__ import annotations

import shlex

from clawgym.errors import SandboxError
from clawgym.sandbox import ExecResult, Sandbox
from clawgym.settings import DEFAULT_TIMEOUT_S
from clawgym.tasks import Task


def solution_entry(task: Task) -> str | None:
    names = {f.path for f in task.solution}
    return "solve.sh" if "solve.sh" in names else "solve.py" if "solve.py" in names else None


def run_solution(task: Task, sandbox: Sandbox) -> ExecResult | None:
    """Run solve.sh (bash) or solve.py (python3) from the workspace; None when the task has none.

    The solution's files are staged outside the workspace, in `$HOME/.clawgym_solution` (the
    sandbox's private home; a fresh temporary folder where that would fall inside the workspace),
    and removed after it ran: a solution that lists, copies or archives the workspace never sees
    itself, and the workspace it leaves holds only what it did. The staging path is the same in
    every sandbox of a backend, so that what a solution prints (a traceback) is reproducible."""
    entry = solution_entry(task)
    if entry is None:
        return None
    ws = sandbox.path.rstrip("/")
    made = sandbox.exec('d="$HOME/.clawgym_solution"; case "$d/" in "$PWD"/*) d=$(mktemp -d) || exit 1;; esac; '
                        'rm -rf "$d" && mkdir -p "$d" && printf %s "$d"', timeout_s=30)
    staging = made.stdout.strip()
    if made.exit_code != 0 or not staging.startswith("/") or staging == ws or staging.startswith(ws + "/"):
        raise SandboxError(f"could not make a staging folder outside the workspace for the reference solution of "
                           f"task {task.id}: exit {made.exit_code}, got {staging!r}: {made.stderr.strip()[-300:]}")
    for f in task.solution:
        sandbox.write_file(f"{staging}/{f.path}", f.data, mode=0o755 if f.executable else None)
    runner = "bash" if entry == "solve.sh" else "python3"
    where = shlex.quote(staging)
    command = f"{runner} {where}/{entry}; rc=$?; rm -rf {where}; exit $rc"
    return sandbox.exec(command, timeout_s=task.limits.timeout_s or DEFAULT_TIMEOUT_S)
