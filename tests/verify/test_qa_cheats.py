"""QA's cheating probes: each cheating class planted in a small hand-written verifier is caught
by its probe, and a sound verifier of the same task is not flagged."""

from __future__ import annotations

import hashlib
import json

import pytest

from clawgym.tasks import Provenance, Task, TaskFile
from clawgym.verify import ReferenceDiff, qa_many, qa_task
from clawgym.verify._cheats import format_variants, overdo_variants, shell, universal_variants
from tests.conftest import requires_bwrap

DATA = b"3\n4\n5\n"
NOTES = b"call the bank on monday\n"
SOLVE = (b'python3 -c "import json, os; n=[int(x) for x in open(\'input/data.txt\').read().split()]; '
         b'os.makedirs(\'output\', exist_ok=True); json.dump({\'total\': sum(n), \'count\': len(n)}, '
         b'open(\'output/sum.json\', \'w\'))"\n')

HEAD = b"""import hashlib, json, sys
from pathlib import Path
ws = Path(sys.argv[1])
keep = json.loads(Path(__file__).with_name("keep.json").read_text())
def intact():
    try:
        return all(hashlib.sha256((ws / p).read_bytes()).hexdigest() == h for p, h in keep.items())
    except OSError:
        return False
try:
    nums = [int(x) for x in (ws / "input" / "data.txt").read_text().split()]
except Exception:
    nums = None
try:
    data = json.loads((ws / "output" / "sum.json").read_text())
    assert isinstance(data, dict)
except Exception:
    data = {}
"""
SOUND = HEAD + b"""ok = nums is not None and intact()
print(json.dumps({"total": ok and data.get("total") == sum(nums), "count": ok and data.get("count") == len(nums)}))
"""
# the inputs' fate is never looked at: the expected values are copied from the reference
HARDCODED = HEAD + b"""print(json.dumps({"total": data.get("total") == 12, "count": data.get("count") == 3}))
"""
# the user's other files are never looked at
NO_KEEP = HEAD + b"""ok = nums is not None
print(json.dumps({"total": ok and data.get("total") == sum(nums), "count": ok and data.get("count") == len(nums)}))
"""
# credit for the answer's form
FORM_CREDIT = HEAD + b"""ok = nums is not None and intact()
print(json.dumps({"valid": bool(data), "keys": set(data) == {"total", "count"},
                  "total": ok and data.get("total") == sum(nums), "count": ok and data.get("count") == len(nums)}))
"""
# the exact bytes the reference wrote, nothing else
EXACT_BYTES = HEAD + b"""ok = nums is not None and intact()
want = json.dumps({"total": sum(nums or []), "count": len(nums or [])}).encode()
try:
    same = (ws / "output" / "sum.json").read_bytes() == want
except OSError:
    same = False
print(json.dumps({"exact": ok and same}))
"""
# only properties every answer of the family has: any sibling's answer does
FAMILY_SHAPE = HEAD + b"""ok = nums is not None and intact()
count, total = data.get("count"), data.get("total")
print(json.dumps({"count": ok and isinstance(count, int) and count >= 1,
                  "total": ok and isinstance(total, int) and isinstance(count, int) and total >= count}))
"""


def sum_task(check: bytes, data: bytes = DATA, task_id: str = "sum", family: str | None = None) -> Task:
    keep = {p: hashlib.sha256(d).hexdigest() for p, d in (("input/data.txt", data), ("notes/todo.txt", NOTES))}
    return Task(id=task_id, instruction="Write output/sum.json with the total and count of the numbers in "
                                        "input/data.txt.",
                workspace=[TaskFile(path="input/data.txt", data=data), TaskFile(path="notes/todo.txt", data=NOTES)],
                checks=[TaskFile(path="check.py", data=check), TaskFile(path="keep.json", data=json.dumps(keep).encode())],
                solution=[TaskFile(path="solve.sh", data=SOLVE)],
                provenance=Provenance(route="family", generator=family) if family else Provenance())


