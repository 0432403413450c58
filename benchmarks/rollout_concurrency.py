"""Rollout concurrency: 64 concurrent rollouts of 5 steps each against a local OpenAI-compatible
server that answers every step after 200 ms.

Targets: issue 4, throughput >= 85 % of the ideal 64 / (5 x 0.2 s) at --delay 0.2; issue 8 (sandbox
sessions), >= 95 % of the ideal at --delay 2.0 (`--target 0.95`). Also prints the per-rollout
overhead excluding model time (sandbox + tools + verification + store), p50 and p95, next to
the bare sandbox cost (create + exec true + destroy) measured in the same run; and (issue 20)
where the wall time beyond the model-bound ideal goes, from each trajectory's timestamps and the
moment its row was stored: how late the rollout started, what each model call took beyond the
server's delay, the tools, and after the last answer the export (kill, export, diff), the
verification and the wait for the store; with the CPU the driving process and its sandboxes used.
    python benchmarks/rollout_concurrency.py [--rollouts 64] [--steps 5] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _stats import pct  # noqa: E402

from clawgym.runs import RunConfig, RunStore, execute  # noqa: E402
from clawgym.sandbox import BwrapSandbox, configure_pool, create_sandbox  # noqa: E402
from clawgym.tasks import Task, TaskFile  # noqa: E402

CHECK = b"""import json, sys, pathlib
p = pathlib.Path(sys.argv[1], "output", "log.txt")
print(json.dumps({"log_written": p.is_file(), "four_lines": p.is_file() and len(p.read_text().splitlines()) == 4}))
"""


def make_server(steps: int, delay: float) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as vLLM and other real servers do

        def log_message(self, *a):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            step = sum(1 for m in body["messages"] if m["role"] == "assistant")
            time.sleep(delay)
            if step < steps - 1:  # a cheap tool call, then the final answer on the last step
                lines = "".join(f"line {i}\n" for i in range(step + 1))
                msg = {"role": "assistant", "content": None, "tool_calls": [{
                    "id": f"c{step}", "type": "function", "function": {
                        "name": "write", "arguments": json.dumps({"path": "output/log.txt", "content": lines})}}]}
            else:
                msg = {"role": "assistant", "content": "Done."}
            data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "bench",
                               "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
                               "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    ThreadingHTTPServer.request_queue_size = 256
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def _serve(steps: int, delay: float, ready) -> None:
    srv = make_server(steps, delay)
    ready.put(srv.server_address[1])
    threading.Event().wait()


def bare_sandbox_ms(n: int = 30) -> float:
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        with create_sandbox(files=[TaskFile(path="a.txt", data=b"x")]) as sb:
            sb.exec(["true"])
        xs.append(time.perf_counter() - t)
    return pct(xs, .5) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rollouts", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--target", type=float, default=None, help="default: 0.95 at --delay >= 2, else 0.85")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the run without the warm pool and without the first model call overlapping set-up")
    args = ap.parse_args()
    import os

    # The server runs in its own process, so it does not compete with the rollouts for the GIL.
    import multiprocessing as mp

    ready: mp.Queue = mp.Queue()
    server = mp.Process(target=_serve, args=(args.steps, args.delay, ready), daemon=True)
    server.start()
    os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{ready.get(timeout=30)}/v1"
    os.environ["OPENAI_API_KEY"] = "bench"
    task = Task(id="bench", instruction="Write output/log.txt with four lines.",
                workspace=[TaskFile(path="input/readme.txt", data=b"hello")],
                checks=[TaskFile(path="check.py", data=CHECK)])
    cfg = RunConfig(tasks="bench", task_ids=[task.id], agent="llm", model="openai:bench", samples=args.rollouts)
    bare = bare_sandbox_ms()
    with tempfile.TemporaryDirectory() as tmp:
        # warm-up outside the timing: imports (openai, ...) and the first client connection
        execute([task], cfg.model_copy(update={"samples": 1}), Path(tmp) / "warmup", concurrency=1).close()
        if not args.no_baseline:  # the path before issue 20, same machine, same run
            configure_pool(0)
            BwrapSandbox.at_mount_path = False  # the session made before the first model call
            t = time.perf_counter()
            execute([task], cfg, Path(tmp) / "baseline", concurrency=args.rollouts).close()
            base_wall = time.perf_counter() - t
            BwrapSandbox.at_mount_path = True
            configure_pool()
        stored: dict[int, float] = {}  # sample -> when its row was committed (the run's own thread)
        cpu0, kids0 = time.process_time(), _children_cpu()
        t0, t = time.time(), time.perf_counter()
        store = execute([task], cfg, Path(tmp) / "run", concurrency=args.rollouts,
                        progress=lambda e: stored.__setitem__(e.traj.sample, time.time()) if e.kind == "done" else None)
        wall = time.perf_counter() - t
        cpu, kids = time.process_time() - cpu0, _children_cpu() - kids0
        trajs = list(store.trajectories())
        rows = store.rows()
        store.close()
    server.terminate()
    assert len(trajs) == args.rollouts and all(r.score == 1.0 for r in rows), "rollouts failed"
    overhead = [t["agent_s"] + t["verify_s"] - sum(s["model_s"] for s in t["steps"]) for t in trajs]
    ideal = args.rollouts / (args.steps * args.delay)
    got = args.rollouts / wall
    print(f"{args.rollouts} rollouts x {args.steps} steps, model answers after {args.delay * 1000:.0f} ms, concurrency {args.rollouts}")
    print(f"wall {wall:.2f} s   throughput {got:.1f} rollouts/s   ideal {ideal:.1f} rollouts/s")
    target = args.target if args.target is not None else (0.95 if args.delay >= 2.0 else 0.85)
    print(f"throughput / ideal {got / ideal:.1%}  (target >= {target:.0%}: {'PASS' if got / ideal >= target else 'FAIL'})")
    if not args.no_baseline:
        print(f"without the warm pool and the overlapped first call: wall {base_wall:.2f} s, "
              f"throughput / ideal {args.rollouts / base_wall / ideal:.1%}")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"per-rollout overhead excluding model time: p50 {pct(overhead, .5) * 1000:.0f} ms  "
          f"p95 {pct(overhead, .95) * 1000:.0f} ms   (bare sandbox create+exec+destroy p50 {bare:.1f} ms)")
    verify = [t["verify_s"] for t in trajs]
    tools = [sum(s["tools_s"] for s in t["steps"]) for t in trajs]
    print(f"where the overhead goes (p50): verification {pct(verify, .5) * 1000:.0f} ms, "
          f"tools {pct(tools, .5) * 1000:.0f} ms, the rest (sandbox set-up, diff, loop) "
          f"{pct([o - v - tl for o, v, tl in zip(overhead, verify, tools)], .5) * 1000:.0f} ms")
    mean_model = sum(s["model_s"] for t in trajs for s in t["steps"]) / sum(len(t["steps"]) for t in trajs)
    print(f"mean model call as seen by the agent {mean_model * 1000:.0f} ms (server delay {args.delay * 1000:.0f} ms)")
    breakdown(trajs, stored, t0, wall, args.delay)
    n = args.rollouts
    print(f"CPU: driving process {cpu:.2f} s ({cpu / n * 1000:.1f} ms a rollout), sandboxes (reaped) {kids:.2f} s "
          f"({kids / n * 1000:.1f} ms a rollout); {os.cpu_count()} CPUs x the ideal wall = "
          f"{os.cpu_count() * n / ideal:.0f} CPU-s")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def breakdown(trajs: list[dict], stored: dict[int, float], t0: float, wall: float, delay: float) -> None:
    """Where the wall time beyond the ideal goes: per rollout, its start after the run's, what
    its model calls took beyond the server's delay, its tools, then after its last answer the
    export, the verification and the wait until its row was stored; for the rollout stored last
    (the one that ends the run) and the median. Times from the trajectory (`started_at`, each
    step's `model_s`/`tools_s`, `timing`) and the store's event."""
    rows = []
    for t in trajs:
        steps, timing = t["steps"], t["timing"]
        start = t["started_at"] - t0
        answered = start + steps[-1]["started_s"] + steps[-1]["model_s"]
        export, verify = timing["export_s"] or 0.0, timing["verify_s"] or 0.0
        done = stored[t["sample"]] - t0
        rows.append({"start": start, "model+": sum(s["model_s"] for s in steps) - delay * len(steps),
                     "tools": sum(s["tools_s"] for s in steps), "loop": answered - start
                     - sum(s["model_s"] + s["tools_s"] for s in steps),
                     "export": export, "verify": verify, "store": done - answered - export - verify,
                     "answered": answered, "done": done})
    last = max(rows, key=lambda r: r["done"])
    keys = ("start", "model+", "tools", "loop", "export", "verify", "store")
    print("beyond the ideal, in ms (the rollout stored last | median): " + "  ".join(
        f"{k} {last[k] * 1000:.0f}|{pct([r[k] for r in rows], .5) * 1000:.0f}" for k in keys)
        + f"  run end {(wall - last['done']) * 1000:.0f}")
    answered = sorted(r["answered"] for r in rows)
    print(f"last answers at {answered[0]:.2f}-{answered[-1]:.2f} s (ideal {len(trajs[0]['steps']) * delay:.2f} s); "
          f"rollouts started at {min(r['start'] for r in rows):.2f}-{max(r['start'] for r in rows):.2f} s; "
          f"the run ended {(wall - answered[-1]) * 1000:.0f} ms after the last answer")


if __name__ == "__main__":
    main()
