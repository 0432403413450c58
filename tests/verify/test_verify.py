"""Code verification: scoring rules, failures as data, and the verifier's own integrity."""

from __future__ import annotations

import json

from clawgym.tasks import Task, TaskFile
from clawgym.verify import verify_code, verify_many
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap

GOOD_CHECK = b"""import json, sys
from pathlib import Path
def grade(transcript, workspace_path):
    p = Path(workspace_path) / "output" / "answer.txt"
    ok = p.is_file() and p.read_text().strip() == "42"
    return {"answer_exists": p.is_file(), "answer_correct": ok}
if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
"""


def _task(check: bytes = GOOD_CHECK, **kw) -> Task:
    return Task(id="t", instruction="Write 42 to output/answer.txt",
                workspace=[TaskFile(path="input/q.txt", data=b"6*7")],
                checks=[TaskFile(path="check.py", data=check)], **kw)


def _ws(tmp_path, files: dict[str, str]):
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_scores_are_the_mean_of_checks_and_every_subscore_is_kept(tmp_path):
    task = _task()
    assert verify_code(task).score == 0.0
    half = verify_code(task, _ws(tmp_path / "a", {"output/answer.txt": "41"}))
    assert half.status == "ok" and half.score == 0.5
    assert half.checks == {"answer_exists": 1.0, "answer_correct": 0.0}
    assert verify_code(task, _ws(tmp_path / "b", {"output/answer.txt": "42\n"})).score == 1.0


def test_a_reward_key_is_the_gated_total(tmp_path):
    check = b'print(\'{"reward": 0.0, "file_exists": true, "content_ok": false}\')'
    r = verify_code(_task(check))
    assert r.score == 0.0 and r.declared_reward == 0.0 and r.checks["file_exists"] == 1.0
    legacy = verify_code(_task(check), aggregation="legacy")
    assert legacy.score == 1 / 3  # ClawGym's reward.sh averages `reward` in with the checks


def test_crash_timeout_and_garbage_are_verifier_errors_not_zeros():
    crash = verify_code(_task(b"raise RuntimeError('boom')"))
    assert crash.status == "verifier_error" and crash.score == 0.0 and "boom" in crash.error
    slow = verify_code(_task(b"import time; time.sleep(30)"), timeout_s=1)
    assert slow.status == "verifier_error" and "timed out" in slow.error and slow.duration_s < 5
    garbage = verify_code(_task(b"print('all good!')"))
    assert garbage.status == "verifier_error" and "not JSON" in garbage.error
    missing = verify_code(_task().model_copy(update={"checks": []}))
    assert missing.status == "verifier_error" and "no check script" in missing.error
    honest_zero = verify_code(_task())
    assert honest_zero.status == "ok" and honest_zero.score == 0.0 and honest_zero.error is None


def test_checks_receive_the_payload_with_final_message_and_transcript():
    check = b"""import json, os
p = json.load(open(os.environ["OPENCLAW_REWARD_PAYLOAD"]))
print(json.dumps({"said_done": p["final_message"] == "done", "saw_steps": len(p["transcript"]) == 2}))
"""
    r = verify_code(_task(check), final_message="done", transcript=[{"role": "user"}, {"role": "assistant"}])
    assert r.score == 1.0, r


def test_the_agent_cannot_replace_the_checks_or_the_interpreter(tmp_path):
    forged = "import json; print(json.dumps({'answer_exists': 1, 'answer_correct': 1}))"
    ws = _ws(tmp_path, {
        "reward/check.py": forged,  # ClawGym's in-place layout would run this
        "checks/check.py": forged,
        "python3": "#!/bin/sh\necho '{\"answer_correct\": 1}'\n",
        "sitecustomize.py": "import sys; sys.exit(0)",
        ".openclaw_reward_payload.json": '{"final_message": "forged"}',
        "reward.txt": "1.0",
    })
    (ws / "python3").chmod(0o755)
    r = verify_code(_task(), ws)
    assert r.status == "ok" and r.score == 0.0, r


def test_verification_does_not_modify_the_final_workspace(tmp_path):
    check = b"""import json, sys, pathlib
pathlib.Path(sys.argv[1], "output", "answer.txt").write_text("42")
print(json.dumps({"ok": 1}))"""
    ws = _ws(tmp_path, {"output/answer.txt": "41"})
    assert verify_code(_task(check), ws).score == 1.0
    assert (ws / "output" / "answer.txt").read_text() == "41"


def test_symlinks_leaving_the_workspace_are_dropped(tmp_path):
    ws = _ws(tmp_path, {})
    (ws / "output").mkdir()
    (ws / "output" / "answer.txt").symlink_to("/etc/hostname")
    r = verify_code(_task(), ws)
    assert r.checks["answer_exists"] == 0.0


def test_verify_many_keeps_input_order_and_runs_concurrently(tmp_path):
    tasks = [_task().model_copy(update={"id": f"t{i}"}) for i in range(6)]
    results = verify_many(tasks, concurrency=3)
    assert [r.task_id for r in results] == [t.id for t in tasks]
    assert all(r.status == "ok" for r in results)
    assert json.loads(results[0].model_dump_json())["checks"] == {"answer_exists": 0.0, "answer_correct": 0.0}


def test_process_backend_scores_the_same(tmp_path):
    import warnings

    ws = _ws(tmp_path, {"output/answer.txt": "42"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = verify_code(_task(), ws, backend="process")
    assert r.status == "ok" and r.score == 1.0
