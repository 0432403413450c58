"""The skills route: strict SKILL.md parsing, annotation and skip rules, seeded similarity-based
composition, the shipped sample skills, and `clawgym synth skills` end to end against replayed
model answers behind a real local OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from clawgym.synth import (
    SkillError, SkillsConfig, annotate_skill, compose, load_skills, parse_skill, shipped_skills_dir, similarity_matrix,
)
from clawgym.synth._inputs import derive_seed
from clawgym.synth._skills import LLMSkillAnnotation, merge_annotation
from clawgym.tasks import load_tasks
from tests.synth.test_persona_pipeline import ReplayServer

DATA = Path(__file__).parent / "data" / "skills"
SET = DATA / "set"
SCEN = json.loads((DATA / "scenarios.json").read_text())
BACKEND = "bwrap" if shutil.which("bwrap") else "process"
SECRET = "sk-test-0123456789abcdefSKILLS"
PY = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def _skill(root: Path, name: str, text: str, files: dict[str, bytes] | None = None) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "SKILL.md").write_text(text)
    for p, data in (files or {}).items():
        (d / p).parent.mkdir(parents=True, exist_ok=True)
        (d / p).write_bytes(data)
    return d


GOOD = "---\nname: {name}\ndescription: Does a thing with files.\n{extra}---\nRun it.\n"


# -- parsing ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,field,reason", [
    ("no front matter\n", "front matter", "must start with a line `---`"),
    ("---\nname: x\n", "front matter", "no closing `---`"),
    ("---\nname: [x\n---\nbody\n", "front matter", "invalid YAML"),
    ("---\n- a\n---\nbody\n", "front matter", "must be a YAML mapping"),
    ("---\ndescription: d\n---\nbody\n", "name", "required"),
    ("---\nname: Bad_Name\ndescription: d\n---\nbody\n", "name", "lower-case letters"),
    ("---\nname: other\ndescription: d\n---\nbody\n", "name", "differs from its folder name"),
    ("---\nname: sk\n---\nbody\n", "description", "required"),
    ("---\nname: sk\ndescription: d\n---\n\n", "body", "empty"),
    ("---\nname: sk\ndescription: d\nmetadata: '{not json'\n---\nb\n", "metadata", "not a JSON object"),
    ("---\nname: sk\ndescription: d\nmetadata:\n  openclaw:\n    requires:\n      bin: [git]\n---\nb\n",
     "metadata.openclaw.requires", "unknown key(s) bin"),
    ("---\nname: sk\ndescription: d\nmetadata:\n  openclaw:\n    requires:\n      bins: {a: 1}\n---\nb\n",
     "metadata.openclaw.requires.bins", "list of non-empty strings"),
    ("---\nname: sk\ndescription: d\nmetadata:\n  clawdbot:\n    os: [beos]\n---\nb\n", "metadata.clawdbot.os",
     "unknown beos"),
])
def test_parse_errors_name_file_field_and_reason(tmp_path, text, field, reason):
    d = _skill(tmp_path, "sk", text)
    with pytest.raises(SkillError) as exc:
        parse_skill(d)
    msg = str(exc.value)
    assert str(d / "SKILL.md") in msg and f": {field}: " in msg and reason in msg, msg


def test_parse_files_and_collects_every_problem(tmp_path):
    d = _skill(tmp_path, "sk", GOOD.format(name="sk", extra=""), {"scripts/bin.dat": b"\xff\xfe\x00",
                                                                 "big.txt": b"x" * 70_000})
    (d / "link.py").symlink_to(d / "SKILL.md")
    with pytest.raises(SkillError) as exc:
        parse_skill(d)
    fields = {(Path(f).name, why.split(";")[0][:20]) for f, _, why in exc.value.problems}
    assert len(exc.value.problems) == 3, exc.value.problems
    assert ("bin.dat", "not UTF-8 text") in fields and any(n == "link.py" for n, _ in fields)
    assert any(n == "big.txt" for n, _ in fields)
    _skill(tmp_path / "two", "a", GOOD.format(name="a", extra=""))
    _skill(tmp_path / "two", "b", "---\nname: a\ndescription: d\n---\nb\n")
    with pytest.raises(SkillError) as exc:
        load_skills(tmp_path / "two")
    assert "differs from its folder name" in str(exc.value)


def test_parse_good_skill_with_json_metadata_and_files(tmp_path):
    d = _skill(tmp_path, "sk", GOOD.format(name="sk", extra='metadata: {"openclaw": {"requires": {"bins": ["git"], '
                                                             '"anyBins": ["python3", "python"], "env": ["TOKEN"]}, '
                                                             '"primaryEnv": "TOKEN"}}\n'),
               {"scripts/run.py": b"print(1)\n", ".git/x": b"ignored", "scripts/__pycache__/a.pyc": b"\x00"})
    os.chmod(d / "scripts" / "run.py", 0o755)
    s = parse_skill(d)
    assert s.name == "sk" and s.requires.bins == ["git"] and s.requires.any_bins == ["python3", "python"]
    assert s.primary_env == "TOKEN" and s.body == "Run it.\n"
    assert [(f.path, f.executable) for f in s.files] == [("SKILL.md", False), ("scripts/run.py", True)]


# -- annotation ---------------------------------------------------------------------------------------
def test_annotation_and_skip_rules():
    skills = {s.name: s for s in load_skills(SET)}
    ann = {n: annotate_skill(s) for n, s in skills.items()}
    assert {n for n, a in ann.items() if a.servable} == {"csv-totals", "md-table", "word-count"}
    assert ann["weather-api"].needs_auth and ann["weather-api"].needs_network
    assert "credentials" in ann["weather-api"].skip_reason
    assert ann["video-thumbs"].missing_bins == ["ffmpeg-clawgym-absent"] and "lacks" in ann["video-thumbs"].skip_reason
    assert "darwin" in ann["mac-notes"].skip_reason
    assert ann["disk-wipe"].risk == "high" and "risk high" in ann["disk-wipe"].skip_reason
    # network needs are allowed on request; credentials never
    assert not annotate_skill(skills["weather-api"], allow_network=True).servable
    # bins are looked up where the sandbox looks (the host's /usr), not the caller's PATH
    assert not annotate_skill(skills["csv-totals"], path="/nonexistent").servable


def test_llm_annotation_only_adds_restrictions():
    s = load_skills(SET)[0]
    rules = annotate_skill(s)
    lax = merge_annotation(rules, LLMSkillAnnotation(summary="x", needs_auth=False, needs_network=False,
                                                     text_only=True, risk="low"))
    assert lax.servable and lax.source == "rules+llm"
    strict = merge_annotation(rules, LLMSkillAnnotation(summary="x", needs_auth=False, needs_network=True,
                                                        text_only=True, risk="low", reasons=["calls an API"]))
    assert not strict.servable and "network" in strict.skip_reason and "llm: calls an API" in strict.reasons


# -- composition --------------------------------------------------------------------------------------
def test_composition_is_seeded_prefix_stable_and_similarity_based():
    skills = [s for s in load_skills() if annotate_skill(s).servable]
    a = compose(skills, 40, seed=5)
    assert a == compose(skills, 40, seed=5) and compose(skills, 15, seed=5) == a[:15]
    assert a != compose(skills, 40, seed=6)
    names = sorted(s.name for s in skills)
    sim = similarity_matrix([s.text() for s in sorted(skills, key=lambda s: s.name)])
    S = lambda x, y: sim[names.index(x)][names.index(y)]  # noqa: E731
    multi = [c for c in a if len(c.skills) > 1]
    assert multi and all(1 <= len(c.skills) <= 3 for c in a)
    used: set[tuple[str, ...]] = set()
    for c in a:
        if len(c.skills) > 1:
            p, second = c.skills[0], c.skills[1]
            # the first companion is the skill most similar to the primary among pairs not used yet
            # (the most similar overall once every pair above the threshold has been used)
            cands = [o for o in names if o != p and S(p, o) >= 0.08]
            fresh = [o for o in cands if tuple(sorted([p, o])) not in used] or cands
            assert S(p, second) == max(S(p, o) for o in fresh), c
        used.add(tuple(sorted(c.skills)))
    # similar descriptions pair up, unrelated ones do not
    assert S("csv-summary", "csv-join") > S("csv-summary", "ics-calendar")
    assert S("git-history", "changelog-builder") > S("git-history", "eml-draft")
    mean_chosen = sum(c.similarity for c in multi) / len(multi)
    pairs = [S(x, y) for i, x in enumerate(names) for y in names[i + 1:]]
    assert mean_chosen > 2 * (sum(pairs) / len(pairs))  # far above what random pairs would give


# -- shipped skills -------------------------------------------------------------------------------------
def test_shipped_skills_parse_are_servable_and_their_scripts_run(tmp_path):
    skills = load_skills()
    assert len(skills) >= 20 and shipped_skills_dir().is_dir()
    assert all(annotate_skill(s).servable for s in skills), [annotate_skill(s) for s in skills if
                                                              not annotate_skill(s).servable]
    root = shipped_skills_dir()
    for s in skills:
        for f in s.files:
            if f.path.startswith("scripts/") and f.path.endswith(".py"):
                assert f.executable, f"{s.name}/{f.path}"
                r = subprocess.run([PY, str(root / s.name / f.path), "--help"], capture_output=True, text=True,
                                   timeout=60)
                assert "Traceback" not in r.stderr, (s.name, r.stderr)
    # a few real runs, as an agent would make them from the workspace
    ws = tmp_path / "ws"
    shutil.copytree(root, ws / "skills")
    (ws / "e.csv").write_text("category,amount\nfood,3.5\ntravel,10\nfood,1.25\n")
    (ws / "cal.ics").write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nSUMMARY:A\nDTSTART:20240502T100000\n"
                                "DTEND:20240502T110000\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\nSUMMARY:B\n"
                                "DTSTART:20240502T103000\nDTEND:20240502T120000\nEND:VEVENT\nEND:VCALENDAR\n")

    def run(*args: str) -> str:
        r = subprocess.run([PY, *args], cwd=ws, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    out = json.loads(run("skills/csv-summary/scripts/csv_stats.py", "e.csv", "--group-by", "category", "--value",
                         "amount"))
    assert out["groups"] == [{"key": "travel", "total": 10.0, "count": 1}, {"key": "food", "total": 4.75, "count": 2}]
    assert json.loads(run("skills/ics-calendar/scripts/ics_tool.py", "conflicts", "cal.ics")) == [["a", "b"]]
    assert json.loads(run("skills/cron-schedule/scripts/cron_next.py", "next", "*/15 9-17 * * mon-fri", "--after",
                          "2024-05-04T08:50", "--count", "2")) == ["2024-05-06T09:00", "2024-05-06T09:15"]
    run("skills/eml-draft/scripts/make_eml.py", "--to", "a@x.org", "--subject", "Hi", "--body", "Hello",
        "--out", "d/x.eml")
    assert json.loads(run("skills/eml-draft/scripts/make_eml.py", "--read", "d/x.eml"))["subject"] == "Hi"
    exp = json.loads(run("skills/expense-report/scripts/expense_report.py", "e.csv", "--tax-rate", "0.2"))
    assert exp["net"] == {"EUR": "14.75"} and exp["gross"] == {"EUR": "17.70"}


# -- end to end ---------------------------------------------------------------------------------------------
class SkillReplay(ReplayServer):
    """Routes generate requests by their sampling seed (one per record), later stages by the
    instruction they quote, annotation by the skill name."""

    def __init__(self, records: dict, seed: int):
        super().__init__([])
        self.records = records
        self.by_seed = {derive_seed(derive_seed(seed, "record", int(i)), "generate"): r for i, r in records.items()}

    def _item(self, items: list, turn: int):
        item = items[min(turn, len(items) - 1)]
        return item if isinstance(item, str) else json.dumps(item)

    def answer(self, body: dict) -> str:
        msgs = body["messages"]
        system, user = msgs[0]["content"], msgs[1]["content"]
        turn = sum(1 for m in msgs if m["role"] == "assistant")
        if system.startswith("You annotate"):
            return json.dumps({"summary": "s", "needs_auth": False, "needs_network": False, "text_only": True,
                               "risk": "low", "reasons": []})
        if system.startswith("You design one verifiable task that needs the skills"):
            rec = self.by_seed[body["seed"]]
            assert f"must need all {len(rec['skills'])}): {', '.join(rec['skills'])}" in user
            return self._item(rec["generate"], turn)
        rec = next(r for r in self.records.values()
                   if isinstance(r["generate"][-1], dict) and r["generate"][-1]["instruction"] in user and "judge" in r)
        if system.startswith("You audit"):
            assert "skill_not_needed" in system and "Skills installed in the workspace" in user
            assert "wrong_reference" in system and "Outputs of the reference solution" in user
            return json.dumps(rec["judge"])
        if system.startswith("You write the code verifier"):
            return json.dumps({"check_py": (DATA / "checks" / rec["verifier"][min(turn, len(rec["verifier"]) - 1)])
                               .read_text()})
        if system.startswith("You write an LLM rubric"):
            return json.dumps(rec["rubric"])
        raise AssertionError(f"unroutable request: {system[:60]!r}")


def _cli(url: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo / "src"), "OPENAI_BASE_URL": url, "OPENAI_API_KEY": SECRET,
           "COLUMNS": "250"}
    lo, hi = SCEN["per_task"]
    return subprocess.run([sys.executable, "-m", "clawgym", "synth", "skills", str(SET), "--model",
                           "openai:replay-model", "--out", str(out), "--n", str(len(SCEN["records"])), "--seed",
                           str(SCEN["seed"]), "--per-task", f"{lo}-{hi}", "--sandbox", BACKEND, "-j", "4",
                           "--sandboxes", "2", "--qa-rounds", "1", "--llm-annotate", *extra],
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("skills") / "run"
    with SkillReplay(SCEN["records"], SCEN["seed"]) as server:
        r = _cli(server.url, out)
        assert r.returncode == 0, r.stderr[-3000:]
        asked = len(server.bodies)
        again = _cli(server.url, out)  # resume of a finished run: no new model calls
        assert again.returncode == 0 and len(server.bodies) == asked
    db = sqlite3.connect(out / "ledger.sqlite")
    rows = db.execute("SELECT record_id, stage, verdict, reason, payload FROM events ORDER BY seq").fetchall()
    st: dict[int, dict] = {}
    for rid, stage, verdict, reason, payload in rows:
        st.setdefault(int(rid), {})[stage] = {"verdict": verdict, "reason": reason, **json.loads(payload)}
    return out, r.stdout, json.loads((out / "summary.json").read_text()), st


def test_composed_records_match_the_seeded_plan(finished):
    _, _, _, st = finished
    for i, rec in SCEN["records"].items():
        assert st[int(i)]["sample"]["skills"] == rec["skills"], i


def test_bad_answers_are_rejected_at_their_stage(finished):
    _, table, summary, st = finished
    gen = st[0]["generate"]
    assert gen["kind"] == "schema" and "never uses skills/md-table/" in gen["reason"]
    assert st[2]["generate"]["repairs"] == 1  # prose first, then the JSON
    abl = st[3]["reference"]
    assert abl["kind"] == "skill_not_needed" and "without skills/csv-totals/" in abl["reason"]
    judge = st[4]["judge"]
    assert judge["kind"] == "skill_not_needed" and "3/3" in judge["reason"]
    assert st[5]["dedup"]["kind"] == "duplicate" and st[5]["dedup"]["duplicate_of"] == "00001"
    ver = st[6]["verifier"]
    assert ver["verdict"] == "rejected" and "noop" in ver["kind"] and len(ver["detail"]["qa_rounds"]) == 2
    assert st[1]["reference"]["ablation"] == {"word-count": "failed"}
    assert st[2]["reference"]["ablation"] == {"csv-totals": "failed", "md-table": "failed"}
    for stage, dropped in {"generate": 1, "reference": 1, "dedup": 1, "judge": 1, "verifier": 1}.items():
        assert summary["stages"][stage]["rejected"] == dropped, stage
    assert summary["finished"] == 2 and summary["route"] == "skills"
    assert summary["skills_total"] == 7 and summary["skills_servable"] == 3
    assert set(summary["skipped_skills"]) == {"weather-api", "video-thumbs", "mac-notes", "disk-wipe"}
    assert summary["skills_used"] == {"csv-totals": 1, "md-table": 1, "word-count": 1}
    assert "2 of 7 finished" in table
    ann = [json.loads(x) for x in (finished[0] / "annotations.jsonl").read_text().splitlines()]
    assert {a["name"]: a["source"] for a in ann if a["servable"]} == dict.fromkeys(
        ["csv-totals", "md-table", "word-count"], "rules+llm")


def test_kept_tasks_install_the_skills_and_pass_qa(finished):
    from clawgym.verify import qa_task

    out, _, _, _ = finished
    tasks = {t.id: t for t in load_tasks(out / "tasks")}
    assert sorted(tasks) == ["skills-11-00001", "skills-11-00002"]
    two = tasks["skills-11-00002"]
    assert two.skills == ["csv-totals", "md-table"] and two.provenance.route == "skills"
    assert two.provenance.generator == "clawgym.synth.skills/1" and len(two.provenance.prompt_hash) == 16
    assert two.metadata["synth"]["skills"] == ["csv-totals", "md-table"] and two.rubric is not None
    paths = {f.path: f for f in two.workspace}
    assert "input/expenses.csv" in paths and paths["skills/csv-totals/scripts/totals.py"].data == \
        (SET / "csv-totals" / "scripts" / "totals.py").read_bytes()
    assert "skills/md-table/SKILL.md" in paths and not any(p.startswith("skills/word-count/") for p in paths)
    one = tasks["skills-11-00001"]
    assert [r["passed"] for r in one.metadata["synth"]["qa_rounds"]] == [False, True] and one.rubric is None
    for t in tasks.values():
        assert qa_task(t, backend=BACKEND).passed, t.id


def test_secrets_never_reach_disk(finished):
    out = finished[0]
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_changed_skills_refuse_to_resume(finished, tmp_path):
    cfg = SkillsConfig(out=tmp_path, skills_dir=SET)
    other = tmp_path / "set"
    shutil.copytree(SET, other)
    (other / "word-count" / "scripts" / "wc.py").write_text("print('changed')\n")
    from clawgym.models import load_model

    model = load_model("openai:m", base_url="http://127.0.0.1:9/v1", api_key="x")
    assert cfg.fingerprint(model)["skills"] != SkillsConfig(out=tmp_path, skills_dir=other).fingerprint(model)["skills"]
