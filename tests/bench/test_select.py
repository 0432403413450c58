"""Selection drops the planted broken, unsolvable, trivial and duplicate tasks, and nothing else."""

from __future__ import annotations

import random

import pytest

from clawgym.bench import SelectPolicy, calibrate, load_panel, near_duplicates, select
from clawgym.tasks import Task, TaskFile
from tests.bench.synth_runs import write_run

WORDS = ("report invoice budget schedule meeting travel recipe garden backup photo album contract "
         "playlist inventory expense ticket course lesson email draft summary table chart archive log "
         "server config cron backup notes journal grocery").split()


def _task(tid: str, rng: random.Random, category: str, instruction: str | None = None) -> Task:
    text = instruction or " ".join(rng.choice(WORDS) for _ in range(40))
    return Task(id=tid, instruction=text, category=category,
                workspace=[TaskFile(path="in.txt", data=f"{tid} {rng.random()}".encode())])


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("select")
    rng = random.Random(7)
    cats = ["files", "data", "comms"]
    normal = [f"ok{i:02d}" for i in range(18)]
    tasks = [_task(t, rng, cats[i % 3]) for i, t in enumerate(normal)]
    planted = {"verr": "broken", "qafail": "broken", "flaky": "broken", "nobody": "unsolvable",
               "noopwin": "trivial", "allpass": "trivial", "dup": "duplicate"}
    for t in ["verr", "qafail", "flaky", "nobody", "noopwin", "allpass"]:
        tasks.append(_task(t, rng, "data"))
    # dup: the instruction of ok03 with one word changed, the same workspace file
    src = tasks[3]
    words = src.instruction.split()
    words[10] = "zebra"
    tasks.append(Task(id="dup", instruction=" ".join(words), category=src.category, workspace=src.workspace))
    models = ["m0", "m1", "m2"]
    runs = []
    for mi, m in enumerate(models):
        res = []
        for idx, t in enumerate(tasks):
            for s in range(6):
                if t.id == "verr" and s == 0 and m == "m0":
                    res.append((t.id, s, 0.0, "verifier_error"))
                elif t.id == "nobody":
                    res.append((t.id, s, 0.2, "ok"))
                elif t.id == "allpass":
                    res.append((t.id, s, 1.0, "ok"))
                else:
                    # each normal task passes 1 to 5 of 6 samples: mixed, and of varied difficulty
                    res.append((t.id, s, 1.0 if s < 1 + (idx + mi) % 5 else 0.0, "ok"))
        runs.append(write_run(tmp / m, res, model=f"scripted:{m}", categories={t.id: t.category for t in tasks}))
    noop = [(t.id, 0, 1.0 if t.id == "noopwin" else 0.0, "ok") for t in tasks]
    oracle = [(t.id, s, (0.5 if s else 1.0) if t.id == "flaky" else 0.0 if t.id == "nobody" else 1.0, "ok")
              for t in tasks for s in range(2)]
    runs.append(write_run(tmp / "noop", noop, agent="noop"))
    runs.append(write_run(tmp / "oracle", oracle, agent="oracle"))
    cal = calibrate(load_panel(runs, pool=[t.id for t in tasks]))
    qa = {"qafail": {"task_id": "qafail", "passed": False,
                     "checks": {"noop": {"status": "pass"}, "placeholders": {"status": "fail"}}},
          "ok01": {"task_id": "ok01", "passed": True, "checks": {"determinism": {"status": "pass"}}}}
    return tasks, cal, qa, planted


def test_planted_tasks_are_dropped_and_nothing_else(pool):
    tasks, cal, qa, planted = pool
    sel = select(cal, tasks, qa=qa)
    dropped = {d.task_id: d.stage for d in sel.decisions if not d.keep}
    assert dropped == planted
    by = {d.task_id: d for d in sel.decisions}
    assert "verifier error" in by["verr"].reason
    assert "placeholders" in by["qafail"].reason
    assert by["flaky"].reason.startswith("nondeterministic")
    assert "reference solution fails" in by["nobody"].reason
    assert "do-nothing" in by["noopwin"].reason and "every panel model" in by["allpass"].reason
    assert "near-duplicate of ok03" in by["dup"].reason
    assert all(d.reason for d in sel.decisions) and len(sel.decisions) == len(tasks)
    assert len(sel.kept) == 18 and sel.counts()["kept"] == 18


def test_stratified_target_keeps_every_category_and_band(pool):
    tasks, cal, qa, _ = pool
    sel = select(cal, tasks, qa=qa, policy=SelectPolicy(target=9))
    kept = [d for d in sel.decisions if d.keep]
    assert len(kept) == 9
    assert {d.category for d in kept} == {"files", "data", "comms"}
    left = [d for d in sel.decisions if d.stage == "stratify"]
    assert len(left) == 9 and all("stratum" in d.reason for d in left)
    assert sel == select(cal, tasks, qa=qa, policy=SelectPolicy(target=9))  # deterministic


def test_near_duplicates_finds_only_close_pairs():
    rng = random.Random(1)
    a = _task("a", rng, "x")
    b = Task(id="b", instruction=a.instruction + " please", workspace=a.workspace)
    c = _task("c", rng, "x")
    pairs = near_duplicates([a, b, c])
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
