"""Importers and exporters on the 40 real ClawGym fixture tasks, and exact round trips."""

from __future__ import annotations

import json
from pathlib import Path

from clawgym.tasks import CANONICAL_REWARD_SH, Task, TaskFile, detect_format, load_tasks, save_tasks
from tests.conftest import HF_JSONL, REPO_TASKS


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_detects_both_clawgym_shapes():
    assert detect_format(REPO_TASKS) == "clawgym"
    assert detect_format(REPO_TASKS / "task_0076") == "clawgym"
    assert detect_format(HF_JSONL) == "clawgym-hf"


def test_all_40_fixture_tasks_import(repo_tasks, hf_tasks):
    assert len(repo_tasks) == 10 and len(hf_tasks) == 30
    assert [t.id for t in repo_tasks] == sorted(p.name for p in REPO_TASKS.iterdir())
    hf_ids = [json.loads(line)["origin_template"].split("id:")[1].split()[0]
              for line in HF_JSONL.read_text().splitlines()]
    assert [t.id for t in hf_tasks] == hf_ids
    for t in repo_tasks + hf_tasks:
        assert t.instruction.strip() and t.check_file() is not None
        assert not any(f.path.startswith("reward/") for f in t.workspace), "the verifier leaked into the workspace"


def test_repo_layout_round_trip_is_byte_identical(tmp_path):
    tasks = load_tasks(REPO_TASKS)
    save_tasks(tasks, tmp_path / "native", "native")
    again = load_tasks(tmp_path / "native")
    assert again == tasks
    save_tasks(again, tmp_path / "export", "clawgym")
    for src in sorted(REPO_TASKS.iterdir()):
        dst = tmp_path / "export" / src.name
        assert _tree(dst / "input_files") == _tree(src / "input_files")
        assert (dst / "reward" / "check.py").read_bytes() == (src / "reward" / "check.py").read_bytes()
        assert (dst / "reward" / "reward.sh").read_text() == CANONICAL_REWARD_SH
        original = json.loads((src / "data_entry.json").read_text())
        exported = json.loads((dst / "data_entry.json").read_text())
        original.setdefault("input_mount_dir", "/root/.openclaw/workspace")
        assert exported == original


def test_fixture_reward_sh_is_the_canonical_one():
    for src in REPO_TASKS.iterdir():
        assert (src / "reward" / "reward.sh").read_text() == CANONICAL_REWARD_SH


def test_hf_round_trip_to_clawgym_layout(tmp_path):
    tasks = load_tasks(HF_JSONL)
    save_tasks(tasks, tmp_path / "native", "native")
    save_tasks(load_tasks(tmp_path / "native"), tmp_path / "export", "clawgym")
    for line in HF_JSONL.read_text().splitlines():
        record = json.loads(line)
        task_id = record["origin_template"].split("id:")[1].split()[0]
        dst = tmp_path / "export" / task_id
        for f in record["input_files"]:
            if f["file_path"] == "reward/test.py":
                assert (dst / "reward" / "check.py").read_bytes() == f["content"].encode()
            else:
                assert (dst / "input_files" / f["file_path"]).read_bytes() == f["content"].encode()
        entry = json.loads((dst / "data_entry.json").read_text())
        assert entry["task_id"] == task_id and entry["user_query"] == record["prompt"]
    # and ClawGym's layout reads back as the same tasks
    assert [t.instruction for t in load_tasks(tmp_path / "export")] == [t.instruction for t in tasks]


