"""The persona route end to end, against replayed model answers behind a real local
OpenAI-compatible HTTP server: each bad answer is caught at its stage with its reason, the output
is complete (folders, JSONL, ClawGym export, summary), and kill -9 + resume writes exactly what an
uninterrupted run writes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clawgym.models import load_model
from clawgym.tasks import load_tasks
from tests.openai_server import completion

DATA = Path(__file__).parent / "data" / "persona"
SCENARIOS = json.loads((DATA / "scenarios.json").read_text())["scenarios"]
TAXONOMY = DATA / "taxonomy.json"
BACKEND = "bwrap" if shutil.which("bwrap") else "process"
SECRET = "sk-test-0123456789abcdefSECRET"


def _instruction(scenario: dict) -> str | None:
    last = scenario["generate"][-1]
    return last.get("instruction") if isinstance(last, dict) and "solution" in last else None


class ReplayServer:
    """Answers each chat request from the scenarios by what it asks (stage, subcategory or
    instruction, turn number), never by arrival order, so answers do not depend on concurrency."""

    def __init__(self, scenarios: list[dict], delay_s: float = 0.0):
        self.scenarios = scenarios
        self.delay_s = delay_s
        self.bodies: list[str] = []
        self.headers: list[dict] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with server.lock:
                    server.bodies.append(json.dumps(body, sort_keys=True))
                    server.headers.append(dict(self.headers))
                if server.delay_s:
                    time.sleep(server.delay_s)
                content = server.answer(body)
                data = json.dumps(completion(content)).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ReplayServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, body: dict) -> str:
        msgs = body["messages"]
        system, user = msgs[0]["content"], msgs[1]["content"]
        turn = sum(1 for m in msgs if m["role"] == "assistant")
        if system.startswith("You design"):
            sub = user.split("Task category: ", 1)[1].split("\n", 1)[0].split(" / ", 1)[1]
            sc = next(s for s in self.scenarios if s["subcategory"] == sub)
            item = sc["generate"][min(turn, len(sc["generate"]) - 1)]
            return item if isinstance(item, str) else json.dumps(item)
        sc = next(s for s in self.scenarios if _instruction(s) and _instruction(s) in user)
        if system.startswith("You audit"):
            return json.dumps(sc["judge"])
        if system.startswith("You write the code verifier"):
            name = sc["verifier"][min(turn, len(sc["verifier"]) - 1)]
            code = (DATA / "checks" / name).read_text()
            if name.startswith("email"):  # what code models often do: a fenced block, not JSON
                return f"Here is the grader:\n```python\n{code}```\n"
            return json.dumps({"check_py": code})
        if system.startswith("You write an LLM rubric"):
            return json.dumps(sc["rubric"])
        raise AssertionError(f"unroutable request: {system[:60]!r}")


def _config(out: Path, **kw):
    from clawgym.synth import PersonaConfig

    kw = {"n": len(SCENARIOS), "seed": 7, "taxonomy": TAXONOMY, "backend": BACKEND, "concurrency": 4,
          "sandbox_concurrency": 2, **kw}
    return PersonaConfig(out=out, **kw)


def _by_sub(out: Path) -> dict[str, dict[str, dict]]:
    db = sqlite3.connect(out / "ledger.sqlite")
    rows = db.execute("SELECT record_id, stage, verdict, reason, payload FROM events ORDER BY seq").fetchall()
    subs = {rid: json.loads(p)["subcategory"] for rid, st, _, _, p in rows if st == "sample"}
    out_: dict[str, dict[str, dict]] = {}
    for rid, st, verdict, reason, payload in rows:
        out_.setdefault(subs[rid], {})[st] = {"verdict": verdict, "reason": reason, **json.loads(payload)}
    return out_


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    from clawgym.synth import synthesize_personas

    out = tmp_path_factory.mktemp("persona") / "run"
    with ReplayServer(SCENARIOS) as server:
        model = load_model("openai:replay-model", base_url=server.url, api_key=SECRET)
        summary = synthesize_personas(model, _config(out, export_clawgym=True))
        requests = len(server.bodies)
        again = synthesize_personas(model, _config(out, export_clawgym=True))  # resume of a finished run
        assert len(server.bodies) == requests, "a finished run must not ask the model again"
        assert again.stages == summary.stages
    return out, summary, _by_sub(out)


def test_each_bad_answer_is_caught_at_its_stage(finished):
    _, summary, st = finished
    assert st["document writing and editing"]["generate"]["verdict"] == "rejected"
    assert st["document writing and editing"]["generate"]["kind"] == "malformed"
    assert "not one JSON object" in st["document writing and editing"]["generate"]["reason"]
    missing = st["schedule and task management"]["generate"]
    assert missing["kind"] == "schema" and "solution" in missing["reason"] and "Field required" in missing["reason"]
    named = st["translation and text assistance"]["generate"]
    assert named["kind"] == "schema" and "input/glossary.csv" in named["reason"]
    ref = st["debugging and issue fixing"]["reference"]
    assert ref["kind"] == "solution_failed" and "sensor.json" in ref["reason"]
    leak = st["fact-checking and verification"]
    assert leak["reference"]["verdict"] == "ok" and leak["judge"]["kind"] == "answer_leak"
    assert "expected_summary.json" in leak["judge"]["reason"] and "3/3" in leak["judge"]["reason"]
    noop = st["code review and refactoring"]["verifier"]
    assert noop["verdict"] == "rejected" and "noop" in noop["kind"] and "inventory_read" in noop["reason"]
    assert len(noop["detail"]["qa_rounds"]) == 4  # first try + 3 repair rounds
    crash = st["test writing and validation"]["verifier"]
    assert crash["verdict"] == "rejected" and "noop" in crash["kind"] and "verifier error" in crash["reason"]
    dups = [st[s]["dedup"] for s in ("table and record handling", "data analysis and calculation")]
    assert sorted(d["verdict"] for d in dups) == ["ok", "rejected"]
    assert next(d for d in dups if d["verdict"] == "rejected")["kind"] == "duplicate"
    for stage, dropped in {"generate": 3, "reference": 1, "dedup": 1, "judge": 1, "verifier": 2}.items():
        assert summary.stages[stage].rejected == dropped, stage
    assert summary.finished == 4 and summary.pending == [] and summary.errors == []


def test_kept_tasks_and_their_provenance(finished):
    out, summary, st = finished
    tasks = {t.subcategory: t for t in load_tasks(out / "tasks")}
    assert set(tasks) == {"email and communication writing", "incident response and reliability",
                          "system status inspection",
                          next(s for s in ("table and record handling", "data analysis and calculation")
                               if st[s]["dedup"]["verdict"] == "ok")}
    email = tasks["email and communication writing"]
    assert email.rubric is not None and email.rubric.rules[0].file_path == "out/followup_email.md"
    assert email.workspace[0].path == "input/meeting_notes.md" and email.solution[0].path == "solve.py"
    assert email.provenance.route == "persona" and email.provenance.model == "replay-model"
    assert email.provenance.seed is not None and len(email.provenance.prompt_hash) == 16
    meta = email.metadata["synth"]
    assert meta["operations"] and set(meta["prompt_hashes"]) == {"generate", "verifier", "rubric"}
    assert meta["verdicts"]["judge"] == {"verdict": "ok"} and len(meta["judge_votes"]) == 3
    logs = tasks["incident response and reliability"]
    assert logs.rubric is None  # an unusable rubric is dropped, the task keeps its code checks
    assert st["incident response and reliability"]["generate"]["repairs"] == 1
    assert st["incident response and reliability"]["rubric"]["verdict"] == "skipped"
    words = tasks["system status inspection"]
    assert [r["passed"] for r in words.metadata["synth"]["qa_rounds"]] == [False, True]
    assert words.check_file().text == (DATA / "checks" / "words_good.py").read_text()
    # the ClawGym export reads back, and the summary and rejections are on disk
    exported = load_tasks(out / "clawgym")
    assert sorted(t.instruction for t in exported) == sorted(t.instruction for t in tasks.values())
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["stages"]["verifier"]["reasons"] == summary.stages["verifier"].reasons
    rejections = [json.loads(line) for line in (out / "rejections.jsonl").read_text().splitlines()]
    assert len(rejections) == 8 and all(r["stage"] and r["reason"] for r in rejections)


def test_every_task_written_passes_qa_again(finished):
    from clawgym.verify import qa_task

    out, _, _ = finished
    for task in load_tasks(out / "tasks"):
        assert qa_task(task, backend=BACKEND).passed, task.id


def test_judge_sees_the_input_files(tmp_path):
    from clawgym.synth import synthesize_personas

    leak = [s for s in SCENARIOS if s["subcategory"] == "fact-checking and verification"]
    with ReplayServer(leak) as server:
        model = load_model("openai:replay-model", base_url=server.url, api_key=SECRET)
        cfg = _config(tmp_path / "run", n=1)
        cfg.taxonomy = tmp_path / "tax.json"
        cfg.taxonomy.write_text(json.dumps([{"category": "X", "subcategories": [leak[0]["subcategory"]]}]))
        synthesize_personas(model, cfg)
        judged = [json.loads(b) for b in server.bodies if "You audit" in b]
    assert len(judged) == 3
    prompt = judged[0]["messages"][1]["content"]
    assert "--- input/expected_summary.json ---" in prompt and '"2024-01": 15.5' in prompt
    assert len({j["seed"] for j in judged}) == 3  # k independent votes


def test_secrets_never_reach_disk(finished):
    out, _, _ = finished
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def _run_sub(url: str, out: Path) -> subprocess.Popen:
    """The CLI, as a user runs it against any OpenAI-compatible endpoint."""
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo / "src"), "OPENAI_BASE_URL": url, "OPENAI_API_KEY": SECRET,
           "COLUMNS": "250"}
    return subprocess.Popen([sys.executable, "-m", "clawgym", "synth", "persona", "--model", "openai:replay-model",
                             "--out", str(out), "--n", str(len(SCENARIOS)), "--seed", "7", "--taxonomy", str(TAXONOMY),
                             "--sandbox", BACKEND, "-j", "4", "--sandboxes", "2", "--format", "jsonl"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _events(out: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{out / 'ledger.sqlite'}?mode=ro", uri=True)
        return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    except sqlite3.Error:
        return 0


def _ledger_view(out: Path) -> list[tuple]:
    db = sqlite3.connect(out / "ledger.sqlite")
    return sorted(db.execute("SELECT record_id, stage, verdict, reason, payload FROM events").fetchall())


@pytest.mark.parametrize("kill_after", [5, 30])
def test_kill9_and_resume_writes_what_an_uninterrupted_run_writes(tmp_path, kill_after):
    with ReplayServer(SCENARIOS, delay_s=0.02) as server:
        whole = _run_sub(server.url, tmp_path / "whole")
        assert whole.wait(timeout=240) == 0, whole.stderr.read().decode()[-3000:]
        table = whole.stdout.read().decode()
        assert "4 of 12 finished" in table and "duplicate 1" in table
        whole_requests = list(server.bodies)
        server.bodies.clear()

        victim = _run_sub(server.url, tmp_path / "cut")
        deadline = time.monotonic() + 120
        while _events(tmp_path / "cut") < kill_after and victim.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert victim.poll() is None, "the run finished before it could be killed"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        recorded = _events(tmp_path / "cut")
        assert kill_after <= recorded < _events(tmp_path / "whole")
        resumed = _run_sub(server.url, tmp_path / "cut")
        assert resumed.wait(timeout=240) == 0, resumed.stderr.read().decode()[-3000:]
        cut_requests = list(server.bodies)

    assert (tmp_path / "cut" / "tasks.jsonl").read_bytes() == (tmp_path / "whole" / "tasks.jsonl").read_bytes()
    assert (tmp_path / "cut" / "rejections.jsonl").read_bytes() == \
        (tmp_path / "whole" / "rejections.jsonl").read_bytes()
    assert _ledger_view(tmp_path / "cut") == _ledger_view(tmp_path / "whole")
    # nothing lost, nothing repeated: the same requests, except at most the ones in flight at the kill
    assert set(cut_requests) == set(whole_requests)
    assert len(cut_requests) - len(whole_requests) <= 4


# -- the guards against verifiers that can be gamed ------------------------------------------------------
TICKETS = "id,customer,status\nT-101,Ann,open\nT-102,Bob,closed\nT-103,Cem,open\n"
REPLY_SOLVE = ("import csv, os\nos.makedirs('outbox', exist_ok=True)\n"
               "for r in csv.DictReader(open('input/tickets.csv')):\n"
               "    if r['status'] == 'open':\n"
               "        open(f\"outbox/{r['id']}.txt\", 'w').write(f\"Hi {r['customer']},\\n\\nThanks for writing in. "
               "We are looking into your request now (ticket {r['id']}).\\n\")\n")
JUDGE_OK = {"factual_error": False, "answer_leak": False, "unsolvable": False, "ambiguous": False,
            "needs_internet": False, "wrong_reference": False, "reason": "The reference matches the request."}


def _scenario(sub: str, draft: dict, verifier: list[str], judge: dict | None = None) -> dict:
    return {"subcategory": sub, "generate": [draft], "judge": judge or JUDGE_OK, "verifier": verifier,
            "rubric": {"skip_rubric": True, "reason": "Every requirement is objective."}}


REPLIES = _scenario("customer support replies", {
    "title": "Replies to open tickets",
    "instruction": "For every ticket in input/tickets.csv whose status is open, write a reply to outbox/<id>.txt "
                   "(e.g. outbox/T-101.txt). Its first line must be 'Hi <customer>,' and it must mention the ticket "
                   "id. Closed tickets get no reply.",
    "input_files": [{"path": "input/tickets.csv", "content": TICKETS}], "output_files": ["outbox/<id>.txt"],
    "solution": {"language": "python", "code": REPLY_SOLVE}}, ["replies_weak.py", "replies_good.py"])


def _run_one(tmp_path: Path, scenario: dict, **kw) -> tuple[dict, list[dict]]:
    """One record of one scenario through the whole route; (its stages, the requests made)."""
    from clawgym.synth import synthesize_personas

    with ReplayServer([scenario]) as server:
        model = load_model("openai:replay-model", base_url=server.url, api_key=SECRET)
        cfg = _config(tmp_path / "run", n=1, **kw)
        cfg.taxonomy = tmp_path / "tax.json"
        cfg.taxonomy.write_text(json.dumps([{"category": "X", "subcategories": [scenario["subcategory"]]}]))
        synthesize_personas(model, cfg)
        bodies = [json.loads(b) for b in server.bodies]
    return _by_sub(tmp_path / "run")[scenario["subcategory"]], bodies


def test_per_record_outputs_and_the_cheating_probes_in_the_verifier_loop(tmp_path):
    st, bodies = _run_one(tmp_path, REPLIES)
    assert st["generate"]["verdict"] == "ok"  # a pattern output and a name given as an example are accepted
    assert sorted(st["reference"]["outputs"]) == ["outbox/T-101.txt", "outbox/T-103.txt"]
    judged = [b for b in bodies if b["messages"][0]["content"].startswith("You audit")]
    assert judged and all("--- outbox/T-103.txt ---\nHi Cem," in j["messages"][1]["content"] for j in judged)
    # the first check never looks at extra replies: the over-doing probe says so, and the model hears it
    rounds = st["verifier"]["qa_rounds"]
    assert [r["passed"] for r in rounds] == [False, True]
    assert rounds[0]["checks"]["overdoing"] == "fail" and rounds[1]["checks"]["overdoing"] == "pass"
    assert rounds[1]["checks"]["tampered_inputs"] == "pass" and rounds[1]["checks"]["shell"] == "pass"
    asked = [b for b in bodies if b["messages"][0]["content"].startswith("You write the code verifier")]
    prompt = asked[0]["messages"][1]["content"]
    assert "may be wrong" in prompt and "never copy them" in prompt and "one correct answer" not in prompt
    feedback = asked[-1]["messages"][-1]["content"]
    assert "- overdoing:" in feedback and "outbox/:extra_record" in feedback
    assert st["rubric"]["verdict"] == "skipped"
    task = load_tasks(tmp_path / "run" / "tasks")[0]
    assert task.check_file().text == (DATA / "checks" / "replies_good.py").read_text()


def test_a_wrong_reference_is_caught_by_the_judge(tmp_path):
    words = next(s for s in SCENARIOS if s["subcategory"] == "system status inspection")
    draft = dict(words["generate"][-1])
    draft["solution"] = {"language": "python", "code": draft["solution"]["code"].replace(
        "len(t.splitlines())", "len(t.splitlines()) + 1")}
    judge = {**JUDGE_OK, "wrong_reference": True, "reason": "out/word_stats.json says 4 lines; input/notes.txt has 3."}
    st, bodies = _run_one(tmp_path, _scenario("notes statistics", draft, ["words_good.py"], judge))
    wrong = st["reference"]["outputs"]["out/word_stats.json"]
    assert json.loads(wrong)["lines"] == 4  # input/notes.txt has 3
    assert st["judge"]["verdict"] == "rejected" and st["judge"]["kind"] == "wrong_reference"
    assert "verifier" not in st  # never became ground truth
    prompt = next(b for b in bodies if b["messages"][0]["content"].startswith("You audit"))["messages"][1]["content"]
    assert f"--- out/word_stats.json ---\n{wrong}" in prompt


def test_declared_packages_are_offered_checked_and_usable(tmp_path):
    from clawgym.synth import Caps, TaskDraft
    from clawgym.synth._pipeline import sandbox_packages

    assert sandbox_packages(BACKEND, {"pyyaml": "yaml", "clawgym-absent": "clawgym_absent_module"}) in \
        (["pyyaml"], [])
    draft = {"title": "YAML to JSON", "instruction": "Convert the settings in input/settings.yaml into out/settings.json "
             "(a JSON object with the same keys and values).", "input_files": [
                 {"path": "input/settings.yaml", "content": "name: demo\nport: 8080\n"}],
             "output_files": ["out/settings.json"], "packages": ["pyyaml"],
             "solution": {"language": "python", "code": "import json, os, yaml\nos.makedirs('out', exist_ok=True)\n"
                          "json.dump(yaml.safe_load(open('input/settings.yaml')), open('out/settings.json', 'w'))\n"}}
    assert TaskDraft.model_validate(draft, context={"caps": Caps(), "packages": ["pyyaml"]}).packages == ["pyyaml"]
    with pytest.raises(ValueError, match="pandas are not installed in the sandbox"):
        TaskDraft.model_validate({**draft, "packages": ["pandas"]}, context={"packages": ["pyyaml"]})
    if sandbox_packages(BACKEND, {"pyyaml": "yaml"}) != ["pyyaml"]:
        pytest.skip("the sandbox's python3 has no yaml module")
    # the judge stops the record: only generation and the reference run matter here
    st, bodies = _run_one(tmp_path, _scenario("settings conversion", draft, ["words_good.py"],
                                              {**JUDGE_OK, "ambiguous": True}), packages=None)
    assert st["reference"]["verdict"] == "ok"
    assert json.loads(st["reference"]["outputs"]["out/settings.json"]) == {"name": "demo", "port": 8080}
    system = next(b for b in bodies if b["messages"][0]["content"].startswith("You design"))["messages"][0]["content"]
    assert "plus these installed packages: pyyaml" in system


def test_draft_schema_per_record_patterns_and_example_names():
    from clawgym.synth import TaskDraft
    from clawgym.synth._schemas import matching

    base = REPLIES["generate"][0]
    assert TaskDraft.model_validate(base).output_files == ["outbox/<id>.txt"]
    assert matching("outbox/<id>.txt", ["outbox/T-1.txt", "outbox/a/b.txt", "outbox/T-1.md"]) == ["outbox/T-1.txt"]
    named = {**base, "instruction": base["instruction"] + " Also read input/priorities.csv."}
    with pytest.raises(ValueError, match="names input/priorities.csv, which is neither"):
        TaskDraft.model_validate(named)
    example = {**base, "instruction": base["instruction"] + " Dates look like the ones in, for example, "
                                                            "archive/2024-05-01.txt."}
    assert TaskDraft.model_validate(example)  # a name given as an example, not a file the task uses
    with pytest.raises(ValueError, match="names archive/2024-05-01.txt"):
        TaskDraft.model_validate({**example, "instruction": example["instruction"].replace("for example, ", "")})


def test_a_check_that_copies_the_reference_values_is_sent_back():
    from clawgym.synth import CheckScript

    outputs = {"out/rainfall_totals.json": '{"2024-01": 15.5, "2024-02": 8.5}'}
    public = "Using input/rainfall.csv ...\ndate,mm\n2024-01-03,12.5\n2024-01-20,3.0\n2024-02-02,7.5\n2024-02-28,1.0\n"
    copied = ("import json, sys\ndef grade(transcript, workspace_path):\n"
              "    got = json.load(open(workspace_path + '/out/rainfall_totals.json'))\n"
              "    return {'jan': float(got.get('2024-01') == 15.5), 'feb': float(got.get('2024-02') == 8.5)}\n"
              "if __name__ == '__main__':\n    print(json.dumps(grade([], sys.argv[1])))\n")
    with pytest.raises(ValueError, match=r"copied from the reference outputs \('15.5', '8.5'\)"):
        CheckScript.model_validate({"check_py": copied}, context={"reference_outputs": outputs, "public": public})
    computed = copied.replace("== 15.5", "== round(12.5 + 3.0, 1)").replace("== 8.5", "is not None")
    assert CheckScript.model_validate({"check_py": computed}, context={"reference_outputs": outputs, "public": public})


LEAKY_SOLVE = '''import csv, json, os, subprocess, sys
open("/tmp/leak", "w").write("x")
open(os.path.expanduser("~/leak"), "w").write("x")
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)  # leaky-sleeper"], start_new_session=True)
t = {}
for row in csv.DictReader(open("input/ledger.csv")):
    t[row["key"]] = t.get(row["key"], 0) + int(row["value"])
os.makedirs("out", exist_ok=True)
json.dump(sorted(t.items()), open("out/totals.json", "w"))
'''
GUARDED_CHECK = '''import csv, json, os, sys

def leaked():
    if os.path.exists("/tmp/leak") or os.path.exists(os.path.expanduser("~/leak")):
        return True
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and b"leaky-sleeper" in open(f"/proc/{pid}/cmdline", "rb").read():
                return True
        except OSError:
            pass
    return False

def grade(transcript, workspace_path):
    scores = {"totals": 0.0, "sorted": 0.0, "clean": 0.0}
    try:
        got = [tuple(r) for r in json.load(open(os.path.join(workspace_path, "out/totals.json")))]
    except Exception:
        return scores
    t = {}
    for row in csv.DictReader(open(os.path.join(workspace_path, "input/ledger.csv"))):
        t[row["key"]] = t.get(row["key"], 0) + int(row["value"])
    scores["totals"] = sum(1 for kv in t.items() if kv in got) / len(t)
    scores["sorted"] = 1.0 if got == sorted(t.items()) else 0.0
    scores["clean"] = 1.0 if scores["totals"] == 1 and not leaked() else 0.0
    return scores

if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
'''


class _SessionModel:
    """Per record: a distinct totals task whose reference solution leaves files in /tmp and HOME
    and a process behind, and a check that scores 0 where it sees any of them."""

    def __new__(cls):
        import hashlib
        import random

        from clawgym.models import ChatModel, ModelResponse, Usage

        words = "amber basil cedar delta ember fjord garnet harbor iris juniper kelp lumen maple nectar".split()

        class Model(ChatModel):
            name = "test-sessions"

            def chat(self, messages, tools=None, params=None, *, timeout_s=None):
                system, user = messages[0]["content"], messages[1]["content"]
                if system.startswith("You design"):
                    rnd = random.Random(hashlib.sha256(user.encode()).digest())
                    tag, keys = " ".join(rnd.sample(words, 7)), rnd.sample(words, 3)
                    rows = "".join(f"{rnd.choice(keys)},{rnd.randint(1, 99)}\n" for _ in range(9))
                    text = json.dumps({
                        "title": f"Totals for {tag}",
                        "instruction": f"For {tag}: read input/ledger.csv (key, value) and write out/totals.json, "
                                       "a JSON list of [key, total] pairs sorted by key.",
                        "input_files": [{"path": "input/ledger.csv", "content": "key,value\n" + rows}],
                        "output_files": ["out/totals.json"], "solution": {"language": "python", "code": LEAKY_SOLVE}})
                elif system.startswith("You audit"):
                    text = json.dumps({"factual_error": 0, "answer_leak": 0, "unsolvable": 0, "ambiguous": 0,
                                       "needs_internet": 0, "wrong_reference": 0, "reason": "fine"})
                elif system.startswith("You write the code verifier"):
                    text = json.dumps({"check_py": GUARDED_CHECK})
                else:
                    text = json.dumps({"skip_rubric": True, "reason": "objective"})
                return ModelResponse(content=text, usage=Usage(prompt_tokens=1, completion_tokens=1))

        return Model()


@pytest.mark.skipif(BACKEND != "bwrap", reason="needs bubblewrap")
def test_qa_scores_in_the_reference_session_and_nothing_of_the_reference_run_remains(tmp_path, monkeypatch):
    """One session per task for its reference run and its QA: the verifier stage opens none of
    its own, and what the reference solution left (files in /tmp and HOME, a process in its own
    session) is gone before any probe is scored, or the reference probe would fail."""
    import clawgym.synth._pipeline as pipeline
    import clawgym.verify._code as code
    from clawgym.synth import PersonaConfig, synthesize_personas

    made = {"reference": 0, "verification": 0}

    def counting(where, real):
        def create(*a, **kw):
            made[where] += 1
            return real(*a, **kw)
        return create

    monkeypatch.setattr(pipeline, "create_sandbox", counting("reference", pipeline.create_sandbox))
    monkeypatch.setattr(code, "create_sandbox", counting("verification", code.create_sandbox))
    cfg = PersonaConfig(out=tmp_path / "run", n=3, seed=3, backend="bwrap", packages=[], concurrency=2,
                        sandbox_concurrency=2)
    summary = synthesize_personas(_SessionModel(), cfg)
    assert summary.finished == 3, summary.errors or summary.stages["verifier"].reasons
    assert made == {"reference": 3, "verification": 0}
    tasks = load_tasks(tmp_path / "run" / "tasks")
    assert all(t.metadata["synth"]["qa_rounds"][0]["checks"]["reference"] == "pass" for t in tasks)
    assert all(t.metadata["synth"]["qa_rounds"][0]["checks"]["universal"] == "pass" for t in tasks)
