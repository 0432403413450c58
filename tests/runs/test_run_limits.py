"""A run's limits as a whole: all its sandboxes share one memory budget (a parent cgroup), so
many misbehaving agents cannot take the host down, and an agent that fills its workspace to the
cap scores 0 as the agent's failure, never a verifier error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clawgym.agent import AgentConfig, make_agent, rollout
from clawgym.models import ScriptedModel
from clawgym.runs import RunConfig, default_memory_budget, execute
from clawgym.sandbox import MemoryGroup, SandboxLimits
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap
ALLOCATE = "python3 -c 'x = bytearray(300 << 20); print(\"allocated\")'"


def _exec_once(path: Path, command: str) -> Path:
    path.write_text(json.dumps([{"content": None, "tool_calls": [{"name": "exec", "arguments": {"command": command}}]}]))
    return path


def _groups() -> set[str]:
    root = Path("/sys/fs/cgroup/memory/clawgym")
    return {p.name for p in root.iterdir() if p.name.startswith("run-")} if root.is_dir() else set()


def test_a_run_over_its_memory_budget_stops_the_attempt_as_the_agents_failure(tmp_path, repo_tasks):
    probe = MemoryGroup.create("probe-budget", 1 << 30)
    if probe is None:
        pytest.skip("memory groups need root and cgroups")
    probe.remove()
    task = repo_tasks[0]
    cfg = RunConfig(tasks="x", task_ids=[task.id], model=f"scripted:{_exec_once(tmp_path / 's.json', ALLOCATE)}",
                    max_steps=2)
    before = _groups()
    store = execute([task], cfg, tmp_path / "tight", memory_budget_bytes=128 << 20)  # each sandbox's own cap: 4 GiB
    (row,) = store.rows()
    store.close()
    assert row.state == "agent_error" and row.stop_reason == "sandbox_limit", row
    assert "together reached their memory budget" in row.error and "--memory-budget" in row.error
    assert _groups() == before  # the run's group is gone with it
    store = execute([task], cfg, tmp_path / "default")  # control: the default budget holds the same attempt
    (row,) = store.rows()
    store.close()
    assert row.state == "done" and row.stop_reason != "sandbox_limit", row
    assert default_memory_budget() == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 3 // 4


def test_an_agent_that_fills_its_workspace_scores_0_as_its_own_failure(tmp_path, repo_tasks):
    task = next(t for t in repo_tasks if t.id == "task_0185")
    limits = SandboxLimits(workspace_bytes=32 << 20)

    def run(command: str):
        agent = make_agent("llm", ScriptedModel.from_file(_exec_once(tmp_path / "s.json", command)),
                           AgentConfig(max_steps=2))
        return rollout(task, agent, limits=limits)

    full = run("head -c 20000000 /dev/zero > a.bin; head -c 20000000 /dev/zero > b.bin")
    assert "No space left on device" in json.dumps(full.messages)  # the agent's writes hit the cap
    assert full.status == "agent_error" and full.stop_reason == "sandbox_limit" and full.score == 0.0
    assert "filled its workspace to the size cap (33554432 bytes)" in full.error and full.verification is None
    nearly = run("head -c 28000000 /dev/zero > a.bin")  # a few MiB left: verified as usual
    assert nearly.status == "done" and nearly.verification is not None and nearly.verification.status == "ok", \
        nearly.verification
