"""The families that fill ClawGym's taxonomy (writing, retrieval, reasoning, planning, professional,
refactoring), scored with the real verifier in real bubblewrap sandboxes, as a cheating agent would
be: the untouched workspace, answer shells, inputs deleted or corrupted after a correct answer,
over-doing, and, the other way round, a second correct answer in another reasonable format. Also:
every taxonomy category has at least two families, the teacher acts the reference out to a full
score, and `clawgym tasks qa` passes on a sample."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from clawgym.sandbox import tar_files
from clawgym.synth.families import families, generate_task
from clawgym.synth.families._taxonomy import coverage, coverage_table
from clawgym.tasks import Task, TaskFile, save_tasks
from tests.conftest import requires_bwrap

NEW = ["meeting_minutes", "release_announcement", "handbook_answers", "newsletter_fact_check", "shift_roster",
       "circuit_load", "sprint_plan", "notes_by_tag", "contract_renewals", "access_review", "rename_function"]
PROSE = {"meeting_minutes", "release_announcement", "contract_renewals"}
SEEDS = (0, 1, 2, 5)


def expected(task: Task) -> dict:
    return json.loads(next(f.data for f in task.checks if f.path == "expected.json"))


def score(task: Task, files: dict[str, bytes] | None) -> float:
    from clawgym.verify import verify

    archive = None if files is None else tar_files([TaskFile(path=p, data=d) for p, d in files.items()])
    r = verify(task, archive=archive)
    assert r.status == "ok", (task.id, r.error)
    return r.score


def shells(ref: dict[str, bytes], outputs: list[str]) -> dict[str, dict[str, bytes]]:
    """The reference answer's shell: the right files, with nothing real in them."""
    def structure(p: str, data: bytes) -> bytes:
        t = data.decode("utf-8", "replace")
        if p.endswith(".csv"):
            lines = t.splitlines()
            return ("\n".join(lines[:1] + [",".join("" for _ in lines[0].split(","))] * (len(lines) - 1)) + "\n").encode()
        if p.endswith(".json"):
            def blank(v):
                return {k: blank(x) for k, x in v.items()} if isinstance(v, dict) else [blank(x) for x in v] \
                    if isinstance(v, list) else "" if isinstance(v, str) else 0
            return json.dumps(blank(json.loads(t))).encode()
        if p.endswith(".py"):
            return b"pass\n"
        return ("\n".join(ln for ln in t.splitlines() if ln.startswith("#") or re.match(r"^\|?[-| ]+\|?$", ln))
                + "\n\nHere is what you asked for. Everything is covered above.\n").encode()

    return {
        "empty": {**ref, **{p: b"" for p in outputs}},
        "generic": {**ref, **{p: b"Done. See the details below.\n" for p in outputs}},
        "structure_only": {**ref, **{p: structure(p, ref[p]) for p in outputs}},
    }


# a second correct answer, written differently from the reference (over-strictness)
def _alt_minutes(ref, e):
    import datetime as dt
    t = ref[e["out"]].decode()
    for _owner, _key, due in e["actions"]:
        d = dt.date.fromisoformat(due)
        t = t.replace(due, f"{d.day} {d.strftime('%B')} {d.year}")
    return {e["out"]: t.replace("## ", "### ").encode()}


def _alt_handbook(ref, e):
    rows = json.loads(ref[e["out"]])
    return {e["out"]: json.dumps({"answers": {str(r["question"]): {"answer": f"It is {r['answer']}.",
                                                                   "sources": ["./" + r["source"]]} for r in rows}}).encode()}


def _alt_roster(ref, e):
    lines = ref[e["out"]].decode().splitlines()[1:]
    grouped: dict[tuple[str, str], list[str]] = {}
    for ln in lines:
        d, s, n = ln.split(",")
        grouped.setdefault((d[:3], s), []).append(n)
    body = "\n".join(f"{d}\t{s}\t{'; '.join(ns)}" for (d, s), ns in grouped.items())
    return {e["out"]: f"Day\tShift\tStaff\n{body}\n".encode()}


def _alt_circuits(ref, e):
    lines = ref[e["out"]].decode().splitlines()
    out = ["Circuit,Amps (A),% of breaker,Over 80%?,kWh per day"]
    for ln in lines[1:]:
        c, a, p, o, k = ln.split(",")
        out.append(f"{c},{a} A,{p}%,{'TRUE' if o == 'yes' else 'FALSE'},{float(k):.3f}")
    return {e["out"]: ("\n".join(out) + "\n").encode()}


