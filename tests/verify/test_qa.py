"""`clawgym tasks qa`: flags weak verifiers, passes sound ones."""

from __future__ import annotations

import json
import subprocess
import sys

from clawgym.tasks import CANONICAL_REWARD_SH
from clawgym.verify import CHEAT_PROBES, PROBES, mutations, qa_task
from clawgym.tasks import Task, TaskFile
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap

GATED = '{"reward": 0.0, "inputs_present": true, "out_exists": false}'      # legacy credits a do-nothing run
UNGATED = '{"inputs_present": true, "out_exists": false}'                   # credits it on its own
STRICT = '{"reward": 0.0, "out_exists": false, "out_correct": false}'       # sound


def _clawgym_task(root, task_id, printed):
    d = root / task_id
    (d / "input_files" / "input").mkdir(parents=True)
    (d / "input_files" / "input" / "data.txt").write_text("1\n2\n")
    (d / "reward").mkdir()
    (d / "reward" / "check.py").write_text(f"print({printed!r})\n")
    (d / "reward" / "reward.sh").write_text(CANONICAL_REWARD_SH)
    (d / "data_entry.json").write_text(json.dumps({"task_id": task_id, "user_query": "Sum input/data.txt into output/sum.txt",
                                                   "metadata": {"category": "", "grading_type": "automated"}}))


def _qa(src, *args):
    r = subprocess.run([sys.executable, "-m", "clawgym", "tasks", "qa", str(src), "--json", *args],
                       capture_output=True, text=True, timeout=300)
    return r.returncode, {row["task_id"]: row for row in map(json.loads, r.stdout.splitlines())}


def test_legacy_flags_every_credited_noop_default_only_self_credited(tmp_path):
    for task_id, printed in (("gated", GATED), ("ungated", UNGATED), ("strict", STRICT)):
        _clawgym_task(tmp_path, task_id, printed)
    code, legacy = _qa(tmp_path, "--aggregation", "legacy")
    assert code == 1
    assert legacy["gated"]["checks"]["noop"]["status"] == "fail"
    assert legacy["ungated"]["checks"]["noop"]["status"] == "fail"
    assert legacy["strict"]["checks"]["noop"]["status"] == "pass"
    assert legacy["gated"]["checks"]["noop"]["detail"]["score"] == 1 / 3
    code, default = _qa(tmp_path)
    assert code == 1
    assert default["gated"]["checks"]["noop"]["status"] == "pass"   # its own reward gate says 0
    assert default["ungated"]["checks"]["noop"]["status"] == "fail"
    assert default["strict"]["passed"] and default["strict"]["checks"]["reference"]["status"] == "skipped"
    for row in default.values():
        assert set(row["checks"]) == set(PROBES)
        if row["checks"]["reference"]["status"] == "skipped":  # no reference: no cheating workspace to derive
            assert all(row["checks"][p]["status"] == "skipped" for p in CHEAT_PROBES)


SUM_CHECK = b"""import json, sys, pathlib
ws = pathlib.Path(sys.argv[1])
nums = [int(x) for x in (ws / "input" / "data.txt").read_text().split()]
out = ws / "output" / "sum.json"
try:
    data = json.loads(out.read_text())
except Exception:
    data = None
ok = isinstance(data, dict)
print(json.dumps({"total": ok and data.get("total") == sum(nums), "count": ok and data.get("count") == len(nums)}))
"""


def _sum_task(check=SUM_CHECK) -> Task:
    solve = b'python3 -c "import json; n=[int(x) for x in open(\'input/data.txt\').read().split()]; ' \
            b'import os; os.makedirs(\'output\', exist_ok=True); json.dump({\'total\': sum(n), \'count\': len(n)}, open(\'output/sum.json\', \'w\'))"\n'
    return Task(id="sum", instruction="Write output/sum.json with total and count of input/data.txt",
                workspace=[TaskFile(path="input/data.txt", data=b"3\n4\n5\n")], checks=[TaskFile(path="check.py", data=check)],
                solution=[TaskFile(path="solve.sh", data=solve)])


def test_a_sound_verifier_passes_every_probe():
    r = qa_task(_sum_task())
    assert r.passed, r
    skipped = {"universal": "no other task", "overdoing": "no unnamed file", "answer_key": "no Python"}
    assert r.skipped == sorted(skipped)  # a lone task writing no code, with no other files: not passed either
    for name, why in skipped.items():
        assert why in r.checks[name].detail
    assert all(c.status == "pass" for n, c in r.checks.items() if n not in skipped)
    assert r.checks["placeholders"].detail["paths"] == ["output/sum.json"]


