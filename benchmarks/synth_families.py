"""Procedural families: `clawgym synth families --n N --out DIR` (the whole CLI, start-up
included, tasks written to disk) against a bare Python loop writing the same files (the same
bytes at the same paths, no generation, no validation), same run, interleaved.

Target (issue 11): N = 1000 in <= 10 s on 2 cores.
    python benchmarks/synth_families.py [--n 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def ours(n: int, dest: Path) -> float:
    shutil.rmtree(dest, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "clawgym", "synth", "families", "--n", str(n), "--out", str(dest)],
                   check=True, capture_output=True)
    return time.perf_counter() - t


def snapshot(root: Path) -> list[tuple[str, bytes, int]]:
    """Every file of a written dataset: (relative path, bytes, mode), read once outside the timing."""
    return [(str(p.relative_to(root)), p.read_bytes(), p.stat().st_mode & 0o777)
            for p in sorted(root.rglob("*")) if p.is_file()]


def bare(files: list[tuple[str, bytes, int]], dest: Path) -> float:
    shutil.rmtree(dest, ignore_errors=True)
    t = time.perf_counter()
    made: set[Path] = set()
    for rel, data, mode in files:
        p = dest / rel
        if p.parent not in made:
            p.parent.mkdir(parents=True, exist_ok=True)
            made.add(p.parent)
        p.write_bytes(data)
        if mode & 0o111:
            os.chmod(p, mode)
    return time.perf_counter() - t


def generate_only(n: int) -> float:
    from clawgym.synth.families import generate_tasks

    t = time.perf_counter()
    generate_tasks(n)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        root = Path(tmp)
        ours(args.n, root / "ref")
        files = snapshot(root / "ref")
        size = sum(len(d) for _, d, _ in files)
        t_ours, t_bare = [], []
        for _ in range(args.repeat):
            t_bare.append(bare(files, root / "bare"))
            t_ours.append(ours(args.n, root / "ours"))
        gen = generate_only(args.n)
    b, o = min(t_bare), min(t_ours)
    print(f"{args.n} tasks, {len(files)} files, {size / 1e6:.1f} MB, best of {args.repeat}, {os.cpu_count()} cores")
    print(f"bare Python loop writing the same files   {b:6.2f} s")
    print(f"clawgym synth families (CLI, to disk)      {o:6.2f} s   of which generation in-process {gen:.2f} s")
    print(f"ratio {o / b:.2f}   (target: <= 10 s for 1000 tasks: {'PASS' if o <= 10 or args.n != 1000 else 'FAIL'})")


if __name__ == "__main__":
    main()
