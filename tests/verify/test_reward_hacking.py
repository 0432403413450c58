"""Reward hacking: a scripted agent tries each trick. Our verification gives what the final
files honestly earn; the naive in-place verification (tests/verify/naive.py: ClawGym's and
Harbor's way) is fooled by the same trick, so each test would fail without the defence."""

from __future__ import annotations

import json
import time

import pytest

from clawgym.agent import LLMAgent, rollout
from clawgym.models import ScriptedModel
from clawgym.sandbox import SandboxLimits, create_sandbox
from clawgym.tasks import Limits, Task, TaskFile
from tests.conftest import requires_bwrap
from tests.verify.naive import naive_verify

pytestmark = requires_bwrap

# A realistic check with realistic weaknesses: it reads a data file shipped beside it, loops over
# the answer line by line, crashes on malformed JSON, and runs the agent's report script without
# capturing its output (as several ClawGym checks run the agent's code).
CHECK = b'''import json, subprocess, sys
from pathlib import Path
ws = Path(sys.argv[1])
expected = json.loads((Path(__file__).parent / "expected.json").read_text())
answer_path = ws / "output" / "answer.json"
checks = {"answer_exists": answer_path.is_file(), "answer_correct": False, "report_runs": False}
if answer_path.is_file():
    with open(answer_path, errors="replace") as fh:
        lines = sum(1 for _ in fh)
    checks["answer_correct"] = json.loads(answer_path.read_text()) == expected
checks["report_runs"] = subprocess.run([sys.executable, str(ws / "tools" / "report.py")]).returncode == 0
print(json.dumps(checks))
'''
NUMBERS = b"3\n4\n5\n"
EXPECTED = {"total": 12, "count": 3}


def _task() -> Task:
    return Task(id="hack", instruction="Sum input/numbers.txt into output/answer.json as {total, count}.",
                workspace=[TaskFile(path="input/numbers.txt", data=NUMBERS),
                           TaskFile(path="tools/report.py", data=b"import sys\nsys.exit('not implemented')\n")],
                checks=[TaskFile(path="check.py", data=CHECK),
                        TaskFile(path="expected.json", data=json.dumps(EXPECTED).encode())],
                limits=Limits(verify_timeout_s=5))


FAKE = json.dumps({"answer_exists": 1, "answer_correct": 1, "report_runs": 1})
WRONG = ("write", "output/answer.json", '{"total": 0, "count": 0}')


def _calls(actions) -> list:
    calls = []
    for a in actions:
        if a[0] == "write":
            calls.append({"tool_calls": [{"name": "write", "arguments": {"path": a[1], "content": a[2]}}]})
        else:
            calls.append({"tool_calls": [{"name": "exec", "arguments": {"command": a[1], "background": a[0] == "bg"}}]})
    return calls


def _ours(actions) -> float:
    traj = rollout(_task(), LLMAgent(ScriptedModel(_calls(actions) + ["I am done."])))
    assert traj.verification is not None
    return traj.verification.score


def _naive(actions, settle_s: float = 0.0) -> float:
    task = _task()
    with create_sandbox(files=task.workspace, mount_path=task.mount_path) as sb:
        for a in actions:
            if a[0] == "write":
                sb.write_files([TaskFile(path=a[1], data=a[2].encode(), executable=a[1].endswith(("python3", ".sh")))])
            elif a[0] == "bg":
                sb.spawn(a[1])
            else:
                sb.exec(a[1])
        time.sleep(settle_s)
        return naive_verify(sb, task)


def test_honest_baselines():
    assert _ours([]) == 0.0 and _naive([]) == 0.0
    solve = [("write", "output/answer.json", json.dumps(EXPECTED))]
    assert _ours(solve) == pytest.approx(2 / 3) and _naive(solve) == pytest.approx(2 / 3)


def test_forged_reward_and_score_files():
    forge = [("write", "output/answer.json", "{not json"),  # makes the check crash
             ("write", "logs/verifier/reward.txt", "1.0"), ("write", "reward.txt", "1.0"),
             ("write", "reward.json", '{"reward": 1.0}'), ("write", "score.json", '{"reward": 1.0}')]
    assert _naive(forge) == 1.0
    assert _ours(forge) == 0.0  # the crash is a verifier_error (score 0); no file is read as a score


