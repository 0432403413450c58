"""Teacher trajectories made of real tool calls, for SFT.

The oracle agent runs `solve.sh` as one `exec` call: a model trained on that learns to call a
script it will never have. The teacher instead acts the solution out with OpenClaw's tools, in
the environment (`ClawEnv`), so its trajectory is the one a good agent would leave:

1. look at the workspace (`exec find . -type f`), read the inputs the instruction names;
2. make the changes the reference solution makes: `write` each file it creates or changes
   (full content), one `exec` of `mkdir -p` + `mv` for files it moves, `rm` for files it deletes;
3. answer with a short summary and no tool call.

The changes come from a plan: by default `solution_plan`, which runs the task's reference
solution in a scratch sandbox and diffs the final workspace against the initial one; a task
family may supply its own (`TeacherAgent(plan=...)`, any `task -> list of {"name", "arguments"}`).
Every teacher trajectory is verified like any rollout: only those that score are kept for SFT.

    traj = rollout(task, TeacherAgent())                                  # Python
    clawgym run TASKS --agent clawgym.train:TeacherAgent --out runs/teacher     # CLI
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Callable
from typing import Any

from clawgym.agent import Agent, AssistantMessage, ClawEnv, EnvConfig, ToolCallPart, digest
from clawgym.errors import ClawGymError
from clawgym.sandbox import BACKENDS, Sandbox, create_sandbox
from clawgym.tasks import Task
from clawgym.verify import run_solution

ToolPlan = list[dict[str, Any]]


class TeacherError(ClawGymError):
    """The reference solution cannot be acted out with tool calls (it fails, or writes binary files)."""


def _text(data: bytes | None) -> str | None:
    if data is None or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def solution_plan(task: Task, *, backend: str = "bwrap", max_reads: int = 3, read_max_bytes: int = 4000,
                  write_max_bytes: int = 32_000) -> ToolPlan:
    """Tool calls that reproduce the reference solution's effect on the workspace."""
    with create_sandbox(backend, files=task.workspace, mount_path=task.mount_path) as sb:
        res = run_solution(task, sb)
        if res is None:
            raise TeacherError(f"task {task.id} has no reference solution (solution/solve.sh or solve.py)")
        if not res.ok:
            raise TeacherError(f"the reference solution of {task.id} failed (exit {res.exit_code}): "
                               f"{(res.stdout + res.stderr)[-300:]}")
        sb.kill_all()
        with sb.export() as archive:
            final = digest(archive, keep_bytes=write_max_bytes)
    before = {f.path: f.data for f in task.workspace}
    import hashlib

    before_sha = {p: hashlib.sha256(d).hexdigest() for p, d in before.items()}
    deleted = [p for p in before if p not in final]
    written = [p for p, st in final.items() if p not in before or before_sha[p] != st.sha256]
    # a deleted file whose exact bytes reappear elsewhere was moved
    moves: list[tuple[str, str]] = []
    by_sha = {before_sha[p]: p for p in deleted}
    for p in list(written):
        src = by_sha.pop(final[p].sha256, None) if p not in before else None
        if src is not None:
            moves.append((src, p))
            written.remove(p)
            deleted.remove(src)

    calls: ToolPlan = [{"name": "exec", "arguments": {"command": "find . -type f | sort"}}]
    named = [p for p in before if (p in task.instruction or posixpath.basename(p) in task.instruction)
             and _text(before[p]) is not None and len(before[p]) <= read_max_bytes]
    folders = {posixpath.dirname(p) for p in [*deleted, *(s for s, _ in moves)]}
    if not named:  # nothing named: read the inputs in the folders being worked on, or any small text input
        named = [p for p in before if posixpath.dirname(p) in folders and _text(before[p]) is not None
                 and len(before[p]) <= read_max_bytes]
    if not named:
        named = [p for p in sorted(before, key=lambda p: len(before[p]))
                 if _text(before[p]) is not None and len(before[p]) <= read_max_bytes]
    for p in named[:max_reads]:
        calls.append({"name": "read", "arguments": {"path": p}})
    if moves:
        dirs = sorted({posixpath.dirname(d) for _, d in moves} - {""})
        lines = ([f"mkdir -p {' '.join(shlex.quote(d) for d in dirs)}"] if dirs else []) + \
                [f"mv {shlex.quote(s)} {shlex.quote(d)}" for s, d in sorted(moves, key=lambda m: m[1])]
        calls.append({"name": "exec", "arguments": {"command": "\n".join(lines)}})
    for p in sorted(written):
        content = _text(final[p].data)
        if content is None:
            raise TeacherError(f"the solution of {task.id} writes {p}, which is binary or larger than "
                               f"{write_max_bytes} bytes: it cannot be written with the write tool")
        calls.append({"name": "write", "arguments": {"path": p, "content": content}})
    if deleted:
        calls.append({"name": "exec", "arguments": {"command": "rm -f " + " ".join(shlex.quote(p) for p in deleted)}})
    return calls


