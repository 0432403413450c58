"""A scripted model served over real HTTP by `clawgym serve` drives the llm agent through a
ClawGym fixture task to its full score; the saved trajectory replays to the same workspace."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import urllib.request
import pytest

from clawgym.agent import LLMAgent, Trajectory, rollout
from clawgym.models import ScriptedModel
from clawgym.models._openai import OpenAIModel
from tests.conftest import REPO_TASKS, requires_bwrap

SCRIPT = Path(__file__).parent / "data" / "task_0185_script.json"
pytestmark = requires_bwrap


@pytest.fixture
def served():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "clawgym", "serve", "--model", f"scripted:{SCRIPT}",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode() if proc.poll() else "timeout"
        time.sleep(0.2)
    yield url + "/v1"
    proc.terminate()
    proc.wait(10)


def test_scripted_model_over_http_reaches_full_score_and_replays(served, repo_tasks, tmp_path):
    task = next(t for t in repo_tasks if t.id == "task_0185")
    traj = rollout(task, LLMAgent(OpenAIModel("scripted", base_url=served, api_key="EMPTY")))
    assert traj.status == "done" and traj.stop_reason == "final"
    assert traj.verification.status == "ok" and traj.score == 1.0
    assert all(v == 1.0 for v in traj.verification.checks.values())
    used = [c for s in traj.steps for c in s.tool_calls]
    assert {"read", "write", "edit", "exec"} <= set(used)
    assert {c.path for c in traj.diff} == {"output/plan.json", "output/USAGE.md"}
    assert traj.model == {"kind": "openai", "name": "scripted", "base_url": served}
    assert [s["function"]["name"] for s in traj.tools] == ["read", "write", "edit", "exec", "apply_patch", "process"]
    assert traj.messages[0]["role"] == "system" and traj.messages[1]["content"] == task.instruction
    # saved as JSONL, loaded back, replayed from its own messages: the same workspace
    path = tmp_path / "traj.jsonl"
    path.write_text(traj.model_dump_json() + "\n")
    loaded = Trajectory.model_validate_json(path.read_text().splitlines()[0])
    assert loaded == traj
    again = rollout(task, LLMAgent(ScriptedModel.from_messages(loaded.messages)))
    assert [(c.path, c.sha256) for c in again.diff] == [(c.path, c.sha256) for c in loaded.diff]
    assert again.score == 1.0


def test_clawgym_agent_command(served, tmp_path):
    out = tmp_path / "t.jsonl"
    r = subprocess.run([sys.executable, "-m", "clawgym", "agent", str(REPO_TASKS), "--task", "task_0185",
                        "--model", "openai:scripted", "--out", str(out)], capture_output=True, text=True,
                       timeout=120, env={"PATH": "/usr/bin:/bin", "OPENAI_BASE_URL": served,
                                         "OPENAI_API_KEY": "sk-cli-secret-42", "COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    assert "1.000" in r.stdout and "11/11" in r.stdout
    assert "→ exec" in r.stderr and "Replaced 1 occurrence" in r.stderr  # streamed readably
    traj = Trajectory.model_validate_json(out.read_text().splitlines()[0])
    assert traj.score == 1.0
    assert "sk-cli-secret-42" not in out.read_text() + r.stdout + r.stderr