def statuses(r) -> dict[str, str]:
    return {k: v.status for k, v in r.checks.items()}


@requires_bwrap
def test_a_sound_verifier_is_not_flagged():
    r = qa_task(sum_task(SOUND), workers=2)
    assert r.passed, r
    st = statuses(r)
    for name in ("reference", "tampered_inputs", "shell", "overdoing", "other_format", "mutations"):
        assert st[name] == "pass", (name, r.checks[name])
    assert st["universal"] == "skipped" and st["answer_key"] == "skipped"  # alone; writes no Python
    assert r.checks["overdoing"].detail["scores"] == {"notes/todo.txt:deleted": 0.0, "others:changed": 0.0}


@requires_bwrap
def test_inputs_tampered_after_the_answer_are_caught():
    r = qa_task(sum_task(HARDCODED))
    assert r.checks["reference"].status == "pass"
    probe = r.checks["tampered_inputs"]
    assert probe.status == "fail" and not r.passed
    assert {"input/data.txt:deleted", "input/data.txt:emptied", "input/data.txt:corrupted"} <= \
        set(probe.detail["not_lower_enough"])


@requires_bwrap
def test_overdoing_is_caught():
    r = qa_task(sum_task(NO_KEEP))
    assert r.checks["tampered_inputs"].status == "pass"  # it does recompute from the input
    assert r.checks["overdoing"].status == "fail"
    assert r.checks["overdoing"].detail["not_lower"] == ["notes/todo.txt:deleted", "others:changed"]


@requires_bwrap
def test_the_answer_shell_is_caught():
    r = qa_task(sum_task(FORM_CREDIT))
    assert r.checks["shell"].status == "fail"
    assert r.checks["shell"].detail["scores"]["emptied"] == 0.5
    assert r.checks["placeholders"].status == "pass"  # the older probe does not see it


@requires_bwrap
def test_over_strictness_is_caught():
    r = qa_task(sum_task(EXACT_BYTES))
    assert r.checks["reference"].status == "pass"
    assert r.checks["other_format"].status == "fail"
    assert r.checks["other_format"].detail["lower"] == ["json_key_order", "json_reindented"]


@requires_bwrap
def test_one_answer_for_the_whole_family_is_caught():
    datas = [b"3\n4\n5\n", b"10\n20\n30\n40\n", b"7\n8\n"]
    weak = [sum_task(FAMILY_SHAPE, d, f"weak-{i}", "sums") for i, d in enumerate(datas)]
    sound = [sum_task(SOUND, d, f"sound-{i}", "sums/sound") for i, d in enumerate(datas)]
    results = {r.task_id: r for r in qa_many(weak + sound, concurrency=2)}
    for i in range(3):
        u = results[f"weak-{i}"].checks["universal"]
        assert u.status == "fail", u
        assert "union" in u.detail["scores"] and len(u.detail["scores"]) == 3
        assert results[f"sound-{i}"].checks["universal"].status == "pass"
        assert results[f"sound-{i}"].passed


# -- answer keys within reach of the agent's code ----------------------------------------------------
BUGGY = b"def add(a, b):\n    return a - b\n"
FIXED = b"def add(a, b):\n    return a + b\n"
CASES = [[[2, 3], 5], [[10, -4], 6], [[0, 7], 7]]
RUNNER = ("import importlib.util, json, sys\n"
          "spec = importlib.util.spec_from_file_location('calc', sys.argv[1])\n"
          "mod = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(mod)\n"
          "print(json.dumps([mod.add(*a) for a in json.loads(sys.stdin.read())]))\n")
