"""A naive in-place verifier, the way ClawGym's RL harness (docker mode) and Harbor verify:
after the agent stops, in the agent's own sandbox.

- The agent's sandbox is still up, with its background processes (ClawGym and Harbor verify in
  the container the agent used; nothing is stopped first).
- The checks are copied into `<ws>/reward/` on top of what is there (`docker cp` merges
  folders: same-named files are replaced, others stay).
- `python3` and the user site come from the agent's environment. In ClawGym's container the
  agent is root and can replace /usr/bin/python3 or write site-packages; here its environment is
  `<ws>/.bin` first on PATH, HOME=`<ws>/.home` and PYTHONPATH=`<ws>`, which stand for those
  changes (Debian's own sitecustomize would otherwise shadow a user-site one).
- The result is the last JSON object on stdout, whatever the exit status; with none, a reward
  file the agent could also write (Harbor's /logs/verifier/reward.txt), here under the workspace.
- Symlinks are followed; no limits beyond the timeout.
"""

from __future__ import annotations

import json

from clawgym.sandbox import Sandbox
from clawgym.tasks import Task, TaskFile


def _score(data) -> float:
    if isinstance(data, dict):
        if "reward" in data:
            return float(data["reward"])
        vals = [float(v) for v in data.values()]
        return sum(vals) / len(vals) if vals else 0.0
    return float(data)


def naive_verify(sb: Sandbox, task: Task, timeout_s: float = 5.0) -> float:
    sb.write_files([TaskFile(path=f"reward/{f.path}", data=f.data) for f in task.checks])
    ws = sb.path
    env = {"PATH": f"{ws}/.bin:/usr/local/bin:/usr/bin:/bin", "HOME": f"{ws}/.home", "PYTHONPATH": ws}
    r = sb.exec(f"python3 reward/{task.grading.check} {ws}", env=env, timeout_s=timeout_s)
    for line in reversed(r.stdout.splitlines()):
        try:
            return _score(json.loads(line))
        except (json.JSONDecodeError, TypeError, ValueError):
            continue
    for name in ("logs/verifier/reward.txt", "reward.txt", "reward.json", "score.json"):
        found = sb.exec(f"cat {name}", env=env)
        if found.exit_code == 0 and found.stdout.strip():
            try:
                return _score(json.loads(found.stdout))
            except (json.JSONDecodeError, TypeError, ValueError):
                continue
    return 0.0
