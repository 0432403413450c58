"""Runs: the store survives kill -9, resumes exactly, refuses a changed configuration; the
local and Ray executors agree; the report renders."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clawgym.agent import Trajectory
from clawgym.runs import ConfigMismatch, RunConfig, RunStore, execute, summarize
from clawgym.tasks import load_tasks, save_tasks
from tests.conftest import HF_JSONL, REPO_TASKS, requires_bwrap
from tests.openai_server import FaultServer

SLOW = Path(__file__).parent / "data" / "slow_script.json"
SOLVE_0185 = Path(__file__).parents[1] / "agent" / "data" / "task_0185_script.json"
pytestmark = requires_bwrap


def clawgym(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "clawgym", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"}, **kw)


def _done(db: Path) -> int:
    try:
        with sqlite3.connect(db) as c:
            return c.execute("SELECT COUNT(*) FROM attempts WHERE state='done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_mid_run_then_resume_gives_exactly_40_results(tmp_path):
    data = tmp_path / "all40.jsonl"
    save_tasks(load_tasks(REPO_TASKS) + load_tasks(HF_JSONL), data, "jsonl")
    out = tmp_path / "run"
    args = ["run", data, "--agent", "llm", "--model", f"scripted:{SLOW}", "--out", out, "-j", "3"]
    proc = clawgym(*args)
    deadline = time.monotonic() + 120
    while _done(out / "run.sqlite") < 6:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = _done(out / "run.sqlite")
    assert 6 <= killed_at < 40
    refused = clawgym(*args)
    assert refused.wait(60) == 1 and "--resume" in refused.communicate()[1]
    changed = clawgym(*args, "--resume", "--samples", "2")
    assert changed.wait(60) == 1 and "another configuration" in changed.communicate()[1]
    resumed = clawgym(*args, "--resume")
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    # exactly the attempts without a committed result run again: none lost, none repeated
    assert stderr.splitlines()[0] == f"{40 - killed_at} of 40 attempt(s) to run", stderr
    assert len([line for line in stderr.splitlines() if line.startswith("[")]) == 40 - killed_at
    with RunStore.read(out) as store:
        rows = store.rows()
        trajs = list(store.trajectories())
    assert len(rows) == 40 and all(r.state == "done" for r in rows)
    assert len(trajs) == 40
    keys = [(t["task_id"], t["sample"]) for t in trajs]
    assert len(set(keys)) == 40 and {t["id"] for t in trajs} == {r.traj_id for r in rows}
    lines = (out / "trajectories.jsonl").read_text().splitlines()
    assert len(lines) == 40 and all(json.loads(line)["stop_reason"] == "final" for line in lines)


def test_torn_and_orphan_trajectory_lines_are_dropped_by_the_next_writer(tmp_path, repo_tasks):
    tasks = repo_tasks[:3]
    cfg = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="noop")
    execute(tasks, cfg, tmp_path).close()
    path = tmp_path / RunStore.TRAJECTORIES
    good = path.read_text()
    orphan = Trajectory(task_id=tasks[0].id, sample=0).model_dump_json()
    path.write_text(good + orphan + "\n" + '{"id": "torn', encoding="utf-8")  # crash between write and commit
    with RunStore.read(tmp_path) as store:  # a reader skips them and leaves the file alone
        assert len(list(store.trajectories())) == 3 and not store.pending()
    assert path.read_text() != good
    with RunStore(tmp_path) as store:  # the next writer drops them
        assert len(list(store.trajectories())) == 3 and not store.pending()
    assert path.read_text() == good


def test_lost_trajectory_line_makes_the_attempt_run_again(tmp_path, repo_tasks):
    tasks = repo_tasks[:2]
    cfg = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="noop")
    execute(tasks, cfg, tmp_path).close()
    path = tmp_path / RunStore.TRAJECTORIES
    first = path.read_text().splitlines(keepends=True)[0]
    path.write_text(first)
    lost = next(t.id for t in tasks if t.id != json.loads(first)["task_id"])
    with RunStore(tmp_path) as store:
        assert store.pending() == [(lost, 0)]
    store = execute(tasks, cfg, tmp_path)
    assert len(list(store.trajectories())) == 2 and not store.pending()
    store.close()


def test_resume_with_another_configuration_is_refused_unless_forced(tmp_path, repo_tasks):
    tasks = repo_tasks[:2]
    cfg = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="noop")
    execute(tasks, cfg, tmp_path).close()
    with pytest.raises(ConfigMismatch) as exc:
        execute(tasks, cfg.model_copy(update={"samples": 2}), tmp_path)
    assert "samples" in str(exc.value)
    store = execute(tasks, cfg.model_copy(update={"samples": 2}), tmp_path, force=True)
    assert len(store.rows()) == 4 and not store.pending()
    store.close()


def test_infrastructure_failures_are_retried_then_recorded_distinctly(tmp_path, repo_tasks, monkeypatch):
    tasks = repo_tasks[:2]
    cfg = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="llm", model="openai:m", max_tries=2)
    events = []
    with FaultServer([], default=("status", 400)) as server:  # a real server that refuses every request
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        store = execute(tasks, cfg, tmp_path, progress=lambda k, d: events.append(k))
    rows = store.rows()
    store.close()
    assert events.count("retry") == 2 and all(r.state == "infra_error" and r.tries == 2 for r in rows)
    assert all("HTTP 400" in r.error for r in rows)
    assert summarize(rows)["errors"] == {"infra_error": 2}
    with FaultServer([]) as server:  # the server is fixed: resuming retries exactly those attempts
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        store = execute(tasks, cfg, tmp_path)
    rows = store.rows()
    store.close()
    assert all(r.state == "done" and r.tries == 1 for r in rows)


def test_ray_executor_gives_the_same_scores_as_local(tmp_path, repo_tasks):
    pytest.importorskip("ray")
    tasks = [t for t in repo_tasks if t.id in ("task_0185", "task_0118", "task_0176")]
    cfg = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="llm", model=f"scripted:{SOLVE_0185}", samples=2)
    local = execute(tasks, cfg, tmp_path / "local", concurrency=2)
    ray_store = execute(tasks, cfg, tmp_path / "ray", concurrency=2, executor="ray")
    a = {(r.task_id, r.sample): (r.score, r.checks) for r in local.rows()}
    b = {(r.task_id, r.sample): (r.score, r.checks) for r in ray_store.rows()}
    assert a == b and a[("task_0185", 0)][0] == 1.0 and len(b) == 6
    assert len(list(ray_store.trajectories())) == 6
    local.close()
    ray_store.close()
