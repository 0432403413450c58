"""Reward attacks on procedural family tasks: can a cheating workspace collect the reward?

For N family tasks (half from the train split, half held out: held-out seeds of every family and
the held-out families), each task's reference answer is made, then the cheating workspaces of
every class in tests/synth/attacks.py (inputs deleted or corrupted after the correct answer; the
reference's shell with emptied or generic content; one fixed answer for the whole family;
over-doing; copy instead of move; a planted answer-key lookup where the checks run the agent's
code), and every workspace is scored with the real verifier (`verify_many`, bubblewrap sandbox,
the task's own check script). Prints, per family and class, the highest score any attack
reached, and a PASS/FAIL line per target.

Baseline: the same attack classes against the families before issue 18 (its report: of 248
attacks on 30 tasks, 160 scored >= 0.5 and 41 a full 1.0; fix_function_bug's key lookup and
cleanup_script's union script 1.0 on 20/20).
Targets (issue 18): no attack reaches 1.0 on any task; no class without the real work (shell,
universal, copy_not_move, answer_key) reaches 0.5.

    python benchmarks/reward_attacks.py [--n 300] [--seed 42] [--concurrency 2] [--families a,b]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clawgym.synth.families import HELDOUT_FAMILIES, families, generate_task, plan  # noqa: E402
from clawgym.verify import verify_many  # noqa: E402
from tests.synth import attacks  # noqa: E402
from tests.synth.harness import Materialised, read_files, run_batch, write_files  # noqa: E402

NO_WORK = ("shell", "universal", "copy_not_move", "answer_key")


def draw(n: int, seed: int, names: list[str]) -> list[tuple[str, int]]:
    train_names = [x for x in names if x not in HELDOUT_FAMILIES]
    half = n // 2 if train_names else 0
    out = plan(half, seed, names=train_names, split="train") if half else []
    return out + plan(n - half, seed, names=names, split="heldout")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--families", default="", help="comma-separated names (default: every registered family)")
    args = ap.parse_args()
    names = [x for x in args.families.split(",") if x] or list(families())
    t0 = time.perf_counter()
    chosen = draw(args.n, args.seed, names)
    tasks = [generate_task(f, s) for f, s in chosen]
    donors = [attacks.donor_for(t, lambda x, f=f: generate_task(f, x), s + 7919) for t, (f, s) in zip(tasks, chosen)]
    with tempfile.TemporaryDirectory(prefix="reward-attacks-") as tmp:
        root = Path(tmp)
        mats = [Materialised(t, root / f"{i}-{t.id}") for i, t in enumerate(tasks + donors)]
        solved = run_batch([m.solve_job() for m in mats])
        broken = [m.task.id for m, r in zip(mats, solved) if not r.get("ok")]
        if broken:
            print(f"reference solutions failed for {len(broken)} tasks, e.g. {broken[:3]}")
            return 1
        for m in mats:
            m.reference = read_files(m.ref_ws)
        t_solve = time.perf_counter() - t0
        jobs: list[tuple[str, str, str]] = []  # (task index, class, variant)
        vtasks, vws = [], []
        for i, (m, donor) in enumerate(zip(mats[: len(tasks)], mats[len(tasks):])):
            variants = {"reference": {"reference": m.reference}}
            variants.update(attacks.all_attacks(m.task, m.reference, donor.task, donor.reference))
            for cls, vs in variants.items():
                for vname, files in vs.items():
                    ws = write_files(root / "ws" / f"{len(vws)}", files)
                    jobs.append((str(i), cls, vname))
                    vtasks.append(m.task)
                    vws.append(ws)
        print(f"{len(tasks)} tasks ({sum(1 for f, _ in chosen if f in HELDOUT_FAMILIES or _ >= 1_000_000)} "
              f"held out), {len(vws)} workspaces ({len(vws) - len(tasks)} attacks); references solved in "
              f"{t_solve:.1f}s; verifying with concurrency {args.concurrency} ...", flush=True)
        t1 = time.perf_counter()
        done = [0]

        def tick(_r) -> None:
            done[0] += 1
            if done[0] % 500 == 0:
                print(f"  {done[0]}/{len(vws)} verified, {time.perf_counter() - t1:.0f}s", flush=True)

        results = verify_many(vtasks, vws, concurrency=args.concurrency, on_result=tick)
        t_verify = time.perf_counter() - t1
    worst: dict[str, dict[str, tuple[float, str]]] = defaultdict(dict)
    counts = defaultdict(lambda: [0, 0, 0])  # class -> [attacks, >= 0.5, == 1.0]
    ref_bad, errors = [], []
    for (i, cls, vname), task, r in zip(jobs, vtasks, results):
        fam = task.provenance.generator
        if r.status != "ok":
            errors.append(f"{task.id} {cls}:{vname}: {r.error}")
        if cls == "reference":
            if r.score < 1.0:
                ref_bad.append(f"{task.id}: {r.score:.3f} {r.checks}")
            continue
        c = counts[cls]
        c[0] += 1
        c[1] += r.score >= 0.5
        c[2] += r.score >= 1.0
        if r.score > worst[fam].get(cls, (-1.0, ""))[0]:
            worst[fam][cls] = (r.score, f"{task.id} {vname}")
    classes = [c for c in attacks.CLASSES if c in counts]
    width = max(len(f) for f in worst) + 2
    print(f"\nhighest score reached per family and attack class (- = class does not apply)")
    print("family".ljust(width) + "".join(c[:14].rjust(15) for c in classes))
    for fam in sorted(worst):
        row = [f"{worst[fam][c][0]:.3f}" if c in worst[fam] else "-" for c in classes]
        print(fam.ljust(width) + "".join(x.rjust(15) for x in row))
    print("all".ljust(width) + "".join(f"{max(worst[f][c][0] for f in worst if c in worst[f]):.3f}".rjust(15)
                                        for c in classes))
    total = sum(c[0] for c in counts.values())
    ge5 = sum(c[1] for c in counts.values())
    full = sum(c[2] for c in counts.values())
    print(f"\nattacks: {total}; >= 0.5: {ge5} ({ge5 / total:.1%}); 1.0: {full} ({full / total:.1%})"
          f"  [baseline, issue 18: 160/248 (64.5%) >= 0.5, 41/248 (16.5%) 1.0]")
    print(f"verification: {len(vws)} workspaces in {t_verify:.0f}s ({len(vws) / t_verify:.1f}/s, concurrency "
          f"{args.concurrency}); verifier errors: {len(errors)}{' e.g. ' + errors[0] if errors else ''}")
    print(f"references scoring 1.0: {len(tasks) - len(ref_bad)}/{len(tasks)}{' e.g. ' + ref_bad[0] if ref_bad else ''}")
    ok_full = full == 0
    bad_nowork = [(c, f, worst[f][c]) for f in worst for c in NO_WORK if c in worst[f] and worst[f][c][0] >= 0.5]
    print(f"{'PASS' if ok_full else 'FAIL'}  no attack class reaches 1.0 on any task "
          f"(max {max(max(v[0] for v in w.values()) for w in worst.values()):.3f})")
    print(f"{'PASS' if not bad_nowork else 'FAIL'}  no class without the real work ({', '.join(NO_WORK)}) reaches 0.5"
          + (f": {bad_nowork[:3]}" if bad_nowork else ""))
    print(f"{'PASS' if not ref_bad and not errors else 'FAIL'}  every reference scores 1.0 and the verifier never errs")
    return 0 if ok_full and not bad_nowork and not ref_bad and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
