"""Verification throughput: `clawgym verify` over 200 tasks' untouched workspaces (the 40 fixture
tasks, each 5 times under its own id) against a bare loop of `/usr/bin/python3 -E -s check.py WS`
subprocesses over the same workspaces prepared outside the timing, at the same concurrency, in
the same run.

Target (issue 8, sandbox sessions): ratio <= 1.1 at concurrency 2.
    python benchmarks/verify_throughput.py [--tasks 200] [--concurrency 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from clawgym.tasks import load_tasks
from clawgym.verify import default_python

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "data" / "clawgym"


def bare(dirs: list[Path], concurrency: int, python: str) -> float:
    def one(d: Path) -> None:
        subprocess.run([python, "-E", "-s", str(d / "reward" / "check.py"), str(d)], capture_output=True, cwd=d)

    t = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, dirs))
    return time.perf_counter() - t


def ours(src: Path, concurrency: int) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "clawgym", "verify", str(src), "--json", "-j", str(concurrency)],
                   check=True, capture_output=True)
    return time.perf_counter() - t


def in_process(tasks, concurrency: int, pooled: bool = True) -> float:
    """verify_many in this process: with the warm pool (the default), or every session started
    on demand (`configure_pool(0)`: the path before issue 20)."""
    from clawgym.sandbox import configure_pool
    from clawgym.verify import verify_many

    configure_pool() if pooled else configure_pool(0)
    try:
        t = time.perf_counter()
        verify_many(tasks, concurrency=concurrency)
        return time.perf_counter() - t
    finally:
        configure_pool()


def startup() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "clawgym", "verify", "--help"], check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        from clawgym.tasks import save_tasks

        base = load_tasks(FIXTURES / "tasks") + load_tasks(FIXTURES / "syn_task_sample.jsonl")
        tasks = [base[i % len(base)].model_copy(update={"id": f"{base[i % len(base)].id}-{i // len(base)}"})
                 for i in range(args.tasks)]
        save_tasks(tasks, tmp / "dataset.jsonl", "jsonl")
        dirs = []
        for t in tasks:  # the baseline gets its workspaces ready-made, outside the timing
            d = tmp / "bare" / t.id
            for f in t.workspace + [f.model_copy(update={"path": "reward/" + f.path}) for f in t.checks]:
                (d / f.path).parent.mkdir(parents=True, exist_ok=True)
                (d / f.path).write_bytes(f.data)
            d.mkdir(parents=True, exist_ok=True)
            dirs.append(d)
        python = default_python()
        b, o, p, u, s = [], [], [], [], []
        for _ in range(args.repeat):  # interleaved, so all see the same machine load
            b.append(bare(dirs, args.concurrency, python))
            o.append(ours(tmp / "dataset.jsonl", args.concurrency))
            p.append(in_process(tasks, args.concurrency))
            u.append(in_process(tasks, args.concurrency, pooled=False))
            s.append(startup())
        b_best, o_best, p_best, u_best = min(b), min(o), min(p), min(u)
        print(f"{len(tasks)} tasks, concurrency {args.concurrency}, best of {args.repeat}")
        print(f"bare loop of python3 check.py WS       {b_best:6.2f} s  ({len(tasks) / b_best:5.1f} tasks/s)")
        print(f"clawgym verify (CLI, sandboxed)        {o_best:6.2f} s  ({len(tasks) / o_best:5.1f} tasks/s)"
              f"  of which CLI start-up {min(s):.2f} s")
        print(f"verify_many (Python API, sandboxed)    {p_best:6.2f} s  ({len(tasks) / p_best:5.1f} tasks/s)")
        print(f"verify_many without the warm pool      {u_best:6.2f} s  ({len(tasks) / u_best:5.1f} tasks/s)")
        ratio = o_best / b_best
        print(f"ratio CLI {ratio:.2f}  (target <= 1.1: {'PASS' if ratio <= 1.1 else 'FAIL'})"
              f"   ratio API {p_best / b_best:.2f}   ratio API without the pool {u_best / b_best:.2f}")
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
