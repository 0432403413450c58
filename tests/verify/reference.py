"""A reference: ClawGym's real reward.sh, run the way ClawGym runs it (reward/ copied into the
workspace at /root/.openclaw/workspace, `bash reward.sh`, the image's python3 on PATH)."""

from __future__ import annotations

import re

from clawgym.sandbox import create_sandbox
from clawgym.tasks import CANONICAL_REWARD_SH, Task, TaskFile

_OUTPUT_RE = re.compile(r"\b((?:output|outputs|out|reports?|drafts?)/[\w./-]*\w\.\w+)")


def run_reward_sh(task: Task, workspace: list[TaskFile]) -> str | None:
    """What reward.sh prints (its last line), or None when it prints nothing."""
    files = list(workspace) + [TaskFile(path=f"reward/{f.path}", data=f.data) for f in task.checks]
    files = [f for f in files if f.path != "reward/reward.sh"]
    files.append(TaskFile(path="reward/reward.sh", data=CANONICAL_REWARD_SH.encode()))
    with create_sandbox("bwrap", files=files, mount_path="/root/.openclaw/workspace") as sb:
        r = sb.exec(["bash", "/root/.openclaw/workspace/reward/reward.sh"], cwd="/")
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    return lines[-1].strip() if lines else None


def placeholder_workspace(task: Task) -> list[TaskFile]:
    """The untouched workspace plus trivial files at every output path the instruction names."""
    files = {f.path: f for f in task.workspace}
    for path in sorted(set(_OUTPUT_RE.findall(task.instruction))):
        if "{" in path or path in files:
            continue
        content = {"json": b"{}", "csv": b"id,value\n", "jsonl": b"{}\n"}.get(path.rsplit(".", 1)[-1], b"x\n")
        files[path] = TaskFile(path=path, data=content)
    return list(files.values())
