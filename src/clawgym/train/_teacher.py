"""Teacher trajectories made of real tool calls, for SFT.

The oracle agent runs `solve.sh` as one `exec` call: a model trained on that learns to call a
script it will never have. The teacher instead acts the solution out with OpenClaw's tools, in
the environment (`ClawEnv`), so its trajectory is the one a good agent would leave:

1. look at the workspace (`exec find . -type f`), read the inputs the instruction names;
2. make the changes the reference solution makes as a capable agent would: targeted `edit`s
   (the smallest unique old/new text) for files it changes, `write` for files it creates, one
   `exec` of `mkdir -p` + `mv` for files it moves, `rm` for files it deletes;
3. answer with a short summary and no tool call.

Calls of one phase (look, read, change) share a turn, packed under the student's turn budget
(`sampling.max_tokens`), and the plan must fit the student's `max_steps`: a demonstration the
student could not replay within its own budget is refused (`TeacherError`, so it is never SFT
data) rather than recorded.

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
from clawgym.sandbox import Sandbox, create_sandbox
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


def edit_calls(path: str, old: str, new: str, *, max_edits: int = 8) -> ToolPlan | None:
    """`edit` calls that turn `old` into `new`: one per changed block of lines, each old_string
    the changed lines plus the fewest neighbouring lines that make it unique in the file at that
    point. None when edits would not be the simpler action (too many blocks, a whole-file
    change, text that cannot be anchored), so the caller writes the file instead."""
    import difflib

    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    ops = [op for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not ops or len(ops) > max_edits:
        return None
    calls: ToolPlan = []
    text, shift = old, 0  # the file as the edits so far leave it; line offset of later blocks
    for _, i1, i2, j1, j2 in ops:
        lo, hi = i1 + shift, i2 + shift
        cur = text.splitlines(keepends=True)
        rep = b[j1:j2]
        # grow the context (before first, then after) until the old text is unique and non-empty
        before_n = after_n = 0
        while True:
            s0, s1 = lo - before_n, hi + after_n
            o = "".join(cur[s0:s1])
            if o and text.count(o) == 1 and o.strip():
                break
            if s0 > 0 and (before_n <= after_n or s1 >= len(cur)):
                before_n += 1
            elif s1 < len(cur):
                after_n += 1
            else:
                return None
        n = "".join(cur[s0:lo]) + "".join(rep) + "".join(cur[hi:s1])
        # an edit is typed by a model: trim a shared trailing newline, keep the text exact otherwise
        if o.endswith("\n") and n.endswith("\n") and text.count(o[:-1]) == 1:
            o, n = o[:-1], n[:-1]
        calls.append({"name": "edit", "arguments": {"path": path, "old_string": o, "new_string": n}})
        text = text.replace(o, n, 1)
        shift += (j2 - j1) - (i2 - i1)
    if text != new or sum(len(c["arguments"]["old_string"]) + len(c["arguments"]["new_string"])
                          for c in calls) >= len(new):
        return None  # not exact, or no smaller than writing the file
    return calls


def solution_plan(task: Task, *, backend: str = "bwrap", max_reads: int = 3, read_max_bytes: int = 4000,
                  write_max_bytes: int = 32_000, edits: bool = True) -> ToolPlan:
    """Tool calls that reproduce the reference solution's effect on the workspace (`edits`:
    targeted `edit`s for changed text files, else whole-file `write`s)."""
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
    edited: dict[str, ToolPlan] = {}
    if edits:
        for p in sorted(written):
            old, new = _text(before.get(p)), _text(final[p].data)
            if old is not None and new is not None and len(before[p]) <= read_max_bytes:
                plan = edit_calls(p, old, new)
                if plan is not None:
                    edited[p] = plan
    # a capable agent reads a file before it edits it
    reads = list(edited) + [p for p in named if p not in edited]
    for p in reads[:max(max_reads, len(edited))]:
        calls.append({"name": "read", "arguments": {"path": p}})
    if moves:
        dirs = sorted({posixpath.dirname(d) for _, d in moves} - {""})
        lines = ([f"mkdir -p {' '.join(shlex.quote(d) for d in dirs)}"] if dirs else []) + \
                [f"mv {shlex.quote(s)} {shlex.quote(d)}" for s, d in sorted(moves, key=lambda m: m[1])]
        calls.append({"name": "exec", "arguments": {"command": "\n".join(lines)}})
    for p in sorted(written):
        if p in edited:
            calls.extend(edited[p])
            continue
        content = _text(final[p].data)
        if content is None:
            raise TeacherError(f"the solution of {task.id} writes {p}, which is binary or larger than "
                               f"{write_max_bytes} bytes: it cannot be written with the write tool")
        calls.append({"name": "write", "arguments": {"path": p, "content": content}})
    if deleted:
        calls.append({"name": "exec", "arguments": {"command": "rm -f " + " ".join(shlex.quote(p) for p in deleted)}})
    return calls


def call_text(call: dict[str, Any]) -> str:
    """A call as the text tool format writes it (what the student has to produce)."""
    return "<tool_call>\n" + json.dumps({"name": call["name"], "arguments": call["arguments"]},
                                        ensure_ascii=False) + "\n</tool_call>"


def estimate_tokens(text: str) -> int:
    """A conservative token count when no tokenizer is at hand (about 3 bytes a token for
    JSON and code in BPE vocabularies such as SmolLM2's)."""
    return -(-len(text.encode("utf-8")) // 3)


def plan_turns(calls: ToolPlan, *, turn_tokens: int | None = None,
               count: Callable[[str], int] = estimate_tokens) -> list[ToolPlan]:
    """Group a flat plan into assistant turns: the first look alone, the reads together, then
    the changes packed greedily under `turn_tokens`. A single call over the budget cannot be
    replayed by the student: TeacherError."""
    turns: list[ToolPlan] = []
    phase = lambda i, c: "look" if i == 0 else ("read" if c["name"] == "read" else "change")  # noqa: E731
    size = 0
    last = None
    for i, c in enumerate(calls):
        n = count(call_text(c)) + 1
        if turn_tokens is not None and n > turn_tokens:
            raise TeacherError(f"a {c['name']} call of {n} tokens does not fit the student's turn budget "
                               f"of {turn_tokens} tokens")
        ph = phase(i, c)
        if turns and ph == last and ph != "look" and (turn_tokens is None or size + n <= turn_tokens):
            turns[-1].append(c)
            size += n
        else:
            turns.append([c])
            size = n
        last = ph
    return turns


def summary(calls: ToolPlan) -> str:
    """The teacher's final answer: what it did, in a sentence or two."""
    writes = [c["arguments"]["path"] for c in calls if c["name"] == "write"]
    edits = sorted({c["arguments"]["path"] for c in calls if c["name"] == "edit"})
    moved = sum(len(re.findall(r"^mv ", c["arguments"]["command"], re.M)) for c in calls if c["name"] == "exec")
    parts = []
    if edits:
        parts.append("edited " + ", ".join(f"`{p}`" for p in edits[:4]) + (f" and {len(edits) - 4} more"
                                                                          if len(edits) > 4 else ""))
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
                 plan: Callable[[Task], ToolPlan] | None = None, backend: str | None = None,
                 count_tokens: Callable[[str], int] | None = None):
        # `model` is accepted (and ignored) so `--agent clawgym.train:TeacherAgent` works with or without --model
        self.cfg = EnvConfig(**config.model_dump(include=set(EnvConfig.model_fields))) if config else EnvConfig()
        sampling = getattr(config, "sampling", None)
        self.turn_tokens: int | None = getattr(sampling, "max_tokens", None)
        """The student's tokens per turn: no demonstration turn may be longer."""
        self.plan, self.backend = plan, backend
        self.count_tokens = count_tokens or estimate_tokens

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "plan": getattr(self.plan, "__name__", "solution_plan")}

    def _backend(self, sandbox: Sandbox) -> str:
        """The backend the plan's solution runs in: the one asked for, else the rollout's own
        (every session carries its registry name; docker stays docker)."""
        return self.backend or sandbox.backend

    def run(self, task, sandbox, traj, on_event=None) -> None:
        traj.model = {"kind": "teacher", "name": self.config()["plan"]}
        try:
            calls = self.plan(task) if self.plan else solution_plan(task, backend=self._backend(sandbox))
        except TeacherError as exc:
            traj.messages = [{"role": "user", "content": task.instruction}]
            traj.status, traj.error, traj.stop_reason = "agent_error", str(exc), "agent_crash"
            return
        try:
            turns = plan_turns(calls, turn_tokens=self.turn_tokens, count=self.count_tokens)
            steps = self.cfg.max_steps or task.limits.max_steps
            if steps is not None and len(turns) + 1 > steps:
                raise TeacherError(f"the plan needs {len(turns) + 1} turns (with the final answer); the student "
                                   f"has {steps}")
        except TeacherError as exc:
            traj.messages = [{"role": "user", "content": task.instruction}]
            traj.status, traj.error, traj.stop_reason = "agent_error", f"not replayable: {exc}", "agent_crash"
            return
        env = ClawEnv(self.cfg, on_event=on_event)
        env.reset(task, sandbox=sandbox, trajectory=traj)
        try:
            n = 0
            for turn in turns:
                parts = []
                for call in turn:
                    parts.append(ToolCallPart(id=f"call_{n}", name=call["name"],
                                              arguments=json.dumps(call["arguments"], ensure_ascii=False)))
                    n += 1
                result = env.step(AssistantMessage(tool_calls=parts))
                if result.terminated or result.truncated:
                    return
            env.step(AssistantMessage(content=summary(calls)))
        finally:
            env.close()
