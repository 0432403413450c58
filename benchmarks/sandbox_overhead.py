"""Sandbox session overhead, each against its bare baseline measured in the same run, interleaved.

Targets (issue 8, sandbox sessions):
- `exec` of `true` in a live session: overhead p50 <= 3 ms over a bare `subprocess.run(["true"])`;
- file-tool calls (read, write, edit through ToolBox): p50 <= 2 ms;
- session create + destroy: overhead p50 <= 10 ms over a bare `subprocess.run(["true"])` (issue 20:
  a session of the warm pool, filled with the workspace; the same without the pool alongside).

    python benchmarks/sandbox_overhead.py [--n 200] [--backend bwrap]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _stats import pct, summary_ms  # noqa: E402

from clawgym.agent import ToolBox  # noqa: E402
from clawgym.sandbox import create_sandbox, default_pool, sandbox_class  # noqa: E402
from clawgym.tasks import TaskFile  # noqa: E402


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--backend", default="bwrap")
    args = ap.parse_args()
    files = [TaskFile(path=f"input/f{i}.txt", data=b"line\n" * 200) for i in range(5)]
    create_sandbox(args.backend).close()  # the server is compiled once per interpreter: not timed

    # interleaved: bare, a session from the warm pool (taken, filled, closed), a session started
    # on demand (the path without a pool) — all three under the same machine load
    bare, session, direct = [], [], []
    cls, pool = sandbox_class(args.backend), default_pool()
    for _ in range(args.n):
        t = time.perf_counter()
        subprocess.run(["true"], check=True)
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        create_sandbox(args.backend, files=files).close()
        session.append(time.perf_counter() - t)
        t = time.perf_counter()
        cls(files=files).close()
        direct.append(time.perf_counter() - t)

    bare_exec, execs, reads, writes, edits = [], [], [], [], []
    with create_sandbox(args.backend, files=files) as sb:
        tools = ToolBox(sb)
        for i in range(args.n):
            t = time.perf_counter()
            subprocess.run(["true"], check=True)
            bare_exec.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert sb.exec(["true"]).exit_code == 0
            execs.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert not tools.call("read", {"path": "input/f1.txt", "limit": 50}).is_error
            reads.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert not tools.call("write", {"path": f"out/w{i % 10}.txt", "content": "hello\n" * 50}).is_error
            writes.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert not tools.call("edit", {"path": f"out/w{i % 10}.txt", "old_string": "hello\n", "new_string": "hi\n",
                                           "replace_all": True}).is_error
            edits.append(time.perf_counter() - t)

    exec_over = pct(execs, .5) - pct(bare_exec, .5)
    create_over = pct(session, .5) - pct(bare, .5)
    tool_p50 = max(pct(reads, .5), pct(writes, .5), pct(edits, .5))
    print(f"bare subprocess.run(['true'])     {summary_ms(bare_exec)}")
    print(f"exec ['true'] in a live session   {summary_ms(execs)}")
    print(f"  overhead p50 {exec_over * 1000:.2f} ms (target <= 3 ms: {_verdict(exec_over <= 0.003)})   "
          f"ratio p50 {pct(execs, .5) / pct(bare_exec, .5):.2f}x")
    print(f"read tool                         {summary_ms(reads)}")
    print(f"write tool                        {summary_ms(writes)}")
    print(f"edit tool                         {summary_ms(edits)}")
    print(f"  slowest file tool p50 {tool_p50 * 1000:.2f} ms (target <= 2 ms: {_verdict(tool_p50 <= 0.002)})")
    direct_over = pct(direct, .5) - pct(bare, .5)
    print(f"bare subprocess.run(['true'])     {summary_ms(bare)}")
    print(f"{args.backend} session create+destroy  {summary_ms(session)}   (5 workspace files; from the warm pool: "
          f"{pool.taken} taken ready, {pool.missed} started on demand)")
    print(f"  overhead p50 {create_over * 1000:.2f} ms (target <= 10 ms: {_verdict(create_over <= 0.010)})   "
          f"ratio p50 {pct(session, .5) / pct(bare, .5):.1f}x")
    print(f"  without the pool (started on demand) {summary_ms(direct)}   overhead p50 {direct_over * 1000:.2f} ms")
    print(f"  load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
