"""Manifests pin task hashes; bench run refuses changed tasks; the leaderboard's numbers and
page (in headless Chromium); ClawGym-Bench import."""

from __future__ import annotations

import re

import pytest

from clawgym.bench import (BenchmarkError, Manifest, build_manifest, import_clawgym_bench, leaderboard,
                           run_benchmark, run_tag, task_hash, wilson, write_leaderboard)
from clawgym.tasks import load_tasks
from tests.bench.browser import CHROMIUM, dump_dom
from tests.bench.synth_runs import write_run
from tests.conftest import REPO_TASKS, requires_bwrap


def test_manifest_pins_hashes_and_refuses_changed_tasks(repo_tasks, tmp_path):
    man = build_manifest(repo_tasks[:4], "mini", "1.0")
    path = man.save(tmp_path)
    again = Manifest.load(path)
    assert again == man and again.ref == "mini@1.0" and again.digest() == man.digest()
    assert [t.id for t in again.check(repo_tasks)] == [t.id for t in repo_tasks[:4]]
    changed = repo_tasks[1].model_copy(update={"instruction": repo_tasks[1].instruction + " (edited)"})
    assert task_hash(changed) != task_hash(repo_tasks[1])
    with pytest.raises(BenchmarkError, match=f"{repo_tasks[1].id}: content changed"):
        again.check([repo_tasks[0], changed, *repo_tasks[2:]])
    with pytest.raises(BenchmarkError, match="missing"):
        again.check(repo_tasks[2:])


def test_import_clawgym_bench_is_a_named_benchmark(tmp_path):
    man = import_clawgym_bench(REPO_TASKS, tmp_path / "cb", version="2026.05")
    assert man.ref == "clawgym-bench@2026.05" and len(man.tasks) == 10
    # the tasks written beside the manifest are exactly the ones it pins
    tasks = load_tasks(tmp_path / "cb" / "tasks.jsonl")
    assert len(Manifest.load(tmp_path / "cb").check(tasks)) == 10
    assert len(Manifest.load(tmp_path / "cb").check(load_tasks(REPO_TASKS))) == 10


def _board(tmp_path):
    tasks = [("a", "files", "easy"), ("b", "files", "hard"), ("c", "data", "medium"), ("d", "data", "hard")]
    from clawgym.bench import ManifestTask
    man = Manifest(name="toy", version="1", tasks=[ManifestTask(id=t, sha256="0" * 64, category=c, band=b)
                                                   for t, c, b in tasks])
    strong = [(t, s, 1.0 if t != "d" or s == 0 else 0.5, "ok") for t, _, _ in tasks for s in range(3)]
    weak = [(t, s, 1.0 if t == "a" else 0.0, "ok") for t, _, _ in tasks for s in range(3)]
    weak[-1] = ("d", 2, 0.0, "verifier_error")
    f1 = write_run(tmp_path / "strong", strong, model="scripted:strong")
    f2 = write_run(tmp_path / "weak", weak + [("zzz", 0, 1.0, "ok")], model="scripted:<b>weak</b>")
    return man, leaderboard(man, [f2, f1], prices={"llm:scripted:strong": 2.0})


def test_leaderboard_numbers(tmp_path):
    man, board = _board(tmp_path)
    top, low = board.models
    assert top.label == "llm:scripted:strong" and low.label == "llm:scripted:<b>weak</b>"
    assert top.overall.mean_score == pytest.approx((1 + 1 + 1 + (1 + .5 + .5) / 3) / 4)
    assert top.overall.pass_rate == pytest.approx(10 / 12) and top.overall.pass_ci == wilson(10, 12)
    lo, hi = top.overall.mean_ci
    assert lo <= top.overall.mean_score <= hi
    assert low.verifier_errors == 1 and low.verifier_error_rate == pytest.approx(1 / 12)
    assert low.overall.attempts == 11  # the task outside the benchmark is ignored
    assert set(top.per_category) == {"files", "data"} and set(top.per_band) == {"easy", "medium", "hard"}
    assert top.per_band["easy"].mean_score == 1.0 and low.per_band["hard"].mean_score == 0.0
    assert top.tokens == 12 * 1000 and top.cost_usd == pytest.approx(0.024) and low.cost_usd is None
    assert top.coverage == 1.0


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_leaderboard_page_in_chromium(tmp_path):
    _, board = _board(tmp_path)
    page = write_leaderboard(board, tmp_path / "leaderboard.html")
    text = page.read_text()
    assert "<b>weak</b>" not in text and "&lt;b&gt;weak&lt;/b&gt;" in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    dom, console = dump_dom(page.as_uri(), tmp_path)
    assert console == []
    assert "Leaderboard: toy@1" in dom and "llm:scripted:strong" in dom and "Per difficulty band" in dom
    first_row = dom.split('<td class="rank">1</td>')[1].split("</tr>")[0]
    assert "strong" in first_row and "0.917" in first_row


@requires_bwrap
def test_bench_run_runs_the_pinned_tasks_and_tags_the_folder(repo_tasks, tmp_path):
    man = build_manifest(repo_tasks[:2], "mini", "1")
    store = run_benchmark(man, repo_tasks, tmp_path / "run", agent="noop")
    rows = store.rows()
    store.close()
    assert sorted(r.task_id for r in rows) == sorted(t.id for t in repo_tasks[:2])
    assert run_tag(tmp_path / "run") == {"benchmark": "mini@1", "digest": man.digest()}
    board = leaderboard(man, [tmp_path / "run"])
    assert board.models[0].label == "noop" and board.models[0].coverage == 1.0
    with pytest.raises(BenchmarkError):
        run_benchmark(man, [t.model_copy(update={"title": "x"}) for t in repo_tasks], tmp_path / "run2", agent="noop")
    assert not (tmp_path / "run2").exists()