def summary(calls: ToolPlan) -> str:
    """The teacher's final answer: what it did, in a sentence or two."""
    writes = [c["arguments"]["path"] for c in calls if c["name"] == "write"]
    moved = sum(len(re.findall(r"^mv ", c["arguments"]["command"], re.M)) for c in calls if c["name"] == "exec")
    parts = []
    if writes:
        shown = ", ".join(f"`{p}`" for p in writes[:4]) + (f" and {len(writes) - 4} more" if len(writes) > 4 else "")
        parts.append(f"wrote {shown}")
    if moved:
        parts.append(f"moved {moved} file{'s' if moved != 1 else ''}")
    removed = [c for c in calls if c["name"] == "exec" and c["arguments"]["command"].startswith("rm ")]
    if removed:
        parts.append("removed the files that had to go")
    return ("Done: I " + "; ".join(parts) + ".") if parts else "Done: nothing needed to change."


class TeacherAgent(Agent):
    """Acts out a tool-call plan through the environment (see the module docstring)."""

    name = "teacher"

    def __init__(self, model: Any = None, config: EnvConfig | None = None, *,
                 plan: Callable[[Task], ToolPlan] | None = None, backend: str | None = None):
        # `model` is accepted (and ignored) so `--agent clawgym.train:TeacherAgent` works with or without --model
        self.cfg = EnvConfig(**config.model_dump(include=set(EnvConfig.model_fields))) if config else EnvConfig()
        self.plan, self.backend = plan, backend

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "plan": getattr(self.plan, "__name__", "solution_plan")}

    def _backend(self, sandbox: Sandbox) -> str:
        if self.backend:
            return self.backend
        for name, cls in BACKENDS.items():
            if type(sandbox) is cls:
                return name
        return "bwrap"

    def run(self, task, sandbox, traj, on_event=None) -> None:
        traj.model = {"kind": "teacher", "name": self.config()["plan"]}
        try:
            calls = self.plan(task) if self.plan else solution_plan(task, backend=self._backend(sandbox))
        except TeacherError as exc:
            traj.messages = [{"role": "user", "content": task.instruction}]
            traj.status, traj.error, traj.stop_reason = "agent_error", str(exc), "agent_crash"
            return
        env = ClawEnv(self.cfg, on_event=on_event)
        env.reset(task, sandbox=sandbox, trajectory=traj)
        try:
            for i, call in enumerate(calls):
                msg = AssistantMessage(tool_calls=[ToolCallPart(id=f"call_{i}", name=call["name"],
                                                                arguments=json.dumps(call["arguments"],
                                                                                     ensure_ascii=False))])
                result = env.step(msg)
                if result.terminated or result.truncated:
                    return
            env.step(AssistantMessage(content=summary(calls)))
        finally:
            env.close()