def _alt_sprints(ref, e):
    lines = ref[e["out"]].decode().splitlines()
    return {e["out"]: ("item,sprint\n" + "\n".join(f"{ln.split(',')[0].lower()},Sprint {ln.split(',')[1]}"
                                                   for ln in reversed(lines[1:])) + "\n").encode()}


def _alt_access(ref, e):
    lines = ref[e["out"]].decode().splitlines()[1:]
    by: dict[str, list[str]] = {}
    for ln in lines:
        s, c = ln.split(",")
        by.setdefault(s, []).append(c.lower())
    return {e["out"]: ("username,findings\n" + "\n".join(f"{s},{'; '.join(c)}" for s, c in by.items()) + "\n").encode()}


def _alt_renewals(ref, e):
    import datetime as dt
    t = ref[e["table"]].decode()
    for iso in sorted(set(re.findall(r"\d{4}-\d{2}-\d{2}", t))):
        d = dt.date.fromisoformat(iso)
        t = t.replace(iso, f"{d.day} {d.strftime('%b')} {d.year}")
    return {e["table"]: t.encode()}


def _alt_rename(ref, e):
    return {p: b"# reformatted by the reviewer\n\n" + ref[p] for p in e["py"] if e["new"].encode() in ref[p]}


def _alt_notes(ref, e):
    idx = ref[e["index"]].decode()
    return {e["index"]: re.sub(r"\]\(", "](./", idx).replace("## ", "# Tag: ").encode()}


def _alt_release(ref, e):
    """The same facts as running prose, the date written the American way."""
    import datetime as dt
    t = ref[e["out"]].decode()
    items = [ln[2:].rstrip(".") for ln in t.splitlines() if ln.startswith("- ")]
    d = dt.date.fromisoformat(e["date"])
    body = (f"Version {e['version']} ships on {d.strftime('%B')} {d.day}, {d.year}. It brings "
            + "; ".join(i[0].lower() + i[1:] for i in items) + f". Upgrade guide: {e['guide']}\n")
    return {e["out"]: ("# What's new\n\n" + body).encode()}


def _alt_factcheck(ref, e):
    """Figures without thousands separators."""
    t = ref[e["draft"]].decode()
    return {e["draft"]: re.sub(r"(?<=\d),(?=\d{3})", "", t).encode()}


ALTERNATIVES = {"release_announcement": _alt_release, "newsletter_fact_check": _alt_factcheck,
                "meeting_minutes": _alt_minutes, "handbook_answers": _alt_handbook, "shift_roster": _alt_roster,
                "circuit_load": _alt_circuits, "sprint_plan": _alt_sprints, "access_review": _alt_access,
                "contract_renewals": _alt_renewals, "rename_function": _alt_rename, "notes_by_tag": _alt_notes}


def test_every_taxonomy_category_has_two_families():
    fams = families()
    assert set(NEW) <= set(fams)
    cov = coverage(fams)
    print("\n" + coverage_table(fams))
    assert len(cov) == 11
    thin = {c: [n for n, _ in v] for c, v in cov.items() if len(v) < 2}
    assert not thin, f"categories with fewer than two families: {thin}"
    for name in NEW:  # the new ones name the taxonomy directly
        assert fams[name].category in cov


@pytest.mark.parametrize("name", NEW)
def test_deterministic_realistic_and_declared(name):
    a, b = generate_task(name, 11), generate_task(name, 11)
    assert a.model_dump_json() == b.model_dump_json()
    assert generate_task(name, 12).model_dump_json() != a.model_dump_json()
    tasks = [generate_task(name, s) for s in range(24)]
    assert len({t.metadata["template"] for t in tasks}) == 3
    hard = generate_task(name, 3, "hard")
    assert len(hard.workspace) >= 10, "a workspace with the files around the inputs a real one has"
    magic = {b"\x89PNG": ".png", b"%PDF": ".pdf", b"PK\x03\x04": ".zip"}
    binaries = [f for f in hard.workspace if any(f.data.startswith(m) for m in magic)]
    assert binaries and all(f.path.endswith(magic[next(m for m in magic if f.data.startswith(m))]) for f in binaries)
    import zipfile, io, zlib  # noqa: E401  the binary files parse as what they claim to be
    for f in binaries:
        if f.path.endswith(".zip"):
            assert zipfile.ZipFile(io.BytesIO(f.data)).testzip() is None
        elif f.path.endswith(".png"):
            idat = f.data[f.data.index(b"IDAT") + 4:f.data.index(b"IEND") - 8]
            assert zlib.decompress(idat)
        else:
            assert f.data.rstrip().endswith(b"%%EOF") and b"startxref" in f.data
    if name in PROSE:  # prose output: a rubric a judge can apply, and weights that say so
        assert hard.rubric is not None and hard.rubric.rules and all(r.file_path for r in hard.rubric.rules)
        assert hard.weights()[1] > 0
    else:
        assert hard.rubric is None and hard.weights() == (1.0, 0.0)


