"""Calibration bookkeeping over 10,000 attempts (200 tasks x 5 models x 10 samples), excluding
the runs themselves: read the five run folders (RunStore.read), count per task and model, fit
the Rasch model, build every per-task record. Baseline, in the same process: a bare pure-Python
loop reading the same SQLite rows (sqlite3, read-only) and doing the same counting (attempts,
passes, verifier errors, runtime per task x model), no fit. Target: <= 5 s.

    python benchmarks/bench_calibrate.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clawgym.bench import calibrate, load_panel, spearman  # noqa: E402
from tests.bench.synth_runs import rasch_panel, write_run  # noqa: E402


def bare(folders: list[Path]) -> dict:
    counts: dict = {}
    for mi, f in enumerate(folders):
        con = sqlite3.connect(f"file:{f / 'run.sqlite'}?mode=ro", uri=True)
        for task_id, state, score, vstatus, seconds in con.execute(
                "SELECT task_id, state, score, verify_status, seconds FROM attempts"):
            c = counts.setdefault((task_id, mi), [0, 0, 0, 0.0])
            c[0] += 1
            if state == "done" and vstatus != "ok":
                c[2] += 1
            elif (score or 0) >= 1.0:
                c[1] += 1
            c[3] += seconds or 0.0
        con.close()
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        panel, b = rasch_panel(200, [-1.5, -0.5, 0.0, 0.7, 1.5], samples=10, seed=0)
        folders = [write_run(Path(tmp) / name, res, model=f"scripted:{name}") for name, res in panel.items()]
        setup = time.perf_counter() - t0
        ours, base = [], []
        for _ in range(args.repeat):  # interleaved, best of N each
            t = time.perf_counter()
            bare(folders)
            base.append(time.perf_counter() - t)
            t = time.perf_counter()
            cal = calibrate(load_panel(folders))
            ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        p = load_panel(folders)
        read = time.perf_counter() - t
        t = time.perf_counter()
        calibrate(p)
        fit = time.perf_counter() - t
        n = sum(len(v) for v in panel.values())
        rho = spearman([x.difficulty for x in cal.tasks], b)
        print(f"{n:,} attempts (200 tasks x 5 models x 10 samples) in 5 run folders "
              f"(written through RunStore in {setup:.1f} s, not timed); best of {args.repeat}")
        print(f"bare loop (sqlite3 + dict counting)     {min(base) * 1000:8.1f} ms")
        print(f"bench calibrate (read + count + fit)    {min(ours) * 1000:8.1f} ms   "
              f"(read {read * 1000:.0f} ms, count + fit + records {fit * 1000:.0f} ms)")
        print(f"ratio {min(ours) / min(base):.2f}   target <= 5 s: {'PASS' if min(ours) <= 5 else 'FAIL'}   "
              f"Spearman(difficulty, truth) {rho:.3f}")


if __name__ == "__main__":
    main()
