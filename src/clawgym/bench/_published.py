"""The number an imported benchmark's source publishes, computed from our runs, beside ours.

- **PinchBench** (its `scripts/benchmark.py` and leaderboard upload): a run's score per task is
  the grade (automated: the mean of the grader's criteria; llm_judge: the judge's total;
  hybrid: `(a * automated + l * judge) / (a + l)`); a task's score is the mean over its runs; the
  leaderboard's figure is `sum(task means) / sum(max 1 per task)`, in percent. A run whose
  grading failed scores 0 there, and so here (a verifier error, an infrastructure failure, a
  judge that gave no verdict counts 0 for its part). The judge's total is the criteria's mean
  weighted by the rubric's `Weight: X%`.
- **ClawGym-Bench** (the paper; its dataset card): the average score in percent over the tasks,
  code tasks scored by ClawGym's `reward.sh` (the mean of every value `check.py` prints, its
  `reward` key included: the legacy aggregation), hybrid tasks as `0.7 * code + 0.3 * rubric`
  (the task's own weights). A failed `reward.sh` scores 0 there, and so here.

Tasks a run skipped for what it lacked (internet, a judge...) are left out and listed with the
reason; so are attempts whose score the source's rule cannot be computed from (a judged task run
without a judge). The interval is a percentile bootstrap over tasks, like the leaderboard's.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from clawgym.bench._benchrun import run_tag
from clawgym.bench._calibrate import run_label
from clawgym.bench._manifest import Manifest
from clawgym.bench._stats import bootstrap_mean

Source = Literal["pinchbench", "clawgym"]
METRICS: dict[str, str] = {
    "pinchbench": "PinchBench score: mean over tasks of the mean grade over runs, in % (leaderboard: total/max)",
    "clawgym": "ClawGym-Bench average score, in % (reward.sh aggregation; hybrid 0.7 code + 0.3 rubric)",
}


class TaskScore(BaseModel):
    task_id: str
    grading_type: str | None = None
    runs: int
    mean: float = Field(description="Mean over runs, 0-1.")
    std: float = Field(description="Sample standard deviation over runs (0 with one run), as PinchBench reports.")
    ci: tuple[float, float] = Field(description="95% percentile bootstrap over runs (a point with one run).")


class PublishedResult(BaseModel):
    label: str
    score: float | None = Field(description="The source's figure, in percent; None when no task was scored.")
    ci: tuple[float, float] | None = None
    tasks_scored: int = 0
    per_task: list[TaskScore] = Field(default_factory=list)
    skipped: dict[str, str] = Field(default_factory=dict, description="Task -> why the run did not run it.")
    excluded: dict[str, str] = Field(default_factory=dict, description="Task -> why no attempt could be scored "
                                     "the source's way.")
    counted_zero: int = Field(default=0, description="Attempts counted 0 for a failure, as the source counts them.")


class Published(BaseModel):
    benchmark: str
    source: Source
    metric: str
    tasks_total: int
    models: list[PublishedResult]


def source_of(manifest: Manifest) -> Source | None:
    """The source whose published metric applies, from how the benchmark was imported."""
    fmt = manifest.source.get("format")
    return fmt if fmt in ("pinchbench", "clawgym") else None


def _weighted_rubric(verdicts: Any, rules: Sequence[Any]) -> float | None:
    """The rubric's criteria, weighted as the task says (PinchBench's `Weight: X%`)."""
    if not isinstance(verdicts, dict):
        return None
    weight = {r.name: getattr(r, "weight", None) for r in rules}
    got = [(v.get("score"), weight.get(v.get("name"))) for v in verdicts.get("rules") or [] if isinstance(v, dict)]
    if not got or any(s is None for s, _ in got):
        return None
    if all(isinstance(w, (int, float)) and w > 0 for _, w in got):
        return sum(s * w for s, w in got) / sum(w for _, w in got)
    return sum(s for s, _ in got) / len(got)


def attempt_score(source: Source, row: Any, traj: Mapping[str, Any] | None, task: Any = None) -> tuple[float | None, str]:
    """(score 0-1, note) of one attempt by the source's rule; None with the reason when the
    rule cannot score it."""
    if row.state == "infra_error":
        return 0.0, "infrastructure failure counts 0"
    v = (traj or {}).get("verification") if traj else None
    if not isinstance(v, dict):
        return 0.0, "no verification (the agent failed) counts 0"
    if v.get("status") != "ok":
        return 0.0, "grading failed counts 0"
    rubric_status = v.get("rubric_status") or "none"
    if task is None and source == "pinchbench":  # no task source to weigh with: the verifier's own total
        return (float(v.get("score") or 0.0), "") if rubric_status in ("none", "judged") else \
            (None, f"rubric {rubric_status.replace('_', ' ')} and the task's weights unknown")
    w_code, w_rubric = task.weights() if task is not None else (0.7, 0.3)  # ClawGym-Bench's card
    rules = task.rubric.rules if task is not None and task.rubric else []
    if source == "clawgym":
        checks = v.get("checks") or {}
        # reward.sh's mean, `reward` included (a bare number printed: that number)
        code = sum(checks.values()) / len(checks) if checks else float(v.get("code_score") or 0.0)
        if rubric_status == "none":
            return code, ""
        if rubric_status == "judged" and v.get("rubric_score") is not None:
            return w_code * code + w_rubric * float(v["rubric_score"]), ""
        return None, "hybrid task not judged (run with a judge model)"
    code = float(v.get("code_score") or 0.0)
    if rubric_status == "none":
        return code, ""
    if rubric_status == "judged":
        judged = _weighted_rubric(v.get("rubric"), rules)
        judged = float(v.get("rubric_score") or 0.0) if judged is None else judged
        return w_code * code + w_rubric * judged, ""
    if rubric_status == "judge_error":
        return w_code * code, "judge gave no verdict: its part counts 0"
    return None, "judged task run without a judge"


def _task_source(manifest_path: str | Path | None, manifest: Manifest) -> dict[str, Any]:
    if manifest_path is None or not manifest.source.get("tasks"):
        return {}
    from clawgym.tasks import load_tasks

    folder = Path(manifest_path)
    folder = folder if folder.is_dir() else folder.parent
    path = folder / manifest.source["tasks"]
    return {t.id: t for t in load_tasks(path)} if path.is_file() else {}


def published(manifest: Manifest, folders: Sequence[str | Path], *, manifest_path: str | Path | None = None,
              tasks: Sequence[Any] | None = None) -> Published | None:
    """The source's metric per run label (folders with one label pool, as on the leaderboard);
    None for a benchmark that was not imported from PinchBench or ClawGym-Bench. `tasks` (else
    the manifest's own tasks.jsonl) give the weights and rubric criteria."""
    from clawgym.runs import RunStore

    source = source_of(manifest)
    if source is None:
        return None
    by_id = {t.id: t for t in tasks} if tasks is not None else _task_source(manifest_path, manifest)
    ids = manifest.ids()
    labels: dict[str, dict[str, Any]] = {}
    for folder in folders:
        with RunStore.read(folder) as store:
            config = store.config()
            rows = store.rows()
            trajs = {t.get("id"): t for t in store.trajectories()}
        label = run_label(config.agent, config.model) if config else str(folder)
        acc = labels.setdefault(label, {"scores": defaultdict(list), "why": {}, "skipped": {}, "zero": 0,
                                        "ran": set()})
        for tid, reasons in ((run_tag(folder) or {}).get("skipped") or {}).items():
            acc["skipped"][tid] = "; ".join(f"needs {n}: {w}" for n, w in reasons.items())
        for r in rows:
            if r.task_id not in ids or r.state not in ("done", "agent_error", "infra_error"):
                continue
            acc["ran"].add(r.task_id)
            score, note = attempt_score(source, r, trajs.get(r.traj_id), by_id.get(r.task_id))
            if score is None:
                acc["why"][r.task_id] = note
                continue
            if note:
                acc["zero"] += "counts 0" in note
            acc["scores"][r.task_id].append(score)
    results = []
    for label, acc in labels.items():
        scores: dict[str, list[float]] = acc["scores"]
        per_task = []
        for tid in ids:
            v = scores.get(tid)
            if not v:
                continue
            t = by_id.get(tid)
            gt = (t.metadata.get("pinchbench") or {}).get("grading_type") if t is not None else None
            per_task.append(TaskScore(task_id=tid, grading_type=gt or (
                (t.metadata.get("clawgym") or {}).get("grading_type") if t is not None else None),
                runs=len(v), mean=statistics.mean(v), std=statistics.stdev(v) if len(v) > 1 else 0.0,
                ci=bootstrap_mean(v)))
        means = [p.mean for p in per_task]
        skipped = {t: w for t, w in acc["skipped"].items() if t not in scores}
        excluded = {t: w for t, w in acc["why"].items() if t not in scores}
        ci = bootstrap_mean(means) if means else None
        results.append(PublishedResult(
            label=label, score=100 * statistics.mean(means) if means else None,
            ci=(100 * ci[0], 100 * ci[1]) if ci else None, tasks_scored=len(per_task), per_task=per_task,
            skipped=skipped, excluded=excluded, counted_zero=acc["zero"]))
    results.sort(key=lambda m: -(m.score if m.score is not None else -1))
    return Published(benchmark=manifest.ref, source=source, metric=METRICS[source], tasks_total=len(ids),
                     models=results)