def test_native_folder_and_jsonl_round_trips_are_exact(tmp_path):
    task = Task(id="t1", instruction="Do it.\n", category="file handling", tags=["a", "b"],
                metadata={"note": None, "n": 3},  # a null cannot live in TOML: still round-trips
                workspace=[TaskFile(path="in/data.bin", data=bytes(range(256))),
                           TaskFile(path="run.sh", data=b"#!/bin/sh\necho hi\n", executable=True)],
                checks=[TaskFile(path="check.py", data=b"print('{}')\n")],
                solution=[TaskFile(path="solve.sh", data=b"echo ok\n", executable=True)])
    save_tasks([task], tmp_path / "a", "native")
    assert load_tasks(tmp_path / "a") == [task]
    save_tasks(load_tasks(tmp_path / "a"), tmp_path / "b", "native")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert (tmp_path / "a" / "t1" / "workspace" / "run.sh").stat().st_mode & 0o100
    save_tasks([task], tmp_path / "d.jsonl", "jsonl")
    assert load_tasks(tmp_path / "d.jsonl") == [task]
    save_tasks(load_tasks(tmp_path / "d.jsonl"), tmp_path / "e.jsonl", "jsonl")
    assert (tmp_path / "d.jsonl").read_bytes() == (tmp_path / "e.jsonl").read_bytes()


def test_ids_fall_back_to_a_content_hash(tmp_path):
    record = json.loads(HF_JSONL.read_text().splitlines()[0])
    record["origin_template"] = "---\n---\n"
    (tmp_path / "a.jsonl").write_text(json.dumps(record) + "\n")
    first = load_tasks(tmp_path / "a.jsonl")[0].id
    assert first.startswith("task-") and first == load_tasks(tmp_path / "a.jsonl")[0].id
    record["prompt"] += " More."
    (tmp_path / "b.jsonl").write_text(json.dumps(record) + "\n")
    assert load_tasks(tmp_path / "b.jsonl")[0].id != first


def test_harbor_export_layout(tmp_path, repo_tasks):
    import tomllib

    save_tasks(repo_tasks[:2], tmp_path / "h", "harbor")
    d = tmp_path / "h" / repo_tasks[0].id
    config = tomllib.loads((d / "task.toml").read_text())
    assert config["verifier"]["timeout_sec"] > 0 and config["environment"]["allow_internet"] is False
    assert (d / "instruction.md").read_text() == repo_tasks[0].instruction
    assert (d / "tests" / "reward" / "check.py").read_bytes() == repo_tasks[0].check_file().data
    assert "COPY workspace/" in (d / "environment" / "Dockerfile").read_text()
    assert _tree(d / "environment" / "workspace") == {f.path: f.data for f in repo_tasks[0].workspace}


def test_harbor_test_sh_really_scores(tmp_path):
    """Run the exported tests/test.sh the way Harbor does: /tests uploaded after the agent."""
    import os
    import shutil

    if shutil.which("bwrap") is None:
        import pytest

        pytest.skip("bubblewrap not installed")
    from clawgym.sandbox import create_sandbox

    check = (b"import json, sys, pathlib\np = pathlib.Path(sys.argv[1], 'out.txt')\n"
             b"print(json.dumps({'exists': p.exists(), 'right': p.exists() and p.read_text() == '42'}))\n")
    task = Task(id="h1", instruction="Write 42 to out.txt", workspace=[TaskFile(path="in.txt", data=b"6*7")],
                checks=[TaskFile(path="check.py", data=check)])
    import tempfile

    # the sandbox's uid must be able to reach the bind source (pytest's tmp_path is root-only)
    tmp_path = Path(tempfile.mkdtemp(dir="/tmp"))
    os.chmod(tmp_path, 0o755)
    save_tasks([task], tmp_path / "h", "harbor")
    os.chmod(tmp_path / "h", 0o755)
    tests = tmp_path / "h" / "h1" / "tests"
    for answer, expected in (("41", 0.5), ("42", 1.0)):
        with create_sandbox(workspace=tmp_path / "h" / "h1" / "environment" / "workspace",
                            ro_binds=[(str(tests), "/tests")]) as sb:
            sb.exec(f"echo -n {answer} > out.txt")
            r = sb.exec("mkdir -p /logs/verifier && bash /tests/test.sh && cat /logs/verifier/reward.json")
        assert r.exit_code == 0, r
        assert json.loads(r.stdout)["reward"] == expected, r
    shutil.rmtree(tmp_path)
