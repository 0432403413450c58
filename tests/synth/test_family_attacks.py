"""Every cheating class against every family, over train and held-out seeds: inputs deleted or
corrupted after a correct answer, the answer's shell, one fixed answer for the whole family,
over-doing, copy instead of move, and (for the families whose checks run the agent's code) a
planted module or script that looks for the expected values everywhere it can. None may reach a
pass; those without the real work stay at or below 0.3."""

from __future__ import annotations

import json

import pytest

from clawgym.synth.families import HELDOUT_SEED_START, generate_task
from tests.conftest import requires_bwrap
from tests.synth import attacks
from tests.synth.harness import Materialised, read_files, run_batch, write_files

#: the families this suite holds to the targets (families added later join by name)
FAMILIES = ["sort_by_extension", "dedupe_files", "batch_rename", "csv_group_summary", "json_filter_report",
            "log_error_triage", "access_log_report", "ini_config_edit", "json_config_merge", "fix_function_bug",
            "order_email", "ticket_replies", "meeting_slots", "invoice_due_dates", "cleanup_script"]
SEEDS = [0, 1, 2, 3, 4, HELDOUT_SEED_START, HELDOUT_SEED_START + 1]


def reward(checks: dict) -> float:
    """What the verifier scores: the script's own gated `reward`, else the mean of the checks."""
    return checks["reward"] if "reward" in checks else sum(checks.values()) / len(checks)


def solved(tasks, tmp_path) -> list[Materialised]:
    mats = [Materialised(t, tmp_path / f"{i}-{t.id}") for i, t in enumerate(tasks)]  # two donors may coincide
    res = run_batch([m.solve_job() for m in mats])
    bad = [(m.task.id, r["error"]) for m, r in zip(mats, res) if not r.get("ok")]
    assert not bad, bad[0]
    for m in mats:
        m.reference = read_files(m.ref_ws)
    return mats


@pytest.mark.parametrize("name", FAMILIES)
def test_no_attack_class_reaches_a_pass(name, tmp_path):
    tasks = [generate_task(name, s) for s in SEEDS]
    donors = [attacks.donor_for(t, lambda x: generate_task(name, x), s + 500) for t, s in zip(tasks, SEEDS)]
    mats = solved(tasks + donors, tmp_path)
    pairs = list(zip(mats[: len(tasks)], mats[len(tasks):]))
    owners = []
    for m, donor in pairs:
        m.add_variant("reference", m.reference)
        owners.append((m, "reference", "reference"))
        for cls, variants in attacks.all_attacks(m.task, m.reference, donor.task, donor.reference).items():
            if cls == "answer_key":  # needs the real verification sandbox: see below
                continue
            for vname, files in variants.items():
                m.add_variant(f"{cls}:{vname}", files)
                owners.append((m, cls, vname))
    jobs = [job for m in {id(m): m for m, _, _ in owners}.values() for _, job in m.grade_jobs()]
    results = run_batch(jobs)
    assert len(results) == len(owners)
    worst: dict[str, tuple[float, str]] = {}
    for (m, cls, vname), r in zip(owners, results):
        assert "checks" in r, f"{m.task.id} {cls}:{vname}: check crashed: {r.get('error')}"
        s = reward(r["checks"])
        if cls == "reference":
            assert s == 1.0, f"{m.task.id}: reference scored {s}: {r['checks']}"
            continue
        if s > worst.get(cls, (-1.0, ""))[0]:
            worst[cls] = (s, f"{m.task.id} {vname}: {json.dumps(r['checks'])}")
    failures = [f"{cls} reached {s:.3f} (limit {attacks.LIMITS[cls]}): {where}"
                for cls, (s, where) in worst.items() if s >= 1.0 or s > attacks.LIMITS[cls]]
    assert not failures, "\n".join(failures)
    assert {"shell", "universal"} <= set(worst), f"{name}: these classes must always apply"


def test_attack_builders_change_what_they_claim(tmp_path):
    """The builders are real attacks: copy-not-move keeps both copies, the shell keeps the files,
    over-doing differs from the reference in exactly one place."""
    t = generate_task("sort_by_extension", 3)
    m = solved([t], tmp_path)[0]
    ref = m.reference
    copied = attacks.copy_not_move(t, ref)
    e = attacks.expected(t)
    assert all(copied[s] == copied[d] for s, d, _ in e["moves"])
    assert set(attacks.shell(t, ref)) == set(ref)
    for files in attacks.overdoing(t, ref).values():
        assert len(set(files.items()) ^ set(ref.items())) in (1, 2)
    clean = generate_task("cleanup_script", 4)
    union = attacks.universal(clean, t, ref)["union_script"]
    assert union[attacks.expected(clean)["script"]] == attacks.CLEANUP_UNION


@requires_bwrap
@pytest.mark.parametrize("name,seed", [("fix_function_bug", 11), ("fix_function_bug", HELDOUT_SEED_START + 3),
                                       ("cleanup_script", 12)])
def test_answer_key_lookup_fails_in_the_real_verifier(name, seed, tmp_path):
    """A planted module (or script) searches stdin, the environment, argv, /proc (cmdline,
    environ, fds, memory) and every readable file for the expected values and answers from them;
    in the verification sandbox it finds nothing and scores low. Control: with the check's files
    left beside it the same code scores 1.0, so the search itself works."""
    from clawgym.verify import verify

    task = generate_task(name, seed)
    ref = solved([task], tmp_path)[0].reference
    assert verify(task, write_files(tmp_path / "ref", ref)).score == 1.0
    planted = attacks.answer_key(task)
    r = verify(task, write_files(tmp_path / "planted", planted))
    assert r.status == "ok", r.error
    assert r.score <= 0.3, (r.score, r.checks)
    if name == "fix_function_bug":
        leaked = verify(task, write_files(tmp_path / "leaked", attacks.leak_key(task, planted)))
        assert leaked.status == "ok" and leaked.score == 1.0, (leaked.score, leaked.checks, leaked.error)
