"""Selection: from a calibrated pool to the instances worth benchmarking, every decision kept
with its reason.

In order, a task is dropped when it is

1. broken: its verifier errored on a panel attempt (more than `max_verifier_error_rate`), it
   failed verifier QA (`clawgym tasks qa`: noop, reference, placeholders, mutations,
   determinism, runtime), or it is nondeterministic (QA's determinism probe, or the noop /
   oracle baseline scoring differently across samples); a task with no scored attempt at all
   is dropped as uncalibrated;
2. unsolvable: no panel model ever passes it and the reference solution does not either (the
   oracle baseline, else QA's reference probe; no reference at all counts as failing);
3. trivial: the do-nothing agent passes it, or every panel model passes every attempt;
4. a near-duplicate of a task kept before it (Jaccard similarity of instruction word 3-grams
   plus workspace file contents >= `dup_threshold`, candidates found by MinHash LSH, then
   checked exactly);
5. left out by stratification: the survivors are binned by category x difficulty band (easy /
   medium / hard: terciles of the survivors' Rasch difficulty), each bin gets a quota
   proportional to its size (largest remainders; every bin at least one while the target
   allows), and within a bin the picks are spread evenly over its difficulty range.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from clawgym.bench._calibrate import Calibration, TaskCalibration
from clawgym.dedup import near_pairs, shingles

Stage = Literal["broken", "unsolvable", "trivial", "duplicate", "stratify", "kept"]
BANDS = ("easy", "medium", "hard")


class SelectPolicy(BaseModel):
    target: int | None = Field(default=None, ge=1, description="Benchmark size (None: keep every survivor).")
    max_verifier_error_rate: float = Field(default=0.0, ge=0, le=1)
    dup_threshold: float = Field(default=0.8, gt=0, le=1)
    require_qa: bool = Field(default=False, description="Drop tasks with no QA result as broken.")


class Decision(BaseModel):
    task_id: str
    keep: bool
    stage: Stage
    reason: str
    category: str | None = None
    difficulty: float | None = None
    band: str | None = None


class Selection(BaseModel):
    """What `bench select` writes (selection.json)."""

    schema_version: Literal[1] = 1
    policy: SelectPolicy
    decisions: list[Decision]

    @property
    def kept(self) -> list[str]:
        return [d.task_id for d in self.decisions if d.keep]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for d in self.decisions:
            out[d.stage] += 1
        return dict(out)


def _qa_view(qa: Any) -> tuple[bool, dict[str, str]]:
    """(passed, probe -> status) from a QAResult or its JSON line."""
    if isinstance(qa, Mapping):
        return bool(qa.get("passed")), {k: (v.get("status") if isinstance(v, Mapping) else str(v))
                                        for k, v in (qa.get("checks") or {}).items()}
    return bool(qa.passed), {k: v.status for k, v in qa.checks.items()}


def _broken(t: TaskCalibration, qa: Any, policy: SelectPolicy) -> str | None:
    if t.verifier_errors and t.verifier_error_rate > policy.max_verifier_error_rate:
        return f"broken: verifier error on {t.verifier_errors} of {t.attempts} attempts ({t.verifier_error_rate:.0%})"
    if qa is not None:
        passed, probes = _qa_view(qa)
        if probes.get("determinism") == "fail":
            return "nondeterministic: QA scored the same workspace twice and got different results"
        if not passed:
            failed = sorted(k for k, v in probes.items() if v == "fail")
            return f"broken: verifier QA failed ({', '.join(failed) or 'see QA'})"
    elif policy.require_qa:
        return "broken: no verifier QA result (required)"
    if t.baseline_nondeterministic:
        return "nondeterministic: the noop or oracle baseline scored differently across samples"
    if not t.per_model:
        return "uncalibrated: no scored attempt by any panel model"
    return None


def _reference_passes(t: TaskCalibration, qa: Any, threshold: float) -> bool | None:
    if t.oracle_score is not None:
        return t.oracle_score >= threshold
    if qa is not None:
        status = _qa_view(qa)[1].get("reference")
        if status in ("pass", "fail"):
            return status == "pass"
    return None


def _tokens(task: Any) -> set[bytes]:
    """A task's instruction word 3-shingles plus one token per workspace file's content."""
    tokens = shingles(task.instruction)
    for f in task.workspace:
        tokens.add(b"file:" + hashlib.sha1(f.data).hexdigest()[:16].encode())
    return tokens


def near_duplicates(tasks: Sequence[Any], threshold: float = 0.8) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) with i < j whose instruction shingles plus workspace file hashes
    have an exact Jaccard similarity >= threshold (candidates from the shared MinHash LSH,
    `clawgym.dedup`, the one synthesis uses at its own threshold)."""
    if len(tasks) < 2:
        return []
    return near_pairs([_tokens(t) for t in tasks], threshold)


def _bands(values: list[float]) -> list[str]:
    if not values:
        return []
    lo, hi = np.quantile(values, [1 / 3, 2 / 3])
    return [BANDS[0] if v <= lo else BANDS[1] if v <= hi else BANDS[2] for v in values]