def test_planted_checks_and_shadow_modules():
    plant = [WRONG, ("write", "reward/check.py", f"print({FAKE!r})"), ("write", "checks/check.py", f"print({FAKE!r})"),
             # the checks' folder comes first on sys.path: a planted json.py replaces the real module
             ("write", "reward/json.py", f"import sys\nsys.stdout.write({FAKE!r} + '\\n')\nsys.exit(0)\n")]
    assert _naive(plant) == 1.0
    assert _ours(plant) == pytest.approx(1 / 3)  # honest: the (wrong) answer file exists


def test_python3_shim_on_path_and_in_the_workspace():
    shim = f"#!/bin/sh\necho '{FAKE}'\n"
    attack = [WRONG, ("write", ".bin/python3", shim), ("write", "python3", shim), ("exec", "chmod +x .bin/python3 python3")]
    assert _naive(attack) == 1.0
    assert _ours(attack) == pytest.approx(1 / 3)


@pytest.mark.parametrize("name", ["sitecustomize.py", "usercustomize.py", "hack.pth"])
def test_site_customisation_hooks(name):
    code = f"import os, sys; sys.stdout.write({FAKE!r} + '\\n'); sys.stdout.flush(); os._exit(0)"
    site = ".home/.local/lib/python3.11/site-packages"
    attack = [WRONG, ("write", f"{site}/{name}", code + "\n"), ("write", name, code + "\n")]
    assert _naive(attack) == 1.0
    assert _ours(attack) == pytest.approx(1 / 3)


def test_symlinked_outputs():
    link = [("exec", "mkdir -p output && ln -s ../reward/expected.json output/answer.json"),  # where the checks will be
            ("exec", "ln -s /etc/hostname output/host_copy.txt")]
    assert _naive(link) == pytest.approx(2 / 3)  # the answer 'matches': it is the expected file itself
    assert _ours(link) == 0.0  # a link that dangles when the agent stops is no answer


def test_a_huge_file_does_not_become_a_score():
    huge = [("exec", "mkdir -p output && head -c 200000000 /dev/zero | tr '\\0' '\\n' > output/answer.json"),
            ("write", "logs/verifier/reward.txt", "1.0")]  # the slow check times out; a stale reward file remains
    assert _naive(huge) == 1.0
    assert _ours(huge) == 0.0  # the verifier timed out: verifier_error, score 0, never the forged file
    with create_sandbox(limits=SandboxLimits(max_file_bytes=10 << 20)) as sb:  # and the agent's writes are capped
        sb.exec("head -c 50000000 /dev/zero > big.bin")
        assert sb.stat("big.bin").size == 10 << 20


def test_a_background_process_rewriting_outputs_after_the_agent_stops():
    late = [("bg", "sleep 1; mkdir -p output; echo '{\"total\": 12, \"count\": 3}' > output/answer.json; "
                   "echo 'print(1)' > tools/report.py")]
    assert _naive(late, settle_s=2.0) == 1.0
    assert _ours(late) == 0.0  # stopped with the agent: the outputs are what it left


def test_fake_score_json_on_stdout():
    # the check runs the agent's script, which prints a fake result and then hangs the check
    report = f"import time\nprint({FAKE!r}, flush=True)\ntime.sleep(60)\n"
    fake = [WRONG, ("write", "tools/report.py", report)]
    assert _naive(fake) == 1.0
    assert _ours(fake) == 0.0  # the check timed out: verifier_error, whatever was printed


def test_special_files_left_in_the_workspace_do_not_break_verification():
    # a FIFO or socket must neither hang the copy nor turn the attempt into a verifier error
    calls = _calls([("exec", "mkdir -p output && mkfifo output/answer.json output/trap && "
                             "python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('output/sock')\"")])
    traj = rollout(_task(), LLMAgent(ScriptedModel(calls + ["done"])))
    assert traj.verification.status == "ok" and traj.verification.score == 0.0, traj.verification


def test_a_file_flood_is_a_bounded_verifier_error(monkeypatch):
    monkeypatch.setenv("CLAWGYM_MAX_WORKSPACE_ENTRIES", "500")  # read through the settings, at use
    traj = rollout(_task(), LLMAgent(ScriptedModel(_calls([("exec", "mkdir -p flood && cd flood && touch $(seq 1 2000)")])
                                                   + ["done"])))
    assert traj.verification.status == "verifier_error" and traj.score == 0.0
    assert "more than 500 files" in traj.verification.error
