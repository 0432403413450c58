"""Teacher trajectories: the reference solution acted out with real tool calls (read, write,
exec), verified like any rollout, and usable as SFT data."""

from __future__ import annotations

import json

import pytest

from clawgym.agent import rollout
from clawgym.tasks import Task, TaskFile
from clawgym.train import TeacherAgent, solution_plan
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap

CHECK = """import json, os, sys
ws = sys.argv[1]
def rd(p):
    p = os.path.join(ws, p)
    return open(p).read() if os.path.exists(p) else None
print(json.dumps({"upper": float(rd("out/upper.txt") == "HELLO\\n"), "moved": float(rd("done/a.log") == "log\\n"),
                  "gone": float(rd("tmp.bak") is None and rd("a.log") is None)}))
"""
SOLVE = "mkdir -p out done\ntr a-z A-Z < in.txt > out/upper.txt\nmv a.log done/a.log\nrm tmp.bak\n"


def _task() -> Task:
    return Task(id="teach", instruction="Uppercase in.txt into out/upper.txt, move a.log to done/, delete tmp.bak.",
                workspace=[TaskFile(path="in.txt", data=b"hello\n"), TaskFile(path="a.log", data=b"log\n"),
                           TaskFile(path="tmp.bak", data=b"x")],
                checks=[TaskFile(path="check.py", data=CHECK.encode())],
                solution=[TaskFile(path="solve.sh", data=SOLVE.encode(), executable=True)])


def test_plan_is_tool_calls_that_reproduce_the_solution():
    calls = solution_plan(_task(), backend="bwrap")
    assert calls[0] == {"name": "exec", "arguments": {"command": "find . -type f | sort"}}
    assert {"name": "read", "arguments": {"path": "in.txt"}} in calls
    assert {"name": "exec", "arguments": {"command": "mkdir -p done\nmv a.log done/a.log"}} in calls
    assert {"name": "write", "arguments": {"path": "out/upper.txt", "content": "HELLO\n"}} in calls
    assert calls[-1] == {"name": "exec", "arguments": {"command": "rm -f tmp.bak"}}
    assert not any("solve" in json.dumps(c) for c in calls)  # the script itself never appears


def test_teacher_rollout_scores_and_reads_like_an_agent():
    traj = rollout(_task(), TeacherAgent())
    assert traj.score == 1.0 and traj.stop_reason == "final" and traj.status == "done"
    assert traj.messages[0]["role"] == "system" and traj.messages[1]["content"].startswith("Uppercase")
    assert [s.tool_calls for s in traj.steps][:2] == [["exec"], ["read"]]
    assert traj.final_message.startswith("Done: I wrote `out/upper.txt`; moved 1 file")
    assert all(s.errors == [] for s in traj.steps)


def test_family_tasks_get_full_score_teachers():
    fams = pytest.importorskip("clawgym.synth.families")
    names = list(fams.families())[:15:3]
    for name in names:
        traj = rollout(fams.generate_task(name, 7), TeacherAgent())
        assert traj.score == 1.0, (name, traj.error, traj.verification)
        assert {c for s in traj.steps for c in s.tool_calls} & {"write", "exec"}


def test_a_failing_solution_is_an_agent_error():
    t = _task()
    t.solution = [TaskFile(path="solve.sh", data=b"exit 3\n")]
    traj = rollout(t, TeacherAgent())
    assert traj.status == "agent_error" and "failed (exit 3)" in traj.error and traj.score == 0.0
