"""`--aggregation legacy` gives exactly the number ClawGym's own reward.sh prints."""

from __future__ import annotations

import pytest

from clawgym.tasks import Task, TaskFile
from clawgym.verify import verify_code
from tests.conftest import requires_bwrap
from tests.verify.reference import placeholder_workspace, run_reward_sh

pytestmark = requires_bwrap


def _agree(task: Task, files: list[TaskFile], tmp_path) -> tuple[str | None, float]:
    ws = tmp_path / f"ws-{task.id}"
    for f in files:
        (ws / f.path).parent.mkdir(parents=True, exist_ok=True)
        (ws / f.path).write_bytes(f.data)
    ws.mkdir(exist_ok=True)
    printed = run_reward_sh(task, files)
    ours = verify_code(task, ws, aggregation="legacy")
    if printed is None:
        assert ours.status == "verifier_error" and ours.score == 0.0, (task.id, ours)
    else:
        assert ours.status == "ok" and repr(ours.score) == printed, (task.id, printed, ours)
    return printed, ours.score


def test_untouched_fixture_workspaces_match_reward_sh(repo_tasks, hf_tasks, tmp_path):
    for task in repo_tasks + hf_tasks:
        _agree(task, list(task.workspace), tmp_path)


def test_placeholder_outputs_match_reward_sh(repo_tasks, hf_tasks, tmp_path):
    nonzero = 0
    for task in repo_tasks + hf_tasks:
        printed, _ = _agree(task, placeholder_workspace(task), tmp_path / "p")
        nonzero += printed is not None and float(printed) > 0
    assert nonzero >= 5  # the comparison must cover scores other than 0.0


CASES = [
    ('{"a": 1, "b": 0, "c": 0.3333}', 0, (1 + 0 + 0.3333) / 3, "ok"),
    ('{"reward": 0.5, "a": true, "b": 0.25}', 0, 0.5, "ok"),
    ('{"a": 0.1, "b": 0.2, "c": 0.7}', 0, (0.1 + 0.2 + 0.7) / 3, "ok"),
    ("0.7", 0, 0.7, "ok"),
    ("true", 0, 1.0, "ok"),
    ("[]", 0, None, "verifier_error"),
    ("{}", 0, None, "verifier_error"),
    ('{"a": "0.5", "b": 1}', 0, None, "verifier_error"),
    ('{"a": null}', 0, None, "verifier_error"),
    ('{"a": 1.5}', 0, None, "verifier_error"),
    ("garbage", 0, None, "verifier_error"),
    ("", 0, None, "verifier_error"),
    ('{"a": 1}', 1, None, "verifier_error"),
    ('debug line\n{"a": 1, "b": 0}', 0, 0.5, "ok"),
]


@pytest.mark.parametrize("output, code, default_score, default_status", CASES)
def test_crafted_outputs(tmp_path, output, code, default_score, default_status):
    check = f"import sys\nsys.stdout.write({output!r})\nsys.exit({code})\n"
    task = Task(id="crafted", instruction="x", workspace=[TaskFile(path="a.txt", data=b"a")],
                checks=[TaskFile(path="check.py", data=check.encode())])
    _agree(task, list(task.workspace), tmp_path)  # legacy == reward.sh, whatever it prints
    ours = verify_code(task, None)
    assert ours.status == default_status, ours
    if default_score is not None:
        assert ours.score == pytest.approx(default_score)
    else:
        assert ours.score == 0.0 and ours.error
