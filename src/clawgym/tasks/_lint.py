"""Lint: what would load but still make a task fail to verify, or verify wrongly."""

from __future__ import annotations

import ast
import math
from pathlib import PurePosixPath

from clawgym.errors import Problem
from clawgym.tasks._clawgym import CANONICAL_HOOK, CANONICAL_REWARD_SH
from clawgym.tasks._model import Task


def lint_task(task: Task) -> list[Problem]:
    where = f"task {task.id}"
    problems: list[Problem] = []
    if not PurePosixPath(task.mount_path).is_absolute():
        problems.append(Problem(where, "mount_path", f"{task.mount_path!r} is relative: the sandbox needs an "
                                "absolute path (e.g. /root/.openclaw/workspace)"))
    for name in ("timeout_s", "verify_timeout_s"):
        value = getattr(task.limits, name)
        if value is not None and not math.isfinite(value):
            problems.append(Problem(where, f"limits.{name}", f"{value!r} is not a finite number of seconds: "
                                    "give a positive number, or remove it for the default"))
    entry = task.check_file()
    if entry is None:
        problems.append(Problem(where, f"checks/{task.grading.check}", "missing: the task cannot be verified"))
    else:
        try:
            tree = ast.parse(entry.data, filename=entry.path)
        except (SyntaxError, ValueError) as exc:
            problems.append(Problem(where, f"checks/{entry.path}", f"not valid Python: {exc}"))
        else:
            has_main = any(isinstance(n, ast.If) and "__name__" in ast.unparse(n.test) for n in tree.body)
            if not has_main:
                problems.append(Problem(where, f"checks/{entry.path}",
                                        "no `if __name__ == \"__main__\":` block: running it prints no score"))
    reward_sh = next((f for f in task.checks if f.path == "reward.sh"), None)
    if reward_sh is not None and reward_sh.data != CANONICAL_REWARD_SH.encode():
        problems.append(Problem(where, "checks/reward.sh", "differs from ClawGym's canonical reward.sh; "
                                "ClawGym scores with the canonical one and so does --aggregation legacy"))
    hook = task.metadata.get("clawgym_hf", {}).get("hook_code")
    if hook is not None and hook.strip() != CANONICAL_HOOK:
        problems.append(Problem(where, "hook_code", f"non-standard hook {hook!r}: ClawGym runs "
                                "reward/test.py on the workspace regardless"))
    if task.rubric is not None:
        names = [r.name for r in task.rubric.rules]
        if len(set(names)) != len(names):
            problems.append(Problem(where, "rubric.rules", "duplicate rule names"))
        for r in task.rubric.rules:
            if not r.scores:
                problems.append(Problem(where, f"rubric.rules[{r.name}]", "no score bands"))
    return problems
