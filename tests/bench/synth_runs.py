"""Run folders with planted results, written through the real RunStore writer (no agent runs):
what calibration, selection, reports and the viewer read in tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from clawgym.agent import FileChange, StepRecord, Timing, Trajectory
from clawgym.models import Usage
from clawgym.runs import RunConfig, RunStore
from clawgym.verify import VerifyResult

# (task_id, sample, score, status) where status is ok | verifier_error | agent_error | infra_error
Result = tuple[str, int, float, str]


def trajectory(task_id: str, sample: int, score: float, status: str = "ok", *, rich: bool = False) -> Trajectory:
    verr = status == "verifier_error"
    v = VerifyResult(task_id=task_id, status="verifier_error" if verr else "ok", score=0.0 if verr else score,
                     code_score=None if verr else score, checks={} if verr else {"output_exists": 1.0, "values": score},
                     error="check.py crashed" if verr else None)
    t = Trajectory(task_id=task_id, sample=sample, status="infra_error" if status == "infra_error"
                   else "agent_error" if status == "agent_error" else "done",
                   stop_reason="final", agent_s=1.5, verify_s=0.1, usage=Usage(prompt_tokens=900, completion_tokens=100),
                   verification=None if status in ("infra_error", "agent_error") else v,
                   error="boom" if status in ("infra_error", "agent_error") else None)
    if rich:
        call = {"id": "c1", "type": "function", "function": {"name": "write",
                                                             "arguments": '{"path": "out.txt", "content": "hi"}'}}
        t.messages = [{"role": "system", "content": "You are a helpful agent."},
                      {"role": "user", "content": f"Solve {task_id}: write out.txt"},
                      {"role": "assistant", "content": "Writing the file.", "tool_calls": [call]},
                      {"role": "tool", "tool_call_id": "c1", "content": "wrote 2 bytes"},
                      {"role": "assistant", "content": "Done."}]
        t.steps = [StepRecord(index=0, started_s=0.0, tool_calls=["write"]), StepRecord(index=1, started_s=0.5)]
        t.diff = [FileChange(path="out.txt", change="added", size=2, content="hi")]
        t.timing = Timing(setup_s=0.04, agent_s=1.5, export_s=0.02, verify_s=0.1)
        if t.verification is not None:
            t.verification.rubric = {"rules": [{"name": "clarity", "score": 0.75, "votes": [0.75],
                                                "reasons": ["mostly clear"]}]}
            t.verification.rubric_status = "judged"
            t.verification.rubric_score = 0.75
    return t


def write_run(folder: Path, results: Iterable[Result], *, agent: str = "llm", model: str | None = None,
              categories: dict[str, str | None] | None = None, rich: bool = False) -> Path:
    results = list(results)
    task_ids = list(dict.fromkeys(r[0] for r in results))
    samples = max(r[1] for r in results) + 1
    config = RunConfig(tasks="synthetic", task_ids=task_ids, agent=agent, model=model, samples=samples)
    with RunStore(folder) as store:
        store.init(config, categories or {})
        for tid, sample, score, status in results:
            store.record(trajectory(tid, sample, score, status, rich=rich))
    return folder


def rasch_panel(n_tasks: int, thetas: list[float], samples: int, seed: int = 0):
    """True difficulties and sampled pass/fail results of a Rasch panel: ({label: results}, b)."""
    rng = np.random.default_rng(seed)
    b = rng.uniform(-3, 3, n_tasks)
    out = {}
    for m, th in enumerate(thetas):
        p = 1 / (1 + np.exp(-(th - b)))
        res = []
        for t in range(n_tasks):
            for s in range(samples):
                res.append((f"t{t:04d}", s, 1.0 if rng.random() < p[t] else 0.0, "ok"))
        out[f"model{m}"] = res
    return out, b
