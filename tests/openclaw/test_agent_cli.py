"""`clawgym agent --agent openclaw`: the one-rollout command builds agents through the same
registry as `clawgym run`, so the real OpenClaw runs from it too (it used to be refused as an
unknown agent)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from clawgym.agent import Trajectory
from tests.conftest import REPO_TASKS, requires_bwrap
from tests.openclaw.test_openclaw import install, parity_script  # noqa: F401  (fixture)

pytestmark = requires_bwrap
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/root", "COLUMNS": "200"}


def test_clawgym_agent_runs_openclaw(install, tmp_path):  # noqa: F811
    script = tmp_path / "script.json"
    script.write_text(json.dumps(parity_script()))
    tasks, out = tmp_path / "tasks", tmp_path / "traj.jsonl"
    shutil.copytree(REPO_TASKS / "task_0185", tasks / "task_0185")
    base = [sys.executable, "-m", "clawgym", "agent", str(tasks), "--agent", "openclaw", "--quiet", "--out", str(out)]
    refused = subprocess.run(base, capture_output=True, text=True, timeout=120, env=ENV)
    assert refused.returncode != 0 and "openclaw agent needs --model" in refused.stderr, refused.stderr
    r = subprocess.run([*base, "--model", f"scripted:{script}"], capture_output=True, text=True, timeout=480, env=ENV)
    assert r.returncode == 0, r.stdout + r.stderr
    traj = Trajectory.model_validate_json(out.read_text().splitlines()[0])
    assert traj.agent["name"] == "openclaw" and traj.stop_reason == "agent_exit", traj.error
    assert traj.score == 1.0 and traj.model_requests and traj.timing.agent_s > 0
