"""Progress events as a typed union: a run's listener can match on event types, and the older
`(kind, data)` listeners get exactly the dicts they always got."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from clawgym.events import listener
from clawgym.runs import (AttemptDone, AttemptRunning, RunConfig, RunEnded, RunStarted, execute, run_event)
from clawgym.train import PhaseRun, SFTLog, demo_event, demo_listener
from tests.conftest import requires_bwrap


def test_listener_takes_either_form():
    got: list = []
    typed = listener(got.append)
    ev = AttemptRunning(task_id="t", sample=2)
    typed(ev)
    legacy = listener(lambda kind, data: got.append((kind, data)))
    legacy(ev)
    listener(None)(ev)  # no listener: nothing happens
    assert got == [ev, ("running", {"task_id": "t", "sample": 2})]


def test_an_unknown_or_misshapen_event_is_refused():
    with pytest.raises(ValidationError, match="finished"):
        run_event("finished", {})
    with pytest.raises(ValidationError, match="sample"):
        run_event("running", {"task_id": "t"})
    with pytest.raises(ValidationError):
        demo_event("phase", {"name": "x"})


@requires_bwrap
def test_a_run_tells_typed_and_legacy_listeners_the_same_story(tmp_path, repo_tasks):
    tasks = repo_tasks[:2]
    config = RunConfig(tasks="x", task_ids=[t.id for t in tasks], agent="noop")
    typed: list = []
    execute(tasks, config, tmp_path / "a", progress=typed.append, concurrency=2).close()
    assert isinstance(typed[0], RunStarted) and typed[0].total == 2 and typed[0].pending == 2
    assert isinstance(typed[-1], RunEnded) and len(typed[-1].rows) == 2
    done = [e for e in typed if isinstance(e, AttemptDone)]
    assert sorted(e.traj.task_id for e in done) == sorted(t.id for t in tasks)
    assert len([e for e in typed if isinstance(e, AttemptRunning)]) == 2

    legacy: list = []
    execute(tasks, config, tmp_path / "b", progress=lambda kind, data: legacy.append((kind, data))).close()
    assert [k for k, _ in legacy if k in ("start", "end")] == ["start", "end"]
    start = legacy[0][1]
    assert set(start) == {"total", "pending", "rows"} and start["total"] == 2
    assert {k for k, _ in legacy} == {"start", "running", "done", "end"}
    assert all(d["traj"].task_id in {t.id for t in tasks} for k, d in legacy if k == "done")


def test_demo_events_round_trip_through_the_old_form():
    pairs = [("phase", {"name": "SFT", "index": 4, "total": 6}), ("phase_done", {"name": "SFT", "seconds": 1.5}),
             ("run", {"phase": "evaluate base", "kind": "running", "data": {"task_id": "t", "sample": 0}}),
             ("run_summary", {"phase": "evaluate base", "summary": {"mean_score": 0.5}}),
             ("sft_data", {"examples": 3, "dropped": {"too_long": 1}}),
             ("sft_log", {"loss": 0.25, "step": 2, "total": 8}), ("grpo_log", {"reward": 0.5, "step": 1, "total": 2})]
    got: list = []
    on = demo_listener(got.append)
    for kind, data in pairs:
        on(kind, data)
    assert isinstance(got[2], PhaseRun) and isinstance(got[2].event, AttemptRunning)
    assert isinstance(got[5], SFTLog) and got[5].model_extra == {"loss": 0.25, "step": 2}
    assert [(e.kind, e.data()) for e in got] == pairs  # nothing lost or renamed


def test_the_demo_command_shows_typed_progress(tmp_path):
    """`clawgym demo` at a tiny size, outside a terminal: its display is driven by the typed demo
    events (phases, each run's attempts, SFT data and steps, GRPO steps, summaries)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("trl")
    from tests.models.test_hf import build

    base = build(tmp_path / "base")
    repo = Path(__file__).resolve().parents[1]
    r = subprocess.run(
        [sys.executable, "-m", "clawgym", "demo", "--out", str(tmp_path / "demo"), "--model", f"hf:{base}",
         "--family", "ini_config_edit", "--train-tasks", "2", "--heldout-tasks", "1", "--heldout-family-tasks", "1",
         "--sft-steps", "2", "--sft-seconds", "0", "--max-length", "100000", "--max-steps", "4", "--turn-tokens", "200",
         "--grpo-steps", "1", "--grpo-generations", "2", "-j", "2", "--device", "cpu"],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": str(repo / "src"), "COLUMNS": "200"})
    assert r.returncode == 0, r.stderr[-3000:]
    err = r.stderr
    assert "[1/8] synthesize tasks" in err and "evaluate base: 2 attempt(s), mean" in err
    assert "SFT examples: " in err and "SFT step 2/2: loss" in err and "GRPO step 1/1: reward" in err
    assert err.count(": 0.") + err.count(": 1.") >= 4  # each evaluated attempt's score line
