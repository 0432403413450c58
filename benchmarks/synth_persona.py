"""Pipeline overhead of `synth persona` with a zero-latency in-process model, QA sandboxes
included (issue target: >= 5 finished tasks/s on 2 cores), and where the time goes.

Every record gets a distinct, valid task (a per-record CSV totals task with its own data and
wording), a clean judge verdict, a check.py that passes QA first time, and a skipped rubric, so
every record finishes and the figure is pure pipeline cost: ledger, cache, schema checks, dedup,
the reference run and verifier QA in bwrap sandboxes.

    python benchmarks/synth_persona.py [--n 40] [--sandboxes 2] [--backend bwrap]

Besides tasks/s it prints the CPU seconds per finished task, this process's and its sandboxes'
(bwrap, the sandbox servers, the reference solutions and forked checks: counted when reaped),
which a busy shared machine changes far less than the wall time; and the load average sampled
during the run, not only at its end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

from clawgym.models import ChatModel, ModelResponse, Usage
from clawgym.sandbox import configure_pool
from clawgym.synth import PersonaConfig, synthesize_personas

CHECK = '''import csv, json, sys
from pathlib import Path

def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    scores = {"complete": 0.0, "totals": 0.0, "order": 0.0}
    try:
        got = json.loads((ws / "out/totals.json").read_text())
        assert isinstance(got, list) and all(isinstance(r, dict) for r in got)
    except Exception:
        return scores
    t = {}
    for row in csv.DictReader(open(ws / "input/ledger.csv")):
        t[row["key"]] = t.get(row["key"], 0) + int(row["value"])
    want = sorted(t.items(), key=lambda kv: (-kv[1], kv[0]))
    pairs = [(r.get("key"), r.get("total")) for r in got]
    scores["complete"] = 1.0 if sorted(k for k, _ in pairs) == sorted(t) else 0.0
    scores["totals"] = sum(1 for kv in want if kv in pairs) / len(want)
    scores["order"] = 1.0 if pairs == want else 0.0
    return scores

if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1] if len(sys.argv) > 1 else ".")))
'''
SOLVE = '''import csv, json, os
t = {}
for row in csv.DictReader(open("input/ledger.csv")):
    t[row["key"]] = t.get(row["key"], 0) + int(row["value"])
os.makedirs("out", exist_ok=True)
json.dump([{"key": k, "total": v} for k, v in sorted(t.items(), key=lambda kv: (-kv[1], kv[0]))], open("out/totals.json", "w"))
'''
WORDS = ("amber basil cedar delta ember fjord garnet harbor iris juniper kelp lumen maple nectar onyx pylon quartz "
         "raven saffron tundra umber velvet willow xenon yarrow zephyr").split()


class ZeroLatencyModel(ChatModel):
    name = "bench-zero-latency"

    def chat(self, messages, tools=None, params=None, *, timeout_s=None):
        system, user = messages[0]["content"], messages[1]["content"]
        if system.startswith("You design"):
            rnd = random.Random(hashlib.sha256(user.encode()).digest())
            tag = " ".join(rnd.sample(WORDS, 8))
            keys = rnd.sample(WORDS, 4)
            rows = "".join(f"{rnd.choice(keys)},{rnd.randint(1, 99)}\n" for _ in range(12))
            text = json.dumps({
                "title": f"Totals for {tag}",
                "instruction": (f"For my {tag} project, read input/ledger.csv (columns key, value) and write "
                                "out/totals.json: a JSON list of {\"key\", \"total\"} objects, one per key, sorted by "
                                "total descending, ties by key."),
                "input_files": [{"path": "input/ledger.csv", "content": "key,value\n" + rows}],
                "output_files": ["out/totals.json"], "solution": {"language": "python", "code": SOLVE}})
        elif system.startswith("You audit"):
            text = json.dumps({"factual_error": 0, "answer_leak": 0, "unsolvable": 0, "ambiguous": 0,
                               "needs_internet": 0, "wrong_reference": 0, "reason": "fine"})
        elif system.startswith("You write the code verifier"):
            text = json.dumps({"check_py": CHECK})
        else:
            text = json.dumps({"skip_rubric": True, "reason": "objective"})
        return ModelResponse(content=text, usage=Usage(prompt_tokens=len(user) // 4, completion_tokens=len(text) // 4))


TARGET = 5.0  # finished tasks per second (issue 20)


class LoadSampler:
    """The 1-minute load average every second while the run lasts (mean and max)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(1.0):
                return

    def __enter__(self) -> "LoadSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def __str__(self) -> str:
        s = self.samples or [os.getloadavg()[0]]
        return f"load average during the run {sum(s) / len(s):.1f} (max {max(s):.1f}) on {os.cpu_count()} CPUs"


def cpu_seconds() -> tuple[float, float]:
    """(this process, its reaped children) user + system CPU seconds."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--sandboxes", type=int, default=2)
    ap.add_argument("--backend", default="bwrap")
    ap.add_argument("--no-baseline", action="store_true", help="skip the run without the warm pool")

    args = ap.parse_args()

    def run(pooled: bool):
        configure_pool() if pooled else configure_pool(0)
        cpu0 = cpu_seconds()
        try:
            with tempfile.TemporaryDirectory() as tmp, LoadSampler() as load:
                cfg = PersonaConfig(out=Path(tmp) / "run", n=args.n, seed=1, backend=args.backend, concurrency=4,
                                    sandbox_concurrency=args.sandboxes)
                start = time.perf_counter()
                summary = synthesize_personas(ZeroLatencyModel(), cfg)
                wall = time.perf_counter() - start
        finally:
            configure_pool()  # closes the pool's sessions: their CPU is counted once they are reaped
        cpu1 = cpu_seconds()
        return summary, wall, load, (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1])

    def cpu_line(summary, cpu: tuple[float, float]) -> str:
        per = 1000 / max(1, summary.finished)
        return (f"CPU per finished task: {cpu[0] * per:.0f} ms in this process, {cpu[1] * per:.0f} ms in sandboxes "
                f"(total {(cpu[0] + cpu[1]) * per:.0f} ms; {os.cpu_count()} CPUs at most "
                f"{os.cpu_count() / max(1e-9, cpu[0] + cpu[1]) * summary.finished:.2f} tasks/s with nothing else running)")

    if not args.no_baseline:  # the same pipeline, every session started on demand (before issue 20)
        base, base_wall, base_load, base_cpu = run(pooled=False)
        print(f"without the warm pool: {base.finished}/{args.n} tasks in {base_wall:.2f} s: "
              f"{base.finished / base_wall:.2f} tasks/s; {base_load}")
        print("  " + cpu_line(base, base_cpu))
    summary, wall, load, cpu = run(pooled=True)
    rate = summary.finished / wall
    print(f"{summary.finished}/{args.n} tasks finished in {wall:.2f} s on backend {args.backend}, "
          f"{args.sandboxes} sandbox slot(s): {rate:.2f} tasks/s = {rate / TARGET:.2f} x the target of "
          f"{TARGET:g} tasks/s ({'PASS' if rate >= TARGET else 'FAIL'})")
    print(f"{load}; at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(cpu_line(summary, cpu))
    total = sum(s.usage.seconds for s in summary.stages.values())
    print("where the time goes (stage wall time summed over records, share of the sum):")
    for name, s in summary.stages.items():
        print(f"  {name:10s} {s.usage.seconds:7.2f} s  {100 * s.usage.seconds / total:5.1f} %  "
              f"({s.usage.seconds / max(1, s.entered) * 1000:7.1f} ms per record)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