@requires_bwrap
@pytest.mark.parametrize("name", NEW)
def test_reward_integrity_in_real_sandboxes(name):
    from clawgym.verify import reference_outputs

    worst: dict[str, float] = {}
    for seed in SEEDS:
        task = generate_task(name, seed)
        e = expected(task)
        initial = {f.path: f.data for f in task.workspace}
        ref, why = reference_outputs(task)
        assert ref is not None, (task.id, why)
        assert score(task, ref) == 1.0, task.id
        assert score(task, None) == 0.0, task.id
        outputs = sorted(p for p in ref if initial.get(p) != ref[p])
        kept = sorted(p for p in initial if ref.get(p) == initial[p])
        assert outputs and kept
        probes = {f"shell:{k}": v for k, v in shells(ref, outputs).items()}
        probes["inputs_deleted"] = {p: d for p, d in ref.items() if p not in kept}
        probes["inputs_corrupted"] = {**ref, **{p: b"corrupted\n" for p in kept}}
        named = [p for p in kept if p in task.instruction]
        if named:
            probes["named_input_deleted"] = {p: d for p, d in ref.items() if p != named[0]}
        unrelated = [p for p in kept if p not in task.instruction and not p.startswith(tuple(
            x.rsplit("/", 1)[0] + "/" for x in outputs))]
        probes["overdo_extra_deletion"] = {p: d for p, d in ref.items() if p != (unrelated or kept)[-1]}
        probes["overdo_extra_change"] = {**ref, kept[0]: ref[kept[0]] + b"\n"}
        for probe, files in probes.items():
            s = score(task, files)
            worst[probe] = max(worst.get(probe, 0.0), s)
        if name in ALTERNATIVES:
            alt = {**ref, **ALTERNATIVES[name](ref, e)}
            assert alt != ref
            assert score(task, alt) == 1.0, f"{task.id}: a second correct answer in another format must pass"
    print(name, {k: round(v, 3) for k, v in sorted(worst.items())})
    for probe, s in worst.items():
        if probe.startswith("shell"):
            assert s <= 0.3, (name, probe, s)
        elif probe.startswith(("inputs", "named_input")):
            assert s < 0.5, (name, probe, s)
        else:
            assert s < 1.0, (name, probe, s)


@requires_bwrap
def test_teacher_acts_out_each_reference_to_a_full_score():
    from clawgym.agent import rollout
    from clawgym.train import TeacherAgent

    for name in NEW:
        traj = rollout(generate_task(name, 7), TeacherAgent())
        assert traj.score == 1.0, (name, traj.error, traj.verification)


@requires_bwrap
def test_tasks_qa_passes_on_a_sample(tmp_path):
    tasks = [generate_task(name, seed) for name in NEW for seed in (21, 22)]  # two each: the "universal" probe
    save_tasks(tasks, tmp_path / "sample.jsonl", "jsonl")
    r = subprocess.run([sys.executable, "-m", "clawgym", "tasks", "qa", str(tmp_path / "sample.jsonl"), "--json"],
                       capture_output=True, text=True, timeout=900)
    lines = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert len(lines) == len(tasks), r.stdout[-2000:] + r.stderr[-2000:]
    failed = {ln["task_id"]: {k: v["detail"] for k, v in ln["checks"].items() if v["status"] == "fail"}
              for ln in lines if not ln["passed"]}
    assert r.returncode == 0 and not failed, json.dumps(failed)[:3000]
    for ln in lines:
        assert ln["passed"], ln
        assert not [k for k, v in ln["checks"].items() if v["status"] == "fail"], ln
        assert ln["checks"]["reference"]["status"] == "pass" and ln["checks"]["noop"]["status"] == "pass"


