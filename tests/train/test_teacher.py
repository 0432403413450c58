"""Teacher trajectories: the reference solution acted out with real tool calls (read, write,
exec), verified like any rollout, and usable as SFT data."""

from __future__ import annotations

import json

import pytest

from clawgym.agent import rollout
from clawgym.tasks import Task, TaskFile
from clawgym.train import TeacherAgent, solution_plan
from clawgym.train._teacher import TeacherError, call_text, edit_calls, plan_turns
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
    # one turn per phase: look, read (all the reads at once), change
    assert traj.steps[0].tool_calls == ["exec"] and set(traj.steps[1].tool_calls) == {"read"}
    assert traj.final_message.startswith("Done: I wrote `out/upper.txt`; moved 1 file")
    assert len(traj.steps) == 4  # look, read, change, answer
    assert all(s.errors == [] for s in traj.steps)


def test_family_tasks_get_full_score_teachers():
    fams = pytest.importorskip("clawgym.synth.families")
    names = list(fams.families())[:15:3]
    for name in names:
        traj = rollout(fams.generate_task(name, 7), TeacherAgent())
        assert traj.score == 1.0, (name, traj.error, traj.verification)
        assert {c for s in traj.steps for c in s.tool_calls} & {"write", "exec", "edit"}


def test_a_failing_solution_is_an_agent_error():
    t = _task()
    t.solution = [TaskFile(path="solve.sh", data=b"exit 3\n")]
    traj = rollout(t, TeacherAgent())
    assert traj.status == "agent_error" and "failed (exit 3)" in traj.error and traj.score == 0.0


def _apply(text: str, calls: list[dict]) -> str:
    for c in calls:
        a = c["arguments"]
        assert text.count(a["old_string"]) == 1, a  # the edit tool refuses anything else
        text = text.replace(a["old_string"], a["new_string"], 1)
    return text


def test_edit_calls_are_small_unique_and_exact():
    old = "[a]\nport = 1\nhost = x\n\n[b]\nport = 1\nhost = y\n"
    new = "[a]\nport = 1\nhost = x\n\n[b]\nport = 2\nhost = y\nttl = 5\n"
    calls = edit_calls("c.ini", old, new)
    assert calls and all(c["name"] == "edit" and c["arguments"]["path"] == "c.ini" for c in calls)
    assert _apply(old, calls) == new
    # `port = 1` occurs twice: the old text grows just enough context to be unique
    assert all(old.count(c["arguments"]["old_string"]) == 1 for c in calls)
    assert sum(len(c["arguments"]["old_string"]) for c in calls) < len(old) / 2
    # deletions and insertions at the edges
    a = "alpha one\nbeta two\ngamma three\ndelta four\nepsilon five\n"
    b = "beta two\ngamma three\ndelta four\nepsilon five\nomega six\n"
    assert _apply(a, edit_calls("f", a, b)) == b
    # a whole-file change is a write, not edits
    assert edit_calls("f", "a\nb\n", "c\nd\n") is None
    assert edit_calls("f", "same\n", "same\n") is None


def test_plan_turns_group_phases_within_the_turn_budget():
    calls = [{"name": "exec", "arguments": {"command": "ls"}},
             {"name": "read", "arguments": {"path": "a"}}, {"name": "read", "arguments": {"path": "b"}},
             {"name": "edit", "arguments": {"path": "a", "old_string": "x" * 60, "new_string": "y" * 60}},
             {"name": "edit", "arguments": {"path": "b", "old_string": "p", "new_string": "q"}}]
    assert [[c["name"] for c in t] for t in plan_turns(calls)] == [["exec"], ["read", "read"], ["edit", "edit"]]
    n = len(call_text(calls[3])) // 3 + 2
    turns = plan_turns(calls, turn_tokens=n + 5)
    assert [[c["name"] for c in t] for t in turns] == [["exec"], ["read", "read"], ["edit"], ["edit"]]
    with pytest.raises(TeacherError, match="turn budget"):
        plan_turns(calls, turn_tokens=20)


def test_teacher_keeps_to_the_students_budget():
    from clawgym.agent import AgentConfig
    from clawgym.models import SamplingParams

    # 4 turns (look, read, changes, answer) do not fit in 3: refused, never a half demonstration
    traj = rollout(_task(), TeacherAgent(config=AgentConfig(max_steps=3)))
    assert traj.status == "agent_error" and "not replayable" in traj.error and "3" in traj.error
    traj = rollout(_task(), TeacherAgent(config=AgentConfig(max_steps=8, sampling=SamplingParams(max_tokens=10))))
    assert traj.status == "agent_error" and "turn budget of 10 tokens" in traj.error


def test_module_agents_get_the_run_budgets():
    from clawgym.agent import AgentConfig
    from clawgym.registry import make_agent

    teacher = make_agent("clawgym.train:TeacherAgent", None, AgentConfig(max_steps=3))
    assert teacher.cfg.max_steps == 3


def test_family_teacher_edits_instead_of_rewriting():
    fams = pytest.importorskip("clawgym.synth.families")
    task = fams.generate_task("ini_config_edit", 3, difficulty="easy")
    traj = rollout(task, TeacherAgent())
    assert traj.score == 1.0 and traj.stop_reason == "final"
    names = [s.tool_calls for s in traj.steps]
    assert names[0] == ["exec"] and names[1] == ["read"] and set(names[2]) == {"edit"}
