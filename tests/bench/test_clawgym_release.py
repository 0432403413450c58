"""ClawGym-Bench from the released repository's root, and the paper's metric beside ours, on a
stand-in checkout written for these tests (tests/bench/data/clawgym_release: two benchmark
tasks at RL/data/clawgym_eval, one code-checked and one hybrid, and a training task beside them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from clawgym.bench import Manifest, attempt_score, import_clawgym_bench, published, run_benchmark
from clawgym.errors import TaskSpecError
from clawgym.runs import AttemptRow
from clawgym.tasks import clawgym_split_dir, load_tasks
from tests.conftest import requires_bwrap

DATA = Path(__file__).parent / "data"
ROOT = DATA / "clawgym_release"
EVAL = ROOT / "RL" / "data" / "clawgym_eval"


def test_the_repository_root_finds_the_benchmark(tmp_path):
    assert clawgym_split_dir(ROOT) == EVAL and clawgym_split_dir(ROOT / "RL") == EVAL
    assert clawgym_split_dir(EVAL) == EVAL and clawgym_split_dir(EVAL / "task_0000") == EVAL / "task_0000"
    assert clawgym_split_dir(ROOT, "train") == ROOT / "RL" / "data" / "clawgym_train"
    from_root = import_clawgym_bench(ROOT, tmp_path / "a", version="v1")
    from_folder = import_clawgym_bench(EVAL, tmp_path / "b", version="v1")
    assert from_root.ids() == ["task_0000", "task_0001"]  # the training task beside it is not part of it
    assert from_root.digest() == from_folder.digest()
    with pytest.raises(TaskSpecError, match="RL/data/clawgym_eval"):
        clawgym_split_dir(DATA / "pinchbench")


def test_cli_imports_the_root(tmp_path):
    r = subprocess.run([sys.executable, "-m", "clawgym", "bench", "import", "clawgym", str(ROOT), "--out",
                        str(tmp_path / "cb"), "--version", "v1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "clawgym-bench@v1: 2 task(s)" in r.stderr
    r = subprocess.run([sys.executable, "-m", "clawgym", "bench", "import", "pinchbench", str(ROOT), "--out",
                        str(tmp_path / "x")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "not a PinchBench copy" in r.stderr


def test_paper_metric_needs_the_rubric_of_a_hybrid_task():
    task = next(t for t in load_tasks(EVAL) if t.id == "task_0001")
    row = AttemptRow(task_id="task_0001", sample=0, state="done")
    unjudged = {"verification": {"status": "ok", "checks": {"reply_exists": 1.0}, "code_score": 1.0,
                                 "rubric_status": "not_judged"}}
    assert attempt_score("clawgym", row, unjudged, task) == (None, "hybrid task not judged (run with a judge model)")
    crashed = {"verification": {"status": "verifier_error", "checks": {}}}
    assert attempt_score("clawgym", row, crashed, task)[0] == 0.0  # a failed reward.sh scores 0 there
    infra = AttemptRow(task_id="task_0001", sample=0, state="infra_error")
    assert attempt_score("pinchbench", infra, None, task)[0] == 0.0


@requires_bwrap
def test_paper_metric_beside_ours(tmp_path):
    import_clawgym_bench(ROOT, tmp_path / "cb", version="v1")
    man, tasks = Manifest.load(tmp_path / "cb"), load_tasks(tmp_path / "cb" / "tasks.jsonl")
    judge = f"scripted:{DATA / 'clawgym_judge.json'}"
    for name in ("agent", "wrong"):
        store = run_benchmark(man, tasks, tmp_path / name, model=f"scripted:{DATA / f'clawgym_{name}.json'}",
                              judge_model=judge)
        store.close()
    from clawgym.runs import RunStore

    with RunStore.read(tmp_path / "wrong") as st:
        ours = {r.task_id: r.score for r in st.rows()}
    assert ours == {"task_0000": 0.0, "task_0001": 0.0}  # the gated reward: a wrong total is worth nothing
    pub = published(man, [tmp_path / "agent", tmp_path / "wrong"], manifest_path=tmp_path / "cb")
    assert pub.source == "clawgym" and pub.tasks_total == 2
    good, wrong = pub.models
    per = {x.task_id: x.mean for x in good.per_task}
    assert per == {"task_0000": 1.0, "task_0001": pytest.approx(0.7 * 1.0 + 0.3 * 0.75)}
    assert good.score == pytest.approx(100 * (1.0 + 0.925) / 2)
    # reward.sh averages `reward` in with the checks: a file that exists earns a third
    assert {x.task_id: x.mean for x in wrong.per_task} == {"task_0000": pytest.approx(1 / 3), "task_0001": 0.0}
    assert wrong.score == pytest.approx(100 / 6)