@requires_bwrap
@pytest.mark.parametrize("name", sorted(PROSE))
def test_prose_rubric_is_judged_on_the_output_and_weighted(name, tmp_path):
    """A scripted judge over real HTTP sees the output each rule names; the score is the declared
    mix, and even a judge fooled into full marks cannot lift an answer's shell above 0.3."""
    from clawgym.models._openai import OpenAIModel
    from clawgym.verify import reference_outputs, verify
    from clawgym.verify._rubric import JudgeCache
    from tests.openai_server import FaultServer, completion

    task = generate_task(name, 3)
    ref, why = reference_outputs(task)
    assert ref is not None, why
    w_code, w_rubric = task.weights()
    judged = {r.file_path for r in task.rubric.rules}
    assert judged <= set(ref) and all(ref[p] != {f.path: f.data for f in task.workspace}.get(p) for p in judged)
    assert abs(w_code + w_rubric - 1) < 1e-9 and 0 < w_rubric <= 0.3
    verdict = lambda s: ("json", completion(json.dumps({"score": s, "reason": "scripted"})))  # noqa: E731
    archive = lambda files: tar_files([TaskFile(path=p, data=d) for p, d in files.items()])  # noqa: E731
    with FaultServer([], default=verdict(0.5)) as srv:
        judge = OpenAIModel("judge", base_url=srv.url, api_key="k", backoff_s=0.01, total_timeout_s=5)
        r = verify(task, archive=archive(ref), judge=judge, judge_cache=JudgeCache(tmp_path / "a"))
        prompts = [q["body"]["messages"][1]["content"] for q in srv.requests]
    assert r.rubric_status == "judged" and r.code_score == 1.0
    assert abs(r.score - (w_code * 1.0 + w_rubric * 0.5)) < 1e-9
    out = next(iter(judged))
    first_line = ref[out].decode().strip().splitlines()[0]
    assert len(prompts) == len(task.rubric.rules) and all(first_line in p for p in prompts)
    initial = {f.path: f.data for f in task.workspace}
    shell = {**ref, **{p: b"Here is the document you asked for.\n" for p in ref if initial.get(p) != ref[p]}}
    with FaultServer([], default=verdict(1)) as srv:
        judge = OpenAIModel("judge", base_url=srv.url, api_key="k", backoff_s=0.01, total_timeout_s=5)
        fooled = verify(task, archive=archive(shell), judge=judge, judge_cache=JudgeCache(tmp_path / "b"))
    assert fooled.rubric_score == 1.0 and fooled.code_score == 0.0 and fooled.score <= 0.3 + 1e-9


def _stuffed_minutes(ref, e):
    every = " ".join(e["attendees"] + [a[1] for a in e["actions"]] + [a[2] for a in e["actions"]])
    return {e["out"]: (ref[e["out"]].decode().split("## Action")[0] + "\n" + every + "\n"
                       + f"Next sync: {e['next']}\n").encode()}


def _stuffed_handbook(ref, e):
    rows = json.loads(ref[e["out"]])
    return {e["out"]: json.dumps([{"question": r["question"], "answer": " ".join(map(str, range(0, 3001))),
                                   "source": r["source"]} for r in rows]).encode()}


def _stuffed_factcheck(ref, e):
    t = ref[e["draft"]].decode()
    for name, head, shown, tail, value in e["claims"]:
        if name in e["wrong"]:
            right = f"{value:.2f}" if name == "average" else f"{value:,}" if name == "revenue" else str(value)
            t = t.replace(head + right + tail, head + f"{right} (or {shown}, or {value + 1})" + tail)
    return {e["draft"]: t.encode()}


@requires_bwrap
@pytest.mark.parametrize("name,stuff", [("meeting_minutes", _stuffed_minutes), ("handbook_answers", _stuffed_handbook),
                                        ("newsletter_fact_check", _stuffed_factcheck)])
def test_keyword_stuffing_does_not_pay(name, stuff):
    """Every candidate name, date or number piled into the answer is not an answer."""
    from clawgym.verify import reference_outputs

    for seed in (0, 1):
        task = generate_task(name, seed)
        ref, why = reference_outputs(task)
        assert ref is not None, why
        assert score(task, {**ref, **stuff(ref, expected(task))}) <= 0.3, task.id


@requires_bwrap
@pytest.mark.parametrize("name", NEW)
def test_every_attack_class_of_the_family_suite_fails(name, tmp_path):
    """The attack suite the first fifteen families are held to (inputs tampered, shells, one
    universal answer, over-doing, copy instead of move), over train and held-out seeds."""
    from tests.synth import test_family_attacks as suite

    suite.test_no_attack_class_reaches_a_pass(name, tmp_path)
