"""Per-rollout overhead of the real OpenClaw over our own loop, with the same scripted model.

Both agents run task_0185 (a ClawGym fixture) with the same fixed sequence of tool calls (read,
exec, write, apply_patch, final answer) answered in process with zero model latency, in the same
run, alternating, one at a time. OpenClaw runs warm (issue 20: a sandbox session with OpenClaw
already started and warmed up, see `clawgym.agent._openclaw_warm`): before each timed rollout
the benchmark waits, untimed, until the next warm session is ready (its start-up is reported
apart: it is work done off the rollout's critical path, not removed). `--cold N` also times N
cold OpenClaw rollouts (a start-up each, as before issue 20) in the same run.

Reported per agent: rollout wall time (sandbox, agent, copy-back, verification) p50/p95; for
OpenClaw also the time to its first model request and the rest (its turns and exit). The
overhead is p50(OpenClaw) - p50(ours), printed next to the ratio p50(OpenClaw) / p50(ours).

Target (issues 13, 20): warm overhead p50 <= 1.5 s on 2 cores.
    python benchmarks/openclaw_overhead.py [--rollouts 5] [--cold 1]
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
from clawgym.agent._openclaw_warm import configure_warm_pool, warm_pool  # noqa: E402
from clawgym.models import ScriptedModel  # noqa: E402
from clawgym.tasks import load_tasks  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def script() -> list:
    steps = json.loads((REPO / "tests" / "agent" / "data" / "task_0185_script.json").read_text())
    patch = ("*** Begin Patch\n*** Update File: output/USAGE.md\n@@\n-export BASH_THEMES_DIR=TODO\n"
             "+export BASH_THEMES_DIR=output/.bash-themes\n*** End Patch")
    return [{"content": None, "tool_calls": [{"name": "apply_patch", "arguments": {"input": patch}}]}
            if isinstance(s, dict) and s["tool_calls"][0]["name"] == "edit" else s for s in steps]


def _line(name: str, xs: list[float], first: list[float]) -> str:
    rest = [x - f for x, f in zip(xs, first)]
    return (f"{name:<15} p50 {pct(xs, .5):7.2f} s  p95 {pct(xs, .95):7.2f} s  (first model request p50 "
            f"{pct(first, .5):5.2f} s; after it p50 {pct(rest, .5):5.2f} s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rollouts", type=int, default=5)
    ap.add_argument("--cold", type=int, default=0, help="Cold OpenClaw rollouts to time as well.")
    ap.add_argument("--target", type=float, default=1.5, help="Overhead p50 target, seconds.")
    args = ap.parse_args()
    inst = require_install()
    task = next(t for t in load_tasks(REPO / "tests" / "data" / "clawgym" / "tasks") if t.id == "task_0185")
    ours, warm, cold, first_ours, first_warm, first_cold, ready_wait, convert = [], [], [], [], [], [], [], []
    cpu_ours, cpu_claw, wall_claw = [], [], []

    def openclaw(warm_: bool):
        return rollout(task, OpenClawAgent(ScriptedModel(script()), install=inst, warm=warm_))

    rollout(task, LLMAgent(ScriptedModel(script())))  # warm our path once
    configure_warm_pool(1, warm_after=1)  # a run's default waits for a second rollout before warming
    openclaw(True)  # the first of its shape runs cold and starts a warm session for the next
    for i in range(args.rollouts):
        t = time.monotonic()
        if not warm_pool().wait_ready():
            raise SystemExit(f"no warm OpenClaw session became ready: {warm_pool().errors}")
        ready_wait.append(time.monotonic() - t)
        t, c = time.monotonic(), time.process_time()
        a = rollout(task, LLMAgent(ScriptedModel(script())))
        ours.append(time.monotonic() - t)
        cpu_ours.append(time.process_time() - c)
        first_ours.append(a.steps[0].started_s if a.steps else float("nan"))
        t = time.monotonic()
        b = openclaw(True)
        warm.append(time.monotonic() - t)
        assert b.agent.get("warm") is True, "the timed rollout found no warm session"
        assert a.score == b.score == 1.0, (a.score, b.score, b.error)
        first_warm.append(b.steps[0].started_s if b.steps else float("nan"))
        cpu_claw.append(b.agent["openclaw_run"]["cpu_s"])
        wall_claw.append(b.agent["openclaw_run"]["wall_s"])
        t = time.monotonic()
        b.model_dump_json()
        convert.append(time.monotonic() - t)
        print(f"  rollout {i}: ours {ours[-1]:6.2f} s   openclaw warm {warm[-1]:6.2f} s (first model request after "
              f"{first_warm[-1]:5.2f} s; its command {wall_claw[-1]:5.2f} s, {cpu_claw[-1]:5.2f} CPU-s; "
              f"waited {ready_wait[-1]:5.1f} s untimed for the session)", flush=True)
    for i in range(args.cold):
        t = time.monotonic()
        c = openclaw(False)
        cold.append(time.monotonic() - t)
        assert c.score == 1.0 and c.agent.get("warm") is False, (c.score, c.error)
        first_cold.append(c.steps[0].started_s if c.steps else float("nan"))
        print(f"  cold {i}: openclaw {cold[-1]:6.2f} s (first model request after {first_cold[-1]:5.2f} s)", flush=True)
    o50, w50 = pct(ours, .5), pct(warm, .5)
    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}  rollouts: {args.rollouts} each")
    print(_line("ours", ours, first_ours))
    print(_line("openclaw warm", warm, first_warm))
    if cold:
        print(_line("openclaw cold", cold, first_cold))
    print(f"CPU seconds per rollout p50: warm OpenClaw's command {pct(cpu_claw, .5):.2f} (its Node process, all "
          f"threads, not its tools' commands) in {pct(wall_claw, .5):.2f} s wall; ours in this process "
          f"{pct(cpu_ours, .5):.2f} (its tools run in the sandbox's server)")
    print(f"waited, untimed, before a rollout for the next warm session to finish its start-up (off the critical "
          f"path): p50 {pct(ready_wait, .5):.1f} s; trajectory serialisation p50 {pct(convert, .5) * 1000:.1f} ms")
    overhead = w50 - o50
    print(f"warm: ratio openclaw/ours p50 {w50 / o50:.1f}x   overhead p50 {overhead:.2f} s   "
          f"target <= {args.target:.1f} s: {'met' if overhead <= args.target else 'NOT met'}")
    if cold:
        print(f"cold: ratio openclaw/ours p50 {pct(cold, .5) / o50:.1f}x   overhead p50 {pct(cold, .5) - o50:.2f} s")


if __name__ == "__main__":
    main()