CALC_HEAD = b"""import importlib.util, json, os, shutil, subprocess, sys, tempfile
from pathlib import Path
ws = Path(sys.argv[1])
here = Path(__file__).resolve().parent
cases = json.loads((here / "cases.json").read_text())
"""
# imports the agent's module into the check's own process, next to reward/cases.json
IN_PROCESS = CALC_HEAD + b"""try:
    spec = importlib.util.spec_from_file_location("calc", ws / "src" / "calc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    got = [mod.add(*a) for a, _ in cases]
except Exception:
    got = []
print(json.dumps({"cases": sum(g == w for g, (_, w) in zip(got, cases)) / len(cases)}))
"""
SUBPROCESS = CALC_HEAD + b"""shutil.rmtree(here, ignore_errors=True)
payload = os.environ.get("OPENCLAW_REWARD_PAYLOAD")
if payload:
    Path(payload).unlink(missing_ok=True)
feed = %s
r = subprocess.run([sys.executable, "-I", "-c", %r, str(ws / "src" / "calc.py")], input=json.dumps(feed),
                   capture_output=True, text=True, timeout=20, cwd=tempfile.gettempdir(), env=%s)
try:
    got = json.loads(r.stdout.strip().splitlines()[-1])
except Exception:
    got = []
print(json.dumps({"cases": sum(g == w for g, (_, w) in zip(got, cases)) / len(cases)}))
"""
# the expected values travel on the agent's stdin (the checks are gone by then)
ON_STDIN = SUBPROCESS % (b"cases", RUNNER.replace("mod.add(*a) for a in", "mod.add(*a) for a, _ in").encode(), b"{}")
# ... or in the environment of the agent's process
IN_ENV = SUBPROCESS % (b"[a for a, _ in cases]", RUNNER.encode(), b'{"EXPECTED_RESULTS": json.dumps([w for _, w in cases])}')
# only the arguments travel; the checks and the payload are gone: nothing to find
SOUND_CALC = SUBPROCESS % (b"[a for a, _ in cases]", RUNNER.encode(), b"{}")


def calc_task(check: bytes) -> Task:
    return Task(id="calc", instruction="add() in src/calc.py returns the wrong result. Please fix it.",
                workspace=[TaskFile(path="src/calc.py", data=BUGGY)],
                checks=[TaskFile(path="check.py", data=check), TaskFile(path="cases.json", data=json.dumps(CASES).encode())],
                solution=[TaskFile(path="solve.sh", data=b"printf 'def add(a, b):\\n    return a + b\\n' > src/calc.py\n")])


@requires_bwrap
@pytest.mark.parametrize("check, channel", [(IN_PROCESS, "files"), (ON_STDIN, "stdin"), (IN_ENV, "env")],
                         ids=["files", "stdin", "env"])
def test_an_answer_key_within_reach_is_caught(check, channel):
    r = qa_task(calc_task(check))
    assert r.checks["reference"].status == "pass", r.checks["reference"]
    probe = r.checks["answer_key"]
    assert probe.status == "fail", probe
    assert probe.detail["control"] == 0 and probe.detail["attack"] == 1
    assert probe.detail["reachable_from"] == [channel]


@requires_bwrap
def test_agent_code_run_out_of_reach_of_the_key_is_not_flagged():
    r = qa_task(calc_task(SOUND_CALC))
    assert r.checks["reference"].status == "pass", r.checks["reference"]
    assert r.checks["answer_key"].status == "pass", r.checks["answer_key"]
    assert r.checks["answer_key"].detail == {"reference": 1.0, "control": 0.0, "attack": 0.0}


@requires_bwrap
def test_the_reference_solution_is_staged_outside_its_workspace():
    from clawgym.verify import reference_outputs

    solve = b'ls -A > listing.txt\ncat "$(dirname "$0")/extra.txt" >> listing.txt\n'
    task = Task(id="ls", instruction="List the workspace into listing.txt.", workspace=[TaskFile(path="a.txt", data=b"a")],
                solution=[TaskFile(path="solve.sh", data=solve), TaskFile(path="extra.txt", data=b"from beside solve.sh\n")])
    files, why = reference_outputs(task)
    assert why is None and files == {"a.txt": b"a", "listing.txt": b"a.txt\nlisting.txt\nfrom beside solve.sh\n"}