def test_credit_for_a_valid_but_empty_answer_is_a_shell():
    shaped = SUM_CHECK.replace(b'print(json.dumps({"total"', b'print(json.dumps({"valid": ok, "total"')
    r = qa_task(_sum_task(shaped))
    assert r.checks["placeholders"].status == "pass" and r.checks["shell"].status == "fail"
    assert r.checks["shell"].detail["scores"] == {"emptied": 0.333333, "generic": 0.333333}


def test_a_lenient_verifier_is_caught_by_placeholders_and_mutations():
    lenient = b'import json, sys, pathlib\np = pathlib.Path(sys.argv[1], "output", "sum.json")\n' \
              b'print(json.dumps({"exists": p.exists()}))\n'
    r = qa_task(_sum_task(lenient))
    assert not r.passed
    assert r.checks["placeholders"].status == "fail" and r.checks["mutations"].status == "fail"
    assert r.checks["reference"].status == "pass" and r.checks["noop"].status == "pass"


def test_a_broken_reference_and_nondeterminism_are_caught():
    flaky = b'import json, random\nprint(json.dumps({"ok": random.random() < 0.5, "b": random.random() < 0.5, "c": 0}))\n'
    r = qa_task(_sum_task(flaky))
    assert r.checks["reference"].status == "fail"
    assert not r.passed


def test_mutations_cover_each_kind():
    m = mutations("out.csv", b"name,total\nann,3\nbob,4\n")
    assert set(m) == {"truncate", "drop_record", "perturb_number", "swap_fields"}
    assert m["drop_record"] == b"name,total\nann,3\n" and m["swap_fields"] == b"name,total\n3,ann\nbob,4\n"
    j = mutations("o.json", b'{"items": [1, 2], "total": 3}')
    assert json.loads(j["drop_record"]) == {"items": [1], "total": 3}


def test_the_starter_suite_passes_every_probe():
    """Every probe, the cheating ones included, passes on every starter task (the suite is the
    default of `clawgym run`, and the model of a verifier that cannot be gamed): a probe may be
    skipped only with a reason, and those every starter task can face (tampered inputs, the
    answer's shell, another format) are never skipped; the one task whose check runs the agent's
    code faces the answer-key probe."""
    from clawgym.starter import STARTER_DIR

    code, rows = _qa(STARTER_DIR)
    assert len(rows) >= 12
    for row in rows.values():
        assert set(row["checks"]) == set(PROBES)
        assert not [p for p in PROBES if row["checks"][p]["status"] == "fail"], row
        skipped = {p: row["checks"][p]["detail"] for p in PROBES if row["checks"][p]["status"] == "skipped"}
        assert all(isinstance(why, str) and why.strip() for why in skipped.values()), skipped
        assert not {"tampered_inputs", "shell", "other_format"} & set(skipped), row
        assert row["passed"], row
    assert rows["starter-fix-stats-bug"]["checks"]["answer_key"]["status"] == "pass"
    assert code == 0


def test_one_session_per_task_and_no_probe_sees_what_a_check_left_behind():
    """All probe workspaces of a task are scored in one verification session, refilled for each:
    a check that leaves files in /tmp, HOME or the workspace, or a process behind, must not find
    them on the next probe (else the reference would score 0 the second time: determinism)."""
    leaky = (b'import os, subprocess, sys\n'
             b'marks = ["/tmp/seen", "/root/seen", "/var/seen", os.path.join(sys.argv[1], "seen")]\n'
             b'left = any(os.path.exists(m) for m in marks) or subprocess.run(["pgrep", "-f", "sleep 987"]).returncode == 0\n'
             b'for m in marks:\n    open(m, "w").close()\n'
             b'subprocess.Popen(["sh", "-c", "sleep 987"], start_new_session=True)\n'
             b'if left:\n    print(\'{"clean": 0}\'); sys.exit(0)\n') + SUM_CHECK
    r = qa_task(_sum_task(leaky))
    assert r.checks["reference"].status == "pass" and r.checks["determinism"].status == "pass", r.checks
    assert r.checks["runtime"].detail["sandbox_sessions"] == 1
    assert r.checks["runtime"].detail["verifications"] >= 5