def _quotas(sizes: dict[Any, int], target: int) -> dict[Any, int]:
    total = sum(sizes.values())
    if target >= total:
        return dict(sizes)
    keys = sorted(sizes)
    quota = {k: 0 for k in keys}
    left = target
    if target >= len(keys):  # every bin at least one
        for k in keys:
            quota[k], left = 1, left - 1
    share = {k: (sizes[k] - quota[k]) * left / max(1, total - sum(quota.values())) for k in keys}
    for k in keys:
        add = min(int(share[k]), sizes[k] - quota[k])
        quota[k] += add
        left -= add
    for k in sorted(keys, key=lambda k: (-(share[k] - int(share[k])), k)):
        if left <= 0:
            break
        if quota[k] < sizes[k]:
            quota[k] += 1
            left -= 1
    while left > 0:  # rounding left room in bins that still have tasks
        k = max((k for k in keys if quota[k] < sizes[k]), key=lambda k: sizes[k] - quota[k])
        quota[k] += 1
        left -= 1
    return quota


def select(calibration: Calibration, tasks: Iterable[Any] | None = None, *, qa: Mapping[str, Any] | None = None,
           policy: SelectPolicy | None = None) -> Selection:
    """Decide, for every calibrated task, keep or drop, and why (see the module's docstring).
    `tasks` (the pool's Task objects) are needed for the near-duplicate check; `qa`: task id
    -> QAResult (or its JSON line)."""
    policy = policy or SelectPolicy()
    qa = qa or {}
    by_task = {t.id: t for t in tasks or []}
    thr = calibration.threshold
    decisions: dict[str, Decision] = {}
    survivors: list[TaskCalibration] = []
    for t in calibration.tasks:
        base = dict(task_id=t.task_id, category=t.category, difficulty=t.difficulty)
        q = qa.get(t.task_id)
        why = _broken(t, q, policy)
        if why:
            decisions[t.task_id] = Decision(**base, keep=False, stage="broken", reason=why)
            continue
        ref = _reference_passes(t, q, thr)
        if not t.pass_rate and not ref:
            how = "no reference solution" if ref is None else "the reference solution fails too"
            decisions[t.task_id] = Decision(**base, keep=False, stage="unsolvable",
                                            reason=f"unsolvable: no panel model passed any of "
                                                   f"{sum(m.attempts for m in t.per_model.values())} attempts, "
                                                   f"and {how}")
            continue
        if t.noop_score is not None and t.noop_score >= thr:
            decisions[t.task_id] = Decision(**base, keep=False, stage="trivial",
                                            reason=f"trivial: the do-nothing agent scores {t.noop_score:g}")
            continue
        if t.pass_rate == 1.0:
            decisions[t.task_id] = Decision(**base, keep=False, stage="trivial",
                                            reason=f"trivial: every panel model ({len(t.per_model)}) passed every "
                                                   "attempt")
            continue
        survivors.append(t)
    # near-duplicates among survivors (the earlier in pool order is kept)
    with_task = [t for t in survivors if t.task_id in by_task]
    dup_of: dict[str, tuple[str, float]] = {}
    for i, j, jac in near_duplicates([by_task[t.task_id] for t in with_task], policy.dup_threshold):
        a, b = with_task[i].task_id, with_task[j].task_id
        if a not in dup_of and b not in dup_of:
            dup_of[b] = (a, jac)
    for t in survivors:
        if t.task_id in dup_of:
            other, jac = dup_of[t.task_id]
            decisions[t.task_id] = Decision(task_id=t.task_id, category=t.category, difficulty=t.difficulty,
                                            keep=False, stage="duplicate",
                                            reason=f"near-duplicate of {other} (Jaccard {jac:.2f})")
    survivors = [t for t in survivors if t.task_id not in dup_of]
    # stratify
    bands = _bands([t.difficulty if t.difficulty is not None else 0.0 for t in survivors])
    strata: dict[tuple[str, str], list[TaskCalibration]] = defaultdict(list)
    band_of = {}
    for t, band in zip(survivors, bands):
        strata[(t.category or "uncategorised", band)].append(t)
        band_of[t.task_id] = band
    quotas = _quotas({k: len(v) for k, v in strata.items()}, policy.target or len(survivors))
    for key, members in strata.items():
        members = sorted(members, key=lambda t: (t.difficulty or 0.0, t.task_id))
        q = quotas[key]
        picks = set(np.unique(np.round(np.linspace(0, len(members) - 1, q)).astype(int)).tolist()) if q else set()
        i = 0
        while len(picks) < q:  # rounding collisions: fill from the start
            picks.add(i)
            i += 1
        for idx, t in enumerate(members):
            keep = idx in picks
            label = f"{key[0]} / {key[1]}"
            decisions[t.task_id] = Decision(
                task_id=t.task_id, category=t.category, difficulty=t.difficulty, band=band_of[t.task_id], keep=keep,
                stage="kept" if keep else "stratify",
                reason=(f"kept: stratum {label} ({q} of {len(members)})" if keep else
                        f"left out by stratification: stratum {label} keeps {q} of {len(members)}"))
    return Selection(policy=policy, decisions=[decisions[t.task_id] for t in calibration.tasks])
