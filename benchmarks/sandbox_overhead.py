"""Sandbox overhead: create + exec `true` + destroy, against a bare subprocess, same run.

Target (issue 2): overhead p50 <= 20 ms.
    python benchmarks/sandbox_overhead.py [--n 200] [--backend bwrap]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _stats import pct, summary_ms  # noqa: E402

from clawgym.sandbox import create_sandbox  # noqa: E402
from clawgym.tasks import TaskFile  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--backend", default="bwrap")
    args = ap.parse_args()
    files = [TaskFile(path=f"input/f{i}.txt", data=b"x" * 1000) for i in range(5)]
    bare, ours = [], []
    for _ in range(args.n):  # interleaved, so both see the same machine load
        t = time.perf_counter()
        subprocess.run(["true"], check=True)
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        with create_sandbox(args.backend, files=files) as sb:
            assert sb.exec(["true"]).exit_code == 0
        ours.append(time.perf_counter() - t)
    overhead = pct(ours, .5) - pct(bare, .5)
    print(f"bare subprocess     {summary_ms(bare)}")
    print(f"{args.backend} sandbox    {summary_ms(ours)}   (create + exec true + destroy, 5 files)")
    print(f"overhead p50 {overhead * 1000:.2f} ms  (target <= 20 ms: {'PASS' if overhead <= 0.020 else 'FAIL'})"
          f"   ratio p50 {pct(ours, .5) / pct(bare, .5):.1f}x")


if __name__ == "__main__":
    main()