# -- the probe workspaces themselves (no sandbox) -----------------------------------------------------
def test_shell_keeps_structure_and_drops_content():
    j = json.loads(shell("o.json", b'{"items": [{"name": "ann", "n": 3}], "ok": true}', generic=False))
    assert j == {"items": [{"name": "", "n": 0}], "ok": False}
    assert shell("o.csv", b"name,total\nann,3\nbob,4\n", generic=True) == b"name,total\ntext,1\ntext,1\n"
    email = shell("mail.md", b"Subject: Follow-up\n\nHi Tom,\n- Maria: sheet (2024-04-12)\n", generic=False)
    assert email == b"Subject: \n\n\n- \n"


def test_format_variants_are_equivalent_re_serializations():
    ref = {"a.json": b'{"x": 1, "y": [1, 2]}', "b.csv": b"h,v\na,1\n", "c.txt": b"one\ntwo\n", "d.py": b"x = 1\n"}
    v = format_variants(list(ref), ref)
    assert set(v) == {"json_reindented", "json_key_order", "csv_line_ends", "final_newline"}
    assert json.loads(v["json_key_order"]["a.json"]) == {"x": 1, "y": [1, 2]}
    assert list(json.loads(v["json_key_order"]["a.json"])) == ["y", "x"]
    assert v["csv_line_ends"]["b.csv"] == b"h,v\r\na,1\r\n" and v["final_newline"]["c.txt"] == b"one\ntwo"
    assert all(d["d.py"] == b"x = 1\n" for d in v.values())


def test_overdoing_adds_a_record_where_outputs_are_per_record():
    ref = {"in/list.csv": b"id\nA\nB\n", "outbox/A.txt": b"hi A\n", "outbox/B.txt": b"hi B\n", "misc.txt": b"m\n"}
    v = overdo_variants(["misc.txt"], ["outbox/A.txt", "outbox/B.txt"], ref)
    assert set(v) == {"misc.txt:deleted", "others:changed", "outbox/:extra_record"}
    assert "outbox/zz-unrequested-extra.txt" in v["outbox/:extra_record"]


def test_universal_answers_skip_duplicates_and_apply_deletions():
    task = Task(id="t", instruction="clean up", workspace=[TaskFile(path="a.tmp", data=b"x"), TaskFile(path="k", data=b"k")])
    ref = {"k": b"k"}  # the reference deleted a.tmp
    dup = ReferenceDiff(task_id="twin", deleted=["a.tmp"])
    other = ReferenceDiff(task_id="o", deleted=["k"], written={"b.txt": b"y"})
    assert universal_variants(task, ref, [dup]) == {}
    v = universal_variants(task, ref, [dup, other])
    assert v["union"] == {"b.txt": b"y"} and v["answer_of:o"] == {"a.tmp": b"x", "b.txt": b"y"}


@requires_bwrap
def test_sanity_first_skips_the_cheating_probes_of_a_broken_verifier():
    broken = b'import json\nprint(json.dumps({"done": 1}))\n'  # credits the untouched workspace
    full = qa_task(sum_task(broken))
    quick = qa_task(sum_task(broken), sanity_first=True)
    assert full.checks["noop"].status == quick.checks["noop"].status == "fail"
    assert full.checks["shell"].status == "fail"  # the whole picture, as `clawgym tasks qa` shows it
    assert all(quick.checks[p].status == "skipped" and "noop" in quick.checks[p].detail
               for p in ("tampered_inputs", "shell", "universal", "overdoing", "answer_key", "other_format"))
    assert quick.checks["runtime"].detail["verifications"] < full.checks["runtime"].detail["verifications"]
    assert quick.checks["runtime"].detail["sandbox_sessions"] == full.checks["runtime"].detail["sandbox_sessions"] == 1
