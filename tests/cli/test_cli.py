"""End to end: every `clawgym` command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import HF_JSONL, REPO_TASKS, requires_bwrap


def clawgym(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "clawgym", *map(str, args)], capture_output=True,
                       text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_help_lists_every_command():
    text = clawgym("--help").stdout
    assert "verify" in text and "tasks" in text
    sub = clawgym("tasks", "--help").stdout
    for cmd in ("import", "export", "list", "lint"):
        assert cmd in sub


def test_import_list_export(tmp_path):
    clawgym("tasks", "import", HF_JSONL, "--out", tmp_path / "native")
    assert len(list((tmp_path / "native").iterdir())) == 30
    listing = clawgym("tasks", "list", tmp_path / "native").stdout
    assert "task_0192" in listing and "30 task(s)" in listing
    clawgym("tasks", "export", tmp_path / "native", "--format", "clawgym", "--out", tmp_path / "cg")
    assert (tmp_path / "cg" / "task_0192" / "reward" / "reward.sh").is_file()
    clawgym("tasks", "export", REPO_TASKS, "--format", "harbor", "--out", tmp_path / "harbor")
    assert (tmp_path / "harbor" / "task_0076" / "tests" / "test.sh").is_file()
    clawgym("tasks", "export", REPO_TASKS, "--format", "jsonl", "--out", tmp_path / "d.jsonl")
    assert len((tmp_path / "d.jsonl").read_text().splitlines()) == 10
    again = clawgym("tasks", "export", REPO_TASKS, "--format", "jsonl", "--out", tmp_path / "d.jsonl", check=False)
    assert again.returncode == 1 and "--overwrite" in again.stderr


def test_import_refuses_bad_input_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = HF_JSONL.read_text().splitlines()
    record = json.loads(lines[1])
    record["input_files"].append({"file_path": "../../etc/x", "content": "x"})
    bad.write_text(lines[0] + "\n" + json.dumps(record) + "\n")
    r = clawgym("tasks", "import", bad, "--out", tmp_path / "out", check=False)
    assert r.returncode == 1 and "bad.jsonl:2" in r.stderr and "escapes" in r.stderr
    assert "nothing was written" in r.stderr and not (tmp_path / "out").exists()
    missing = clawgym("tasks", "list", tmp_path / "nope", check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_lint_reports_every_problem(tmp_path):
    assert "no problems" in clawgym("tasks", "lint", REPO_TASKS).stdout
    lines = HF_JSONL.read_text().splitlines()
    first, second = json.loads(lines[0]), json.loads(lines[1])
    first["prompt"] = ""
    second["input_files"] = [f for f in second["input_files"] if f["file_path"] != "reward/test.py"]
    second["input_files"].append({"file_path": "reward/test.py", "content": "def grade(t, w):\n  return {}\n"})
    (tmp_path / "d.jsonl").write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n" + lines[2] + "\n")
    r = clawgym("tasks", "lint", tmp_path / "d.jsonl", check=False)
    assert r.returncode == 1
    assert "d.jsonl:1 [prompt]" in r.stdout and "__main__" in r.stdout and "2 problem(s)" in r.stderr


@requires_bwrap
def test_verify_json_and_table(tmp_path):
    r = clawgym("verify", REPO_TASKS, "--json", "--aggregation", "legacy", "-j", "2")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert sorted(row["task_id"] for row in rows) == sorted(p.name for p in REPO_TASKS.iterdir())
    for row in rows:
        assert set(row) >= {"task_id", "score", "checks", "error"} and row["score"] == 0.0
    table = clawgym("verify", REPO_TASKS, "--task", "task_0118").stdout
    assert "task_0118" in table and "0/20" in table and "mean score 0.000" in table


@requires_bwrap
def test_verify_one_final_workspace(tmp_path):
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(REPO_TASKS / "task_0118" / "input_files", ws)
    (ws / "output").mkdir(parents=True)
    (ws / "output" / "plan.md").write_text("# Plan\n")
    r = clawgym("verify", REPO_TASKS, "--task", "task_0118", "--workspace", ws, "--json")
    row = json.loads(r.stdout)
    assert row["task_id"] == "task_0118" and row["checks"]["plan_exists"] == 1.0
    r = clawgym("verify", REPO_TASKS, "--workspace", ws, check=False)
    assert r.returncode == 1 and "--task" in r.stderr
    r = clawgym("verify", REPO_TASKS, "--task", "nope", check=False)
    assert r.returncode == 1 and "no task with id 'nope'" in r.stderr


@requires_bwrap
def test_flags_read_from_environment_variables():
    r = subprocess.run([sys.executable, "-m", "clawgym", "verify", str(REPO_TASKS), "--json"], capture_output=True,
                       text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "CLAWGYM_VERIFY_TASK": "task_0185",
                                                    "CLAWGYM_AGGREGATION": "legacy"})
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.returncode == 0 and [row["task_id"] for row in rows] == ["task_0185"]
