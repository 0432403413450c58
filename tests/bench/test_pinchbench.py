"""PinchBench import, runs and its published metric, on a small PinchBench-format copy written
for these tests (tests/bench/data/pinchbench: one task per grading type, a binary asset, a
grader that reads the transcript, a task that needs the internet)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clawgym.bench import Manifest, import_pinchbench, load_pinchbench, published, run_benchmark
from clawgym.errors import TaskSpecError
from clawgym.tasks import TaskFile, load_tasks
from clawgym.verify import PAYLOAD_NAME, openclaw_session, transcript_summary, verify_code
from tests.conftest import requires_bwrap

DATA = Path(__file__).parent / "data"
PB = DATA / "pinchbench"


def _cg(*args, ok=True):
    r = subprocess.run([sys.executable, "-m", "clawgym", *map(str, args)], capture_output=True, text=True, timeout=600)
    if ok:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_every_task_becomes_a_native_task():
    tasks = {t.id: t for t in load_pinchbench(PB)}
    assert sorted(tasks) == ["task_01_order_total", "task_02_read_before_answer", "task_03_thank_you_note",
                             "task_04_meeting_summary", "task_05_exchange_rate"]  # the template is not a task
    total = tasks["task_01_order_total"]
    assert total.instruction.startswith("Add up the amounts in orders.csv") and total.category == "data"
    assert total.limits.timeout_s == 60 and total.metadata["pinchbench"]["grading_type"] == "automated"
    files = {f.path: f.data for f in total.workspace}
    assert files["images/badge.png"] == (PB / "assets" / "badge.png").read_bytes()  # binary, byte for byte
    assert files["orders.csv"] == (PB / "assets" / "orders.csv").read_bytes()
    # the last block of the front matter loses its final newline in PinchBench's own split too
    assert files["README.txt"] == b"Orders for the week. Amounts are in EUR."
    assert total.weights() == (1.0, 0.0) and total.rubric is None and total.metadata["requires"] == []
    # the grader is the source's, verbatim, under the generated harness
    check = total.check_file().text
    assert 'return {\n        "total_written"' in check and "_clawgym_main()" in check
    judged = tasks["task_03_thank_you_note"]
    assert judged.weights() == (0.0, 1.0) and judged.metadata["requires"] == ["judge"]
    rules = judged.rubric.rules
    assert [r.name for r in rules] == ["Criterion 1: Warmth and Specificity", "Criterion 2: Brevity"]
    assert [r.weight for r in rules] == [0.6, 0.4] and all(r.file_path == PAYLOAD_NAME for r in rules)
    assert rules[0].scores["0.5"] == "Polite but generic." and judged.rubric.score_options == [0.0, 0.5, 1.0]
    assert "A warm, specific note" in judged.rubric.eval_input  # the judge sees the expected behavior
    hybrid = tasks["task_04_meeting_summary"]
    assert hybrid.weights() == pytest.approx((0.3, 0.7))  # PinchBench's grading_weights
    assert hybrid.metadata["pinchbench"]["grading_weights"] == {"automated": 0.3, "llm_judge": 0.7}
    web = tasks["task_05_exchange_rate"]
    assert web.metadata["requires"] == ["internet"]
    assert "web search" in web.metadata["requires_why"]["internet"]


def test_import_writes_a_pinned_benchmark_that_round_trips(tmp_path):
    man = import_pinchbench(PB, tmp_path / "pb", version="t1")
    assert man.ref == "pinchbench@t1" and len(man.tasks) == 5 and man.source["format"] == "pinchbench"
    again = load_tasks(tmp_path / "pb" / "tasks.jsonl")
    assert len(Manifest.load(tmp_path / "pb").check(again)) == 5
    badge = next(f for t in again for f in t.workspace if f.path == "images/badge.png")
    assert hashlib.sha256(badge.data).digest() == hashlib.sha256((PB / "assets" / "badge.png").read_bytes()).digest()
    # the tasks/ folder itself is accepted too
    assert len(load_pinchbench(PB / "tasks")) == 5


def test_bad_sources_are_refused_with_file_field_and_reason(tmp_path):
    bad = tmp_path / "pb"
    shutil.copytree(PB, bad)
    (bad / "assets" / "badge.png").unlink()
    text = (bad / "tasks" / "task_02_read_before_answer.md").read_text()
    (bad / "tasks" / "task_02_read_before_answer.md").write_text(text.replace("## Prompt", "## Brief"))
    with pytest.raises(TaskSpecError) as exc:
        load_pinchbench(bad)
    msg = str(exc.value)
    assert "task_01_order_total.md" in msg and "workspace_files[1].source" in msg and "badge.png not found" in msg
    assert "task_02_read_before_answer.md" in msg and "## Prompt" in msg
    with pytest.raises(TaskSpecError, match="no tasks/task_"):
        load_pinchbench(tmp_path / "nothing-here")


@requires_bwrap
def test_the_grader_reads_the_rollouts_transcript_as_openclaw_logs_it():
    task = next(t for t in load_pinchbench(PB) if t.id == "task_02_read_before_answer")
    answer = [{"role": "assistant", "content": None, "tool_calls": [{"id": "c2", "type": "function", "function": {
        "name": "write", "arguments": json.dumps({"path": "answer.txt", "content": "14 March"})}}]},
        {"role": "tool", "tool_call_id": "c2", "content": "wrote 8 bytes"}]
    read = [{"role": "assistant", "content": "Checking the notes.", "tool_calls": [{"id": "c1", "type": "function",
             "function": {"name": "read", "arguments": '{"path": "notes.md"}'}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "# Launch notes\nThe launch is on 14 March."}]
    events = openclaw_session([{"role": "system", "content": "sys"}, {"role": "user", "content": "When?"}, *read])
    assert [e["message"]["role"] for e in events] == ["user", "assistant", "toolResult"]
    assert events[1]["message"]["content"][1] == {"type": "toolCall", "id": "c1", "name": "read",
                                                  "arguments": {"path": "notes.md"}}
    assert events[2]["message"]["toolName"] == "read"
    assert openclaw_session(events) == events  # a log already in OpenClaw's shape passes through
    summary = transcript_summary(events).splitlines()
    assert summary[:3] == ["User: When?", "Assistant: Checking the notes.", 'Tool: read({"path": "notes.md"})']
    assert summary[3].startswith("Result: # Launch notes")
    # the workspace answers in both cases; only the transcript tells them apart
    base = task.model_copy(update={"workspace": [*task.workspace, TaskFile(path="answer.txt", data=b"14 March")]})
    did_read = verify_code(base, transcript=[{"role": "user", "content": "When?"}, *read, *answer])
    skipped = verify_code(base, transcript=[{"role": "user", "content": "When?"}, *answer])
    assert did_read.status == skipped.status == "ok"
    assert did_read.checks["read_notes"] == 1.0 and did_read.score == 1.0
    assert skipped.checks["read_notes"] == 0.0 and skipped.score == 0.5


@requires_bwrap
def test_offline_run_skips_what_it_lacks_and_the_report_says_why(tmp_path):
    _cg("bench", "import", "pinchbench", PB, "--out", tmp_path / "pb", "--version", "t1")
    r = _cg("bench", "run", tmp_path / "pb", "--agent", "llm", "--model", f"scripted:{DATA / 'pinch_agent.json'}",
            "--out", tmp_path / "run")
    assert "3 task(s) skipped" in r.stderr and "2 attempt(s)" in r.stderr
    assert "task_05_exchange_rate: needs internet" in r.stderr
    assert "task_03_thank_you_note: needs judge" in r.stderr
    data = json.loads(_cg("bench", "report", tmp_path / "pb", tmp_path / "run", "--json").stdout)
    pub = data["published"]
    assert pub["source"] == "pinchbench" and pub["tasks_total"] == 5
    m = pub["models"][0]
    assert m["tasks_scored"] == 2 and m["score"] == pytest.approx(100.0)
    assert set(m["skipped"]) == {"task_03_thank_you_note", "task_04_meeting_summary", "task_05_exchange_rate"}
    assert "needs internet" in m["skipped"]["task_05_exchange_rate"]
    text = _cg("bench", "report", tmp_path / "pb", tmp_path / "run", "--out", tmp_path / "lb.html").stdout
    assert "not scored" in text and "task_05_exchange_rate" in text and "2/5" in text


@requires_bwrap
def test_judged_run_gives_pinchbench_weighting_next_to_ours(tmp_path):
    import_pinchbench(PB, tmp_path / "pb", version="t1")
    man, tasks = Manifest.load(tmp_path / "pb"), load_tasks(tmp_path / "pb" / "tasks.jsonl")
    store = run_benchmark(man, tasks, tmp_path / "run", model=f"scripted:{DATA / 'pinch_agent.json'}",
                          judge_model=f"scripted:{DATA / 'pinch_judge.json'}", concurrency=2)
    rows = {r.task_id: r for r in store.rows()}
    store.close()
    assert sorted(rows) == ["task_01_order_total", "task_02_read_before_answer", "task_03_thank_you_note",
                            "task_04_meeting_summary"]  # the internet task stays skipped
    # ours: the rubric's rules averaged (0.5, 1.0); the hybrid 0.3 * code + 0.7 * rubric
    assert rows["task_03_thank_you_note"].score == pytest.approx(0.75)
    assert rows["task_04_meeting_summary"].score == pytest.approx(0.3 * 1.0 + 0.7 * 0.5)
    pub = published(man, [tmp_path / "run"], manifest_path=tmp_path / "pb")
    per = {x.task_id: x for x in pub.models[0].per_task}
    # PinchBench's judge total weighs the criteria 60 / 40
    assert per["task_03_thank_you_note"].mean == pytest.approx(0.6 * 0.5 + 0.4 * 1.0)
    assert per["task_04_meeting_summary"].mean == pytest.approx(0.65)
    assert per["task_01_order_total"].mean == per["task_02_read_before_answer"].mean == 1.0
    assert pub.models[0].score == pytest.approx(100 * (1 + 1 + 0.7 + 0.65) / 4)
    assert list(pub.models[0].skipped) == ["task_05_exchange_rate"]
    assert pub.models[0].ci[0] <= pub.models[0].score <= pub.models[0].ci[1]
