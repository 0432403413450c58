"""The starter suite: every hand-written task loads, lints clean, is solved by its reference
solution, gives nothing for doing nothing, and is not fooled by placeholders or damaged outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawgym.agent import NoopAgent, OracleAgent, rollout
from clawgym.starter import STARTER_DIR, starter_tasks
from clawgym.tasks._lint import lint_task
from clawgym.verify import verify_code

CATEGORIES = {"file handling", "data analysis", "communication drafting", "config or code editing",
              "planning and knowledge organisation", "automation"}

TASKS = starter_tasks()
BY_ID = {t.id: t for t in TASKS}
IDS = sorted(BY_ID)


class CapturingOracle(OracleAgent):
    """The oracle, also keeping the final workspace's bytes (the diff holds no binary contents)."""

    def run(self, task, sandbox, traj, on_event=None) -> None:
        super().run(task, sandbox, traj, on_event)
        self.final = sandbox.export_files()


_ORACLE: dict[str, tuple] = {}


def oracle(task_id: str):
    """One oracle rollout per task, shared by the tests below: (trajectory, final files)."""
    if task_id not in _ORACLE:
        agent = CapturingOracle()
        traj = rollout(BY_ID[task_id], agent)
        _ORACLE[task_id] = (traj, agent.final)
    return _ORACLE[task_id]


def outputs(task_id: str) -> dict[str, bytes]:
    """What the reference solution writes: the paths it adds or changes, with their final bytes."""
    traj, final = oracle(task_id)
    return {c.path: final[c.path] for c in traj.diff if c.change in ("added", "changed")}


def make_workspace(task, root: Path, overrides: dict[str, bytes]) -> Path:
    for f in task.workspace:
        (root / f.path).parent.mkdir(parents=True, exist_ok=True)
        (root / f.path).write_bytes(f.data)
    for path, data in overrides.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def test_suite_loads_with_enough_tasks_and_categories():
    assert STARTER_DIR.is_dir()
    assert len(TASKS) >= 12
    assert len(BY_ID) == len(TASKS), "task ids must be unique"
    categories = [t.category for t in TASKS]
    assert set(categories) <= CATEGORIES, set(categories) - CATEGORIES
    assert len(set(categories)) >= 6
    assert all(categories.count(c) >= 2 for c in CATEGORIES)
    for t in TASKS:
        assert t.id.startswith("starter-") and t.id == t.id.lower()
        assert t.title and t.difficulty in ("easy", "medium")
        assert t.limits.max_steps == 20
        assert t.check_file() is not None, t.id
        assert {f.path for f in t.solution} & {"solve.sh", "solve.py"}, t.id
        assert "output/" in t.instruction and "input/" in t.instruction, t.id
        assert any(f.path.startswith("input/") for f in t.workspace), t.id
        assert not any(f.path.startswith("output/") for f in t.workspace), t.id
        assert lint_task(t) == [], t.id
    rubric_tasks = [t for t in TASKS if t.rubric is not None and t.rubric.rules]
    assert len(rubric_tasks) >= 4
    for t in rubric_tasks:
        assert t.weights() == pytest.approx((0.7, 0.3)), t.id
        assert 1 <= len(t.rubric.rules) <= 3
        for rule in t.rubric.rules:
            assert set(rule.scores) == {"0", "0.25", "0.5", "0.75", "1"}, (t.id, rule.name)
            assert rule.file_path and rule.file_path.startswith("output/")


@pytest.mark.parametrize("task_id", IDS)
def test_oracle_scores_one(task_id):
    traj, _ = oracle(task_id)
    v = traj.verification
    assert traj.status == "done", (task_id, traj.error, traj.messages[-1:])
    assert v is not None and v.status == "ok", (task_id, v)
    assert v.score == 1.0, (task_id, v.checks, v.stderr_tail)
    assert 4 <= len(v.checks) <= 8 and "reward" not in v.checks, (task_id, v.checks)
    assert outputs(task_id), "the solution must write something"
    assert all(p.startswith("output/") for p in outputs(task_id)), (task_id, list(outputs(task_id)))


@pytest.mark.parametrize("task_id", IDS)
def test_noop_scores_zero(task_id):
    traj = rollout(BY_ID[task_id], NoopAgent())
    v = traj.verification
    assert v is not None and v.status == "ok", (task_id, v)
    assert v.score == 0.0, (task_id, v.checks)
    assert all(x == 0 for x in v.checks.values()), (task_id, v.checks)


def placeholder(path: str, data: bytes) -> bytes:
    if path.endswith(".json"):
        return b"{}"
    if path.endswith(".csv"):
        return data.split(b"\n", 1)[0] + b"\n"  # the header alone
    return b""


@pytest.mark.parametrize("task_id", IDS)
def test_placeholders_score_below_half(task_id, tmp_path):
    task = BY_ID[task_id]
    traj, _ = oracle(task_id)
    added = [c.path for c in traj.diff if c.change == "added"]
    assert added
    fakes = {p: placeholder(p, outputs(task_id)[p]) for p in added}
    v = verify_code(task, make_workspace(task, tmp_path, fakes))
    assert v.status == "ok", (task_id, v)
    assert v.score < 0.5, (task_id, v.checks)


def truncated(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join(lines[: len(lines) // 2]) if len(lines) > 1 else data[: len(data) // 2]


@pytest.mark.parametrize("task_id", IDS)
def test_damaged_outputs_lower_the_score(task_id, tmp_path):
    """Cutting any one output file in half, or leaving it out, costs points."""
    task = BY_ID[task_id]
    outs = outputs(task_id)
    for i, path in enumerate(sorted(outs)):
        ws = make_workspace(task, tmp_path / f"cut{i}", {**outs, path: truncated(outs[path])})
        v = verify_code(task, ws)
        assert v.status == "ok" and v.score < 1.0, (task_id, "truncated", path, v.checks)
    path = max(outs, key=lambda p: len(outs[p]))
    ws = make_workspace(task, tmp_path / "missing", {p: d for p, d in outs.items() if p != path})
    v = verify_code(task, ws)
    assert v.status == "ok" and v.score < 1.0, (task_id, "missing", path, v.checks)


@pytest.mark.parametrize("task_id", IDS)
def test_check_script_runs_standalone(task_id, tmp_path):
    """`python3 check.py WORKSPACE` prints the same JSON of checks (ClawGym's contract)."""
    import json
    import subprocess
    import sys

    task = BY_ID[task_id]
    ws = make_workspace(task, tmp_path / "ws", outputs(task_id))
    check = tmp_path / "check.py"
    check.write_bytes(task.check_file().data)
    r = subprocess.run([sys.executable, str(check), str(ws)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data and all(v == 1 or v is True for v in data.values()), (task_id, data)


@pytest.mark.parametrize("task_id", IDS)
def test_a_right_answer_that_damages_an_input_is_far_from_a_pass(task_id, tmp_path):
    """The user's inputs are theirs: the reference answer with any input it kept deleted or
    emptied afterwards scores below half (an agent must not learn that destroying them is free)."""
    task = BY_ID[task_id]
    outs = outputs(task_id)
    kept = [f.path for f in task.workspace if f.path.startswith("input/") and f.path not in outs and f.data]
    assert kept, task_id
    for i, path in enumerate(kept):
        for how in ("deleted", "emptied"):
            ws = make_workspace(task, tmp_path / f"{how}{i}", outs)
            if how == "deleted":
                (ws / path).unlink()
            else:
                (ws / path).write_bytes(b"")
            v = verify_code(task, ws)
            assert v.status == "ok" and v.score < 0.5, (task_id, how, path, v.checks)
