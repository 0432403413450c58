"""Property tests for every procedural family, over many seeds: the reference solution scores 1,
an untouched workspace 0, placeholders below 0.5, and each single mistake (the family's own
mutations and QA's generic ones) lower than the reference. Scores are the check script's gated
`reward`, as the verifier takes them (the cheating classes are in test_family_attacks.py). Checks and solutions run with
Debian's /usr/bin/python3, in batches; a few tasks also go through the real sandboxed QA."""

from __future__ import annotations

import json
import random
import re

import pytest

from clawgym.synth.families import (
    DIFFICULTIES, HELDOUT_FAMILIES, HELDOUT_SEED_START, families, generate_task, generate_tasks, get_family,
    split_of,
)
from clawgym.verify import mutations as qa_mutations
from tests.conftest import requires_bwrap
from tests.synth.harness import Materialised, placeholders, read_files, run_batch, score

NAMES = sorted(families())
SEEDS = 20


def test_enough_families_over_enough_categories():
    fams = families().values()
    assert len(NAMES) >= 12
    assert len({f.category for f in fams}) >= 6
    assert len({f.subcategory for f in fams}) >= 10
    assert HELDOUT_FAMILIES <= set(NAMES) and len(HELDOUT_FAMILIES) >= 2


@pytest.mark.parametrize("name", NAMES)
def test_properties_over_seeds(name, tmp_path):
    fam = get_family(name)
    tasks = [generate_task(name, s) for s in range(SEEDS)]
    tasks += [generate_task(name, 7, d) for d in DIFFICULTIES]
    mats = [Materialised(t, tmp_path / t.id) for t in tasks]
    solved = run_batch([m.solve_job() for m in mats])
    bad = [(m.task.id, r["error"]) for m, r in zip(mats, solved) if not r.get("ok")]
    assert not bad, bad[0]
    for m in mats:
        m.reference = read_files(m.ref_ws)
        exp = json.loads(next(f.data for f in m.task.checks if f.path == "expected.json"))
        outs = m.outputs()
        assert outs, f"{m.task.id}: the reference solution changed nothing"
        m.add_variant("reference", m.reference)
        m.add_variant("noop", m.initial)
        for ph, files in placeholders(outs).items():
            m.add_variant(f"placeholder:{ph}", {**m.initial, **files})
        muts = fam.mutate(m.reference, exp)
        assert muts, f"{m.task.id}: the family defines no mutations"
        for mname, files in muts.items():
            assert files != m.reference, f"{m.task.id}: mutation {mname} changes nothing"
            m.add_variant(f"family:{mname}", files)
        for p in outs:
            for kind, damaged in qa_mutations(p, m.reference[p]).items():
                m.add_variant(f"qa:{p}:{kind}", {**m.reference, p: damaged})
    jobs, owners = [], []
    for m in mats:
        for vname, job in m.grade_jobs():
            jobs.append(job)
            owners.append((m, vname))
    results = run_batch(jobs)
    scores: dict[tuple[str, str], float] = {}
    failures = []
    for (m, vname), r in zip(owners, results):
        if "checks" not in r:
            failures.append(f"{m.task.id} {vname}: check crashed: {r.get('error')}")
            continue
        checks = r["checks"]
        assert checks and all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in checks.values()), checks
        s = checks["reward"] if "reward" in checks else score(checks)  # what the verifier scores
        scores[(m.task.id, vname)] = s
        if vname == "reference" and s < 1 - 1e-9:
            failures.append(f"{m.task.id} reference scored {s:.3f}: {checks}")
        elif vname == "noop" and s != 0:
            failures.append(f"{m.task.id} untouched workspace scored {s:.3f}: {checks}")
        elif vname.startswith("placeholder") and s >= 0.5:
            failures.append(f"{m.task.id} {vname} scored {s:.3f}: {checks}")
        elif vname.startswith(("family:", "qa:")) and s >= 1 - 1e-9:
            failures.append(f"{m.task.id} {vname} scored {s:.3f}, not lower than the reference: {checks}")
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(failures[:15])
    partial = [s for (tid, v), s in scores.items() if v.startswith("family:")]
    assert any(0 < s < 1 for s in partial), "checks should give partial credit for single mistakes"


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_and_varied(name):
    a = generate_task(name, 123)
    b = generate_task(name, 123)
    assert a.model_dump_json() == b.model_dump_json()
    assert a.id == f"fam-{name.replace('_', '-')}-123"
    assert a.provenance.route == "family" and a.provenance.generator == name and a.provenance.seed == 123
    assert a.category and a.subcategory and a.difficulty in DIFFICULTIES
    assert a.metadata["knobs"] == get_family(name).knob_values(a.difficulty)
    tasks = [generate_task(name, s) for s in range(40)]
    assert len({t.metadata["template"] for t in tasks}) >= 3, "at least three phrasings"
    assert len({t.instruction for t in tasks}) >= 10
    assert len({t.model_dump_json() for t in tasks}) == len(tasks)
    checks = {next(f.data for f in t.checks if f.path == "check.py") for t in tasks}
    assert len(checks) == 1, "one check script per family; instance data in expected.json"
    easy, hard = generate_task(name, 5, "easy"), generate_task(name, 5, "hard")
    assert easy.id.endswith("-easy") and hard.difficulty == "hard"
    size = lambda t: sum(len(f.data) for f in t.workspace)  # noqa: E731
    assert size(hard) > size(easy)


