"""Per-rollout overhead of the real OpenClaw over our own loop, with the same scripted model.

Both agents run task_0185 (a ClawGym fixture) with the same fixed sequence of tool calls (read,
exec, write, apply_patch, final answer) answered in process with zero model latency, in the same
run, alternating, one at a time. Reported per agent: rollout wall time (sandbox, agent, copy-back,
verification) p50/p95; for OpenClaw also the time to its first model request (Node start-up,
config, plugin and session set-up) and the conversion of its exchanges into a Trajectory. The
overhead is p50(OpenClaw) - p50(ours), printed next to the ratio p50(OpenClaw) / p50(ours).

Target (issue 13): overhead p50 <= 1.5 s on 2 cores.
    python benchmarks/openclaw_overhead.py [--rollouts 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _stats import pct  # noqa: E402

from clawgym.agent import LLMAgent, rollout  # noqa: E402
from clawgym.agent._openclaw import OpenClawAgent  # noqa: E402
from clawgym.agent._openclaw_install import require_install  # noqa: E402
from clawgym.models import ScriptedModel  # noqa: E402
from clawgym.tasks import load_tasks  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def script() -> list:
    steps = json.loads((REPO / "tests" / "agent" / "data" / "task_0185_script.json").read_text())
    patch = ("*** Begin Patch\n*** Update File: output/USAGE.md\n@@\n-export BASH_THEMES_DIR=TODO\n"
             "+export BASH_THEMES_DIR=output/.bash-themes\n*** End Patch")
    return [{"content": None, "tool_calls": [{"name": "apply_patch", "arguments": {"input": patch}}]}
            if isinstance(s, dict) and s["tool_calls"][0]["name"] == "edit" else s for s in steps]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rollouts", type=int, default=5)
    ap.add_argument("--target", type=float, default=1.5, help="Overhead p50 target, seconds.")
    args = ap.parse_args()
    inst = require_install()
    task = next(t for t in load_tasks(REPO / "tests" / "data" / "clawgym" / "tasks") if t.id == "task_0185")
    ours, theirs, first_req, convert = [], [], [], []
    rollout(task, LLMAgent(ScriptedModel(script())))  # warm both paths once
    for i in range(args.rollouts):
        t = time.monotonic()
        a = rollout(task, LLMAgent(ScriptedModel(script())))
        ours.append(time.monotonic() - t)
        t = time.monotonic()
        b = rollout(task, OpenClawAgent(ScriptedModel(script()), install=inst))
        theirs.append(time.monotonic() - t)
        assert a.score == b.score == 1.0, (a.score, b.score, b.error)
        first_req.append(b.steps[0].started_s if b.steps else float("nan"))
        t = time.monotonic()
        b.model_dump_json()
        convert.append(time.monotonic() - t)
        print(f"  rollout {i}: ours {ours[-1]:6.2f} s   openclaw {theirs[-1]:6.2f} s "
              f"(first model request after {first_req[-1]:5.2f} s)", flush=True)
    o50, t50 = pct(ours, .5), pct(theirs, .5)
    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}  rollouts: {args.rollouts} each")
    print(f"ours      p50 {o50:7.2f} s  p95 {pct(ours, .95):7.2f} s")
    print(f"openclaw  p50 {t50:7.2f} s  p95 {pct(theirs, .95):7.2f} s  "
          f"(to first model request p50 {pct(first_req, .5):.2f} s; trajectory serialisation p50 "
          f"{pct(convert, .5) * 1000:.1f} ms)")
    overhead = t50 - o50
    print(f"ratio openclaw/ours p50: {t50 / o50:.1f}x   overhead p50: {overhead:.2f} s   "
          f"target <= {args.target:.1f} s: {'met' if overhead <= args.target else 'NOT met'}")


if __name__ == "__main__":
    main()
