"""`clawgym bench ...` end to end on real runs: calibrate (launching the missing panel
members), select, build, run, report, view, import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_TASKS, requires_bwrap

SOLVE_0185 = Path(__file__).parents[1] / "agent" / "data" / "task_0185_script.json"
pytestmark = requires_bwrap


def _cg(*args, ok=True):
    r = subprocess.run([sys.executable, "-m", "clawgym", *map(str, args)], capture_output=True, text=True, timeout=600)
    if ok:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_bench_pipeline_end_to_end(tmp_path):
    # one existing run folder (a scripted model that solves task_0185) is re-used; noop is launched
    existing = tmp_path / "scripted"
    _cg("run", REPO_TASKS, "--agent", "llm", "--model", f"scripted:{SOLVE_0185}", "--out", existing,
        "--samples", "2")
    cal_file = tmp_path / "calibration.json"
    r = _cg("bench", "calibrate", REPO_TASKS, "--runs", existing, "--agents", f"llm=scripted:{SOLVE_0185}",
            "--agents", "noop", "--samples", "2", "--runs-root", tmp_path / "panel", "--out", cal_file)
    assert "calibration of 10 task(s) from 2 run folder(s)" in r.stderr
    assert [p.name for p in (tmp_path / "panel").iterdir()] == ["noop"]  # the scripted member was re-used
    cal = json.loads(cal_file.read_text())
    t185 = next(t for t in cal["tasks"] if t["task_id"] == "task_0185")
    assert t185["pass_rate"] == 1.0 and t185["noop_score"] == 0.0 and t185["difficulty"] is not None
    assert cal["baselines"] == ["noop"]
    sel_file = tmp_path / "selection.json"
    r = _cg("bench", "select", cal_file, "--pool", REPO_TASKS, "--out", sel_file)
    sel = json.loads(sel_file.read_text())
    stages = {d["task_id"]: d["stage"] for d in sel["decisions"]}
    assert stages["task_0185"] == "trivial"  # every panel model passed it every time
    assert all(s in ("unsolvable", "trivial", "broken") for s in stages.values())
    # build a benchmark from the whole pool (the selection kept nothing this tiny panel can rank)
    man_file = tmp_path / "bench" / "benchmark.json"
    _cg("bench", "build", REPO_TASKS, "--name", "mini", "--version", "0.1", "--calibration", cal_file,
        "--out", man_file)
    run = tmp_path / "benchrun"
    _cg("bench", "run", man_file, "--tasks", REPO_TASKS, "--agent", "noop", "--out", run)
    board = tmp_path / "leaderboard.html"
    r = _cg("bench", "report", man_file, run, existing, "--out", board)
    assert "mini@0.1" in r.stdout and board.is_file()
    data = json.loads(_cg("bench", "report", man_file, run, existing, "--json").stdout)
    assert [m["label"] for m in data["models"]][0].startswith("llm:scripted")
    _cg("bench", "view", run, existing, "--out", tmp_path / "viewer.html")
    assert (tmp_path / "viewer.html").stat().st_size > 1000
    imp = tmp_path / "imported"
    r = _cg("bench", "import", "clawgym", REPO_TASKS, "--out", imp, "--version", "v1")
    assert "clawgym-bench@v1: 10 task(s)" in r.stderr
    r = _cg("bench", "run", imp, "--agent", "noop", "--out", tmp_path / "imprun")
    assert "clawgym-bench@v1: 10 attempt(s)" in r.stderr


def test_bench_errors_are_one_line(tmp_path):
    r = _cg("bench", "select", tmp_path / "nope.json", ok=False)
    assert r.returncode == 1 and "does not exist" in r.stderr
    r = _cg("bench", "calibrate", REPO_TASKS, "--out", tmp_path / "c.json", ok=False)
    assert r.returncode == 1 and "no run folders given" in r.stderr
    r = _cg("bench", "run", tmp_path, "--agent", "noop", ok=False)
    assert r.returncode == 1 and "no benchmark manifest" in r.stderr