@pytest.mark.parametrize("name", NAMES)
def test_weights_say_what_the_score_is_made_of(name):
    """A family task without a rubric declares code-only weights; one with a rubric ships rules."""
    for seed in (0, 1, HELDOUT_SEED_START):
        t = generate_task(name, seed)
        if t.rubric is None or not t.rubric.rules:
            assert (t.grading.code_weight, t.grading.rubric_weight) == (1.0, 0.0), t.grading
        assert t.weights()[0] > 0


def test_protected_inputs_are_listed_and_stated():
    """Every workspace file the instruction does not ask to change is in the check's list of
    files that must stay as they were, and the instruction says so where a person would expect."""
    for name in NAMES:
        t = generate_task(name, 3)
        exp = json.loads(next(f.data for f in t.checks if f.path == "expected.json"))
        listed = {p for p, _ in exp["_unchanged"]}
        assert listed <= {f.path for f in t.workspace}
        if name in ("csv_group_summary", "json_config_merge", "order_email", "ticket_replies", "meeting_slots",
                    "invoice_due_dates", "log_error_triage", "access_log_report", "json_filter_report"):
            assert listed == {f.path for f in t.workspace}, name
            assert re.search(r"unchanged|as (it is|they are)|stays? exactly", t.instruction), t.instruction


def test_knob_overrides_and_unknown_knob():
    name = "csv_group_summary" if "csv_group_summary" in NAMES else NAMES[0]
    knob = next(iter(get_family(name).knobs))
    base = get_family(name).knob_values("easy")[knob]
    t = generate_task(name, 1, "easy", {knob: base})
    assert "-k" in t.id and t.metadata["knobs"][knob] == base
    with pytest.raises(ValueError, match="no knob"):
        generate_task(name, 1, None, {"no_such_knob": 1})


def test_split_rule():
    train = generate_tasks(60, seed=0, split="train")
    assert {split_of(t) for t in train} == {"train"}
    assert not {t.provenance.generator for t in train} & HELDOUT_FAMILIES
    held = generate_tasks(60, seed=0, split="heldout")
    assert {split_of(t) for t in held} == {"heldout"}
    assert all(t.provenance.seed >= HELDOUT_SEED_START for t in held)
    assert HELDOUT_FAMILIES <= {t.provenance.generator for t in held}
    fam = next(iter(HELDOUT_FAMILIES))
    assert split_of(generate_task(fam, 3)) == "heldout"
    other = next(n for n in NAMES if n not in HELDOUT_FAMILIES)
    assert split_of(generate_task(other, 3)) == "train"
    assert split_of(generate_task(other, HELDOUT_SEED_START)) == "heldout"
    with pytest.raises(ValueError, match="below"):
        generate_tasks(40, seed=HELDOUT_SEED_START - 1, split="train")
    with pytest.raises(ValueError, match="held out"):
        generate_tasks(2, names=[fam], split="train")
    ids = [t.id for t in generate_tasks(3 * len(NAMES), seed=10)]
    assert len(set(ids)) == len(ids)


def test_native_round_trip(tmp_path):
    from clawgym.tasks import load_tasks, save_tasks

    tasks = generate_tasks(len(NAMES), seed=random.Random(0).randrange(1000))
    save_tasks(tasks, tmp_path / "d", "native")
    save_tasks(tasks, tmp_path / "d.jsonl", "jsonl")
    for src in (tmp_path / "d", tmp_path / "d.jsonl"):
        back = {t.id: t for t in load_tasks(src)}
        for t in tasks:
            assert back[t.id].model_dump() == t.model_dump()
            assert split_of(back[t.id]) == split_of(t)


@requires_bwrap
@pytest.mark.parametrize("name", NAMES)
def test_sandboxed_qa(name):
    from clawgym.verify import qa_task, verify

    task = generate_task(name, 2)
    assert verify(task).score == 0
    r = qa_task(task)
    assert r.passed and not [k for k, c in r.checks.items() if c.status == "fail"], r.json_line()
    core = ("noop", "reference", "placeholders", "mutations", "determinism")  # never skipped for a family task
    assert all(r.checks[k].status == "pass" for k in core if k in r.checks), r.json_line()
