"""`clawgym run` checks what it is asked to run before it creates anything, and says so in one
line; Ctrl-C stops it within seconds and `--resume` finishes it; a run whose every attempt failed
on the infrastructure exits non-zero."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from clawgym.runs import RunStore
from clawgym.tasks import load_tasks, save_tasks
from tests.conftest import REPO_TASKS, requires_bwrap
from tests.openai_server import FaultServer

SLOW = Path(__file__).parents[1] / "runs" / "data" / "slow_script.json"
SOLVE_0185 = Path(__file__).parents[1] / "agent" / "data" / "task_0185_script.json"
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "200"}


def clawgym(*args, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clawgym", *map(str, args)], capture_output=True, text=True,
                          env={**ENV, **(env or {})}, timeout=timeout)


def one_line(r: subprocess.CompletedProcess) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def two_tasks(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "two.jsonl"
    save_tasks([t for t in load_tasks(REPO_TASKS) if t.id in ("task_0185", "task_0118")], path, "jsonl")
    return path


@pytest.mark.parametrize("flags, says", [
    (["--model", "smolm2"], "did you mean 'smollm2'"),
    (["--model", "openai"], "write openai:NAME"),
    (["--model", "scripted:/no/such/script.json"], "no script file"),
    (["--agent", "foo"], "unknown agent 'foo'"),
    (["--sandbox", "docker"], "sandbox 'docker'"),
    (["--sandbox", "nosuchpkg.box:Box"], "cannot load sandbox"),
    (["--executor", "slurm"], "unknown executor 'slurm'"),
    (["--judge-model", "gpt4"], "unknown judge 'gpt4'"),
    (["--timeout", "nan"], "--timeout nan: must be a finite number"),
    (["--verify-timeout", "inf"], "--verify-timeout inf: must be a finite number"),
])
def test_a_run_that_cannot_work_is_refused_before_anything_exists(tmp_path, two_tasks, flags, says):
    out = tmp_path / "run"
    line = one_line(clawgym("run", two_tasks, "--model", f"scripted:{SOLVE_0185}", *flags, "--out", out))
    assert says in line
    if "unknown" in says:
        assert "choose" in line  # the known names are listed
    assert not out.exists()


@requires_bwrap
def test_the_corrected_command_then_runs_in_the_same_folder(tmp_path, two_tasks):
    out = tmp_path / "run"
    assert "smollm2" in one_line(clawgym("run", two_tasks, "--model", "smolm2", "--out", out))
    r = clawgym("run", two_tasks, "--model", f"scripted:{SOLVE_0185}", "--out", out)
    assert r.returncode == 0, r.stderr
    with RunStore.read(out) as store:
        assert [row.state for row in store.rows()] == ["done", "done"]


def test_an_unreachable_model_server_is_refused_in_seconds(tmp_path, two_tasks):
    out = tmp_path / "run"
    t0 = time.monotonic()
    line = one_line(clawgym("run", two_tasks, "--model", "openai:some-model", "--out", out,
                            env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}))
    assert time.monotonic() - t0 < 15
    assert "cannot reach the model server" in line and "127.0.0.1:9" in line and "OPENAI_BASE_URL" in line
    assert not out.exists()


def test_resume_rules(tmp_path, two_tasks):
    assert "--resume needs --out" in one_line(clawgym("run", two_tasks, "--agent", "noop", "--resume"))
    missing = tmp_path / "typo"
    assert "holds no run to resume" in one_line(clawgym("run", two_tasks, "--agent", "noop", "--out", missing,
                                                        "--resume"))
    assert not missing.exists()


@requires_bwrap
def test_a_run_whose_every_attempt_failed_on_the_infrastructure_exits_non_zero(tmp_path, two_tasks):
    out = tmp_path / "run"
    with FaultServer([], default=("status", 400)) as server:  # answers, but refuses every request
        r = clawgym("run", two_tasks, "--model", "openai:m", "--out", out, env={"OPENAI_BASE_URL": server.url},
                    timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "every attempt failed on the infrastructure" in last and "HTTP 400" in last
    assert f"--out {out} --resume" in last
    with RunStore.read(out) as store:
        assert [row.state for row in store.rows()] == ["infra_error", "infra_error"]


@requires_bwrap
def test_ctrl_c_stops_the_run_within_5_s_and_resume_finishes_it(tmp_path):
    out = tmp_path / "run"
    args = ["run", REPO_TASKS, "--model", f"scripted:{SLOW}", "-k", "2", "-j", "2", "--out", out]
    proc = subprocess.Popen([sys.executable, "-m", "clawgym", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)
    db = out / RunStore.DB
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        try:
            with RunStore.read(out) as store:
                if sum(r.state == "done" for r in store.rows()) >= 2:
                    break
        except Exception:  # not created yet
            pass
        time.sleep(0.05)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    stopped_in = time.monotonic() - t0
    assert stopped_in < 5, (stopped_in, stderr)
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: interrupted") and f"--out {out} --resume" in last, stderr
    with RunStore.read(out) as store:
        rows = store.rows()
    states = Counter(r.state for r in rows)
    done = states["done"]
    assert "running" not in states and states["interrupted"] >= 1 and done < 20, states
    assert all(r.tries == 0 for r in rows if r.state in ("pending", "interrupted"))  # queued ones never started
    assert len((out / RunStore.TRAJECTORIES).read_text().splitlines()) == done
    resumed = clawgym(*args, "--resume", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{20 - done} of 20 attempt(s) to run" in resumed.stderr.splitlines()
    with RunStore.read(out) as store:
        rows, trajs = store.rows(), list(store.trajectories())
    assert len(rows) == 20 and all(r.state == "done" for r in rows)
    assert sorted((t["task_id"], t["sample"]) for t in trajs) == sorted((r.task_id, r.sample) for r in rows)
    lines = (out / RunStore.TRAJECTORIES).read_text().splitlines()
    assert len(lines) == 20 and all(json.loads(line)["stop_reason"] == "final" for line in lines)
    assert not os.path.exists(db.with_name("run.sqlite-wal"))  # a cleanly closed run is one file


def test_a_relative_mount_path_and_an_infinite_verifier_timeout_are_named(tmp_path):
    task = next(t for t in load_tasks(REPO_TASKS) if t.id == "task_0185")
    save_tasks([task.model_copy(update={"mount_path": "workspace"})], tmp_path / "ds", "native")
    toml = tmp_path / "ds" / "task_0185" / "task.toml"
    toml.write_text(toml.read_text() + "\n[limits]\nverify_timeout_s = inf\n")
    r = clawgym("tasks", "lint", tmp_path / "ds")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "task task_0185 [mount_path]: 'workspace' is relative" in r.stdout
    assert "task task_0185 [limits.verify_timeout_s]: inf is not a finite number" in r.stdout
    out = tmp_path / "run"
    line = one_line(clawgym("run", tmp_path / "ds", "--agent", "noop", "--out", out))
    assert "mount_path 'workspace' is relative" in line and "absolute" in line and not out.exists()
    task_only_inf = tmp_path / "inf"
    save_tasks([task], task_only_inf, "native")
    toml = task_only_inf / "task_0185" / "task.toml"
    toml.write_text(toml.read_text() + "\n[limits]\nverify_timeout_s = inf\n")
    line = one_line(clawgym("run", task_only_inf, "--agent", "noop", "--out", out))
    assert "task task_0185: limits.verify_timeout_s is inf" in line and not out.exists()


@requires_bwrap
def test_run_task_picks_tasks_by_id_and_glob(tmp_path):
    out = tmp_path / "run"
    r = clawgym("run", REPO_TASKS, "--agent", "noop", "--task", "task_0185", "-t", "task_012?", "--out", out,
                timeout=300)
    assert r.returncode == 0, r.stderr
    with RunStore.read(out) as store:
        assert sorted(row.task_id for row in store.rows()) == ["task_0121", "task_0126", "task_0185"]
        assert store.config().task_ids == ["task_0121", "task_0126", "task_0185"]  # resumable as the same run
    again = clawgym("run", REPO_TASKS, "--agent", "noop", "--out", out, "--resume",
                    env={"CLAWGYM_RUN_TASK": "task_0185 task_012?"}, timeout=300)
    assert again.returncode == 0, again.stderr
    none = tmp_path / "none"
    line = one_line(clawgym("run", REPO_TASKS, "--agent", "noop", "-t", "task_0185", "-t", "task_99*", "--out", none))
    assert "--task 'task_99*' matches no task" in line and "task_0076" in line and not none.exists()
