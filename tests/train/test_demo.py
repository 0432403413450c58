"""The demo pipeline end to end at a tiny size: a tiny random model, one or two tasks per phase;
the before/after table must agree with the run folders, and the report must be written."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("trl")

from clawgym.runs import RunStore  # noqa: E402
from clawgym.train._demo import DemoConfig, run_demo, wilson  # noqa: E402
from tests.models.test_hf import build  # noqa: E402


def test_wilson_interval():
    lo, hi = wilson(0, 4)
    assert lo == 0.0 and 0.48 < hi < 0.50
    lo, hi = wilson(5, 10)
    assert abs((lo + hi) / 2 - 0.5) < 1e-9 and 0.23 < lo < 0.24
    assert wilson(0, 0) == (0.0, 1.0)


def test_demo_tiny(tmp_path):
    base = build(tmp_path / "base")
    events: list[str] = []
    cfg = DemoConfig(out=str(tmp_path / "demo"), model=f"hf:{base}", families=["ini_config_edit"],
                     train_tasks=2, heldout_tasks=1, heldout_family_tasks=1, sft_steps=2, sft_seconds=None,
                     max_length=100_000, max_steps=4, turn_tokens=200, concurrency=2, learning_rate=1e-3,
                     grpo_steps=1, grpo_generations=2)
    res = run_demo(cfg, lambda kind, data: events.append(kind))
    folder = tmp_path / "demo"
    assert res.folder == folder
    for sub in ("before", "teacher", "after", "grpo-after"):
        assert (folder / sub / "report.html").exists()
    assert (folder / "sft" / "config.json").exists() and (folder / "grpo" / "config.json").exists()
    page = (folder / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1
    assert "Tool use on held-out tasks" in page and "Side by side" in page
    assert list(res.phases) == ["synthesize tasks", "evaluate base", "teacher trajectories", "SFT", "evaluate SFT",
                                "GRPO", "evaluate GRPO", "report"]
    assert "phase" in events and "sft_log" in events and "run" in events and "sft_data" in events
    assert res.grpo is not None and res.grpo["steps"] == 1
    # the tool-use table counts what the stored trajectories hold
    for when in ("before", "after", "after GRPO"):
        u = res.tool_use[when]
        assert u["attempts"] == 2 and sum(u["stop_reasons"].values()) == 2

    def scores(sub):
        with RunStore.read(folder / sub) as st:
            return {r.task_id: r.score or 0.0 for r in st.rows()}

    before, after, teacher = scores("before"), scores("after"), scores("teacher")
    # the teacher demonstrates with targeted edits, within the student's 4 turns
    assert len(teacher) == 2 and all(s == 1.0 for s in teacher.values())
    assert set(before) == set(after) and len(before) == 2
    rows = {r["group"]: r for r in res.table}
    assert rows["held-out seeds"]["before"]["n"] == 1 and rows["held-out family"]["before"]["n"] == 1
    for when, sc in (("before", before), ("after", after)):
        allr = rows["all held-out"][when]
        assert allr["n"] == 2
        assert allr["mean_score"] == pytest.approx(sum(sc.values()) / 2)
        assert allr["passed"] == sum(1 for s in sc.values() if s >= 1.0)
        assert allr["pass_ci"] == list(wilson(allr["passed"], 2))
    fam_ids = [i for i in before if i.startswith("fam-batch-rename")]
    assert len(fam_ids) == 1
    assert rows["held-out family"]["after"]["mean_score"] == pytest.approx(after[fam_ids[0]])
    assert rows["all held-out"]["after GRPO"]["n"] == 2
    saved = json.loads((folder / "demo.json").read_text())
    assert saved["table"] == res.table and saved["sft"]["steps"] == 2 and saved["tool_use"] == res.tool_use
