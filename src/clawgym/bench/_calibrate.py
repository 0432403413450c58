"""Difficulty calibration: a panel of agents/models x samples over a pool of tasks, read from
run folders (read-only), turned into per-task statistics and a difficulty estimate.

Every figure comes from `RunStore.read` (a reader never changes a run, even a live one). A run
folder's panel member ("label") is its agent and model (`llm:openai:gpt-4o`, `noop`, `oracle`);
several folders with one label pool their attempts. Two labels are baselines, not panel models:
`noop` (the do-nothing agent: a task it passes is trivial) and `oracle` (the reference solution:
a task it fails may be unsolvable, and one it scores differently across samples is
nondeterministic). They are reported per task and left out of the difficulty fit.

Attempts that ended in an infrastructure error are counted but not scored (the infrastructure,
not the task, failed); a verifier error is counted against the task (its verifier is broken)
and left out of the pass rates.

Difficulty: a Rasch model, P(pass) = sigmoid(ability_model - difficulty_task), fitted by MAP
with N(0, 2^2) priors (see `fit_rasch`), in logits: 0 is a task the average panel model passes
half the time; +2 is one it passes about 12 % of the time. Its standard error shrinks with more
models and samples.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from clawgym.bench._stats import fit_rasch, pass_at_k
from clawgym.errors import ClawGymError

BASELINES = ("noop", "oracle")


class CalibrationError(ClawGymError):
    """Nothing to calibrate from: no run folder, no attempt on the pool, a label clash."""


def run_label(agent: str, model: str | None) -> str:
    """The panel member a run belongs to: `agent` for model-less agents, else `agent:model`."""
    return agent if not model else f"{agent}:{model}"


@dataclass
class Panel:
    """Every finished attempt of a panel, as flat numpy columns (one entry per attempt)."""

    task_ids: list[str]
    labels: list[str]
    categories: dict[str, str | None]
    folders: dict[str, list[str]]
    task: np.ndarray = field(repr=False)      # index into task_ids
    model: np.ndarray = field(repr=False)     # index into labels
    score: np.ndarray = field(repr=False)
    verifier_error: np.ndarray = field(repr=False)
    infra_error: np.ndarray = field(repr=False)
    seconds: np.ndarray = field(repr=False)
    tokens: np.ndarray = field(repr=False)

    @property
    def attempts(self) -> int:
        return int(self.task.size)


def load_panel(folders: Iterable[str | Path], pool: Sequence[str] | None = None,
               labels: dict[str, str] | None = None) -> Panel:
    """Read run folders into a Panel. `pool`: the task ids to keep (default: every task seen),
    in this order. `labels`: folder -> label, overriding the one derived from its config."""
    from clawgym.runs import RunStore

    task_ids: list[str] = list(pool) if pool is not None else []
    tindex = {t: i for i, t in enumerate(task_ids)}
    fixed = pool is not None
    lab_list: list[str] = []
    lindex: dict[str, int] = {}
    cats: dict[str, str | None] = {}
    where: dict[str, list[str]] = {}
    cols: dict[str, list] = {k: [] for k in ("task", "model", "score", "verr", "infra", "sec", "tok")}
    seen_any = False
    for folder in folders:
        store = RunStore.read(folder)
        try:
            config = store.config()
            if config is None:
                raise CalibrationError(f"{folder} has no run configuration; give the --out folder of a finished run")
            label = (labels or {}).get(str(folder)) or run_label(config.agent, config.model)
            li = lindex.setdefault(label, len(lab_list))
            if li == len(lab_list):
                lab_list.append(label)
            where.setdefault(label, []).append(str(folder))
            rows = _rows(store)
        finally:
            store.close()
        seen_any = True
        for task_id, category, state, score, vstatus, seconds, tokens in rows:
            ti = tindex.get(task_id)
            if ti is None:
                if fixed:
                    continue
                ti = tindex[task_id] = len(task_ids)
                task_ids.append(task_id)
            if category is not None or task_id not in cats:
                cats[task_id] = category
            cols["task"].append(ti)
            cols["model"].append(li)
            cols["score"].append(score or 0.0)
            cols["verr"].append(state == "done" and vstatus not in (None, "ok"))
            cols["infra"].append(state == "infra_error")
            cols["sec"].append(seconds or 0.0)
            cols["tok"].append(tokens or 0)
    if not seen_any:
        raise CalibrationError("no run folders given; pass --runs DIR (one per panel member), or --agents to run them")
    return Panel(task_ids=task_ids, labels=lab_list, categories={t: cats.get(t) for t in task_ids}, folders=where,
                 task=np.asarray(cols["task"], np.int64), model=np.asarray(cols["model"], np.int64),
                 score=np.asarray(cols["score"], float), verifier_error=np.asarray(cols["verr"], bool),
                 infra_error=np.asarray(cols["infra"], bool), seconds=np.asarray(cols["sec"], float),
                 tokens=np.asarray(cols["tok"], np.int64))


def _rows(store: Any) -> list[tuple]:
    """(task_id, category, state, score, verify_status, seconds, tokens) of every finished attempt."""
    return [(r.task_id, r.category, r.state, r.score, r.verify_status, r.seconds, r.tokens)
            for r in store.rows() if r.state in ("done", "agent_error", "infra_error")]


class ModelStats(BaseModel):
    attempts: int = Field(description="Scored attempts (infrastructure and verifier errors left out).")
    passes: int
    pass_rate: float
    mean_score: float


class TaskCalibration(BaseModel):
    task_id: str
    category: str | None = None
    attempts: int = Field(description="Every finished attempt of a panel model, errors included.")
    per_model: dict[str, ModelStats] = Field(default_factory=dict)
    pass_rate: float | None = Field(default=None, description="Passes / scored attempts, panel models pooled.")
    pass_at_k: dict[str, float] = Field(default_factory=dict,
                                        description="Unbiased pass@k, averaged over the models with >= k attempts.")
    score_mean: float | None = None
    score_std: float | None = Field(default=None, description="Spread of scores over every scored attempt.")
    score_range: float | None = None
    model_spread: float | None = Field(default=None, description="Max - min of the models' pass rates.")
    verifier_errors: int = 0
    verifier_error_rate: float = 0.0
    infra_errors: int = 0
    runtime_mean_s: float | None = None
    tokens_mean: float | None = None
    difficulty: float | None = Field(default=None, description="Rasch difficulty in logits (higher is harder).")
    difficulty_se: float | None = None
    noop_score: float | None = Field(default=None, description="The do-nothing agent's best score.")
    oracle_score: float | None = Field(default=None, description="The reference solution's worst score.")
    baseline_nondeterministic: bool = Field(default=False,
                                            description="noop or oracle scored differently across samples.")


class ModelCalibration(BaseModel):
    label: str
    folders: list[str]
    attempts: int
    pass_rate: float
    ability: float | None = None
    ability_se: float | None = None


class Calibration(BaseModel):
    """What `bench calibrate` writes (calibration.json) and `bench select` reads."""

    schema_version: Literal[1] = 1
    threshold: float = Field(description="An attempt passes when its score is at least this.")
    ks: list[int]
    method: str = "rasch-map (alternating Newton, N(0, 2^2) priors)"
    models: list[ModelCalibration]
    baselines: list[str] = Field(default_factory=list)
    tasks: list[TaskCalibration]

    def by_id(self) -> dict[str, TaskCalibration]:
        return {t.task_id: t for t in self.tasks}


def calibrate(panel: Panel, *, threshold: float = 1.0, ks: Sequence[int] = (1, 5, 10),
              prior_sd: float = 2.0) -> Calibration:
    """Per-task statistics and difficulty from a Panel. Vectorised: 10,000 attempts take
    milliseconds (benchmarks/bench_calibrate.py)."""
    T, M = len(panel.task_ids), len(panel.labels)
    is_base = np.array([lab in BASELINES for lab in panel.labels], bool)
    base_of = is_base[panel.model] if panel.attempts else np.zeros(0, bool)
    scored = ~panel.infra_error & ~panel.verifier_error
    passed = (panel.score >= threshold) & scored
    cell = panel.model * T + panel.task

    def per_cell(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
        return np.bincount(cell, weights=w, minlength=M * T).reshape(M, T)

    n = per_cell(scored)
    c = per_cell(passed)
    ssum = per_cell(scored, panel.score)
    ssq = per_cell(scored, panel.score ** 2)
    model_mask = ~base_of
    finished_model = model_mask & ~panel.infra_error
    t_fin = np.bincount(panel.task[finished_model], minlength=T)
    t_verr = np.bincount(panel.task[model_mask & panel.verifier_error], minlength=T)
    t_infra = np.bincount(panel.task[model_mask & panel.infra_error], minlength=T)
    t_sec = np.bincount(panel.task[finished_model], weights=panel.seconds[finished_model], minlength=T)
    t_tok = np.bincount(panel.task[finished_model], weights=panel.tokens[finished_model], minlength=T)
    # score range per task over scored panel-model attempts
    sm = scored & model_mask
    smax = np.full(T, -np.inf)
    smin = np.full(T, np.inf)
    np.maximum.at(smax, panel.task[sm], panel.score[sm])
    np.minimum.at(smin, panel.task[sm], panel.score[sm])
    # baselines: best noop score, worst oracle score, and whether either varied
    base_stats: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in BASELINES:
        if name in panel.labels:
            mi = panel.labels.index(name)
            mask = (panel.model == mi) & ~panel.infra_error
            hi = np.full(T, -np.inf)
            lo = np.full(T, np.inf)
            sc = np.where(panel.verifier_error[mask], -1.0, panel.score[mask])  # a verifier error is its own value
            np.maximum.at(hi, panel.task[mask], sc)
            np.minimum.at(lo, panel.task[mask], sc)
            base_stats[name] = (lo, hi)

    fit_models = [i for i in range(M) if not is_base[i]]
    theta = theta_se = b = b_se = None
    if fit_models:
        nn, cc = n[fit_models], c[fit_models]
        theta, theta_se, b, b_se = fit_rasch(cc, nn, prior_sd=prior_sd)
    observed = n[fit_models].sum(axis=0) if fit_models else np.zeros(T)

    tasks: list[TaskCalibration] = []
    for ti, tid in enumerate(panel.task_ids):
        per_model: dict[str, ModelStats] = {}
        pak: dict[str, list[float]] = {str(k): [] for k in ks}
        for mi in fit_models:
            ni, ci = int(n[mi, ti]), int(c[mi, ti])
            if ni == 0:
                continue
            per_model[panel.labels[mi]] = ModelStats(attempts=ni, passes=ci, pass_rate=ci / ni,
                                                     mean_score=float(ssum[mi, ti] / ni))
            for k in ks:
                if ni >= k:
                    pak[str(k)].append(pass_at_k(ni, ci, k))
        ntot = float(n[fit_models, ti].sum()) if fit_models else 0.0
        ctot = float(c[fit_models, ti].sum()) if fit_models else 0.0
        mean = float(ssum[fit_models, ti].sum() / ntot) if ntot else None
        var = float(ssq[fit_models, ti].sum() / ntot - mean ** 2) if ntot else None
        rates = [s.pass_rate for s in per_model.values()]
        fin = int(t_fin[ti])
        rec = TaskCalibration(
            task_id=tid, category=panel.categories.get(tid), attempts=fin, per_model=per_model,
            pass_rate=ctot / ntot if ntot else None,
            pass_at_k={k: float(np.mean(v)) for k, v in pak.items() if v},
            score_mean=mean, score_std=float(np.sqrt(max(var, 0.0))) if var is not None else None,
            score_range=float(smax[ti] - smin[ti]) if ntot else None,
            model_spread=float(max(rates) - min(rates)) if rates else None,
            verifier_errors=int(t_verr[ti]), verifier_error_rate=float(t_verr[ti] / fin) if fin else 0.0,
            infra_errors=int(t_infra[ti]), runtime_mean_s=float(t_sec[ti] / fin) if fin else None,
            tokens_mean=float(t_tok[ti] / fin) if fin else None)
        if b is not None and observed[ti] > 0:
            rec.difficulty, rec.difficulty_se = round(float(b[ti]), 4), round(float(b_se[ti]), 4)
        nondet = False
        if "noop" in base_stats:
            lo, hi = base_stats["noop"]
            if np.isfinite(hi[ti]):
                rec.noop_score = float(max(hi[ti], 0.0))
                nondet |= bool(hi[ti] != lo[ti])
        if "oracle" in base_stats:
            lo, hi = base_stats["oracle"]
            if np.isfinite(lo[ti]):
                rec.oracle_score = float(max(lo[ti], 0.0))
                nondet |= bool(hi[ti] != lo[ti])
        rec.baseline_nondeterministic = nondet
        tasks.append(rec)

    models = []
    for j, mi in enumerate(fit_models):
        nm = float(n[mi].sum())
        models.append(ModelCalibration(label=panel.labels[mi], folders=panel.folders.get(panel.labels[mi], []),
                                       attempts=int(nm), pass_rate=float(c[mi].sum() / nm) if nm else 0.0,
                                       ability=round(float(theta[j]), 4), ability_se=round(float(theta_se[j]), 4)))
    return Calibration(threshold=threshold, ks=list(ks), models=models,
                       baselines=[lab for lab in panel.labels if lab in BASELINES], tasks=tasks)


# -- launching the missing part of a panel ---------------------------------------------------
class PanelMember(BaseModel):
    """One panel member to run: an agent and (for llm agents) a model."""

    agent: str = "llm"
    model: str | None = None

    @property
    def label(self) -> str:
        return run_label(self.agent, self.model)

    @classmethod
    def parse(cls, spec: str) -> "PanelMember":
        """`noop`, `oracle`, `llm=openai:gpt-4o`, or a bare model spec (`openai:gpt-4o`, an llm agent)."""
        if spec in BASELINES:
            return cls(agent=spec)
        if "=" in spec:
            agent, _, model = spec.partition("=")
            return cls(agent=agent, model=model or None)
        return cls(agent="llm", model=spec)


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_") or "run"


def covered(folders: Iterable[str | Path], member: PanelMember, samples: int) -> set[str]:
    """Task ids that existing run folders of this member already ran with >= `samples` samples."""
    from clawgym.runs import RunStore, RunStoreError

    done: dict[str, int] = {}
    for folder in folders:
        try:
            store = RunStore.read(folder)
        except RunStoreError:
            continue
        try:
            config = store.config()
            if config is None or run_label(config.agent, config.model) != member.label:
                continue
            for r in store.rows():
                if r.state in ("done", "agent_error"):
                    done[r.task_id] = done.get(r.task_id, 0) + 1
        finally:
            store.close()
    return {t for t, k in done.items() if k >= samples}


def run_missing(tasks: list[Any], members: Sequence[PanelMember], samples: int, root: str | Path, *,
                existing: Sequence[str | Path] = (), concurrency: int = 2, sandbox: str = "bwrap",
                progress: Callable[[str, dict[str, Any]], None] | None = None,
                **config: Any) -> list[Path]:
    """Run each panel member on the pool tasks no existing folder of it covers, into
    `root/<label>` (resumed when it is already there with the same configuration). Returns
    every folder of the panel: the existing ones and the new ones."""
    from clawgym.runs import RunConfig, execute

    folders = [Path(f) for f in existing]
    for member in members:
        have = covered(existing, member, samples)
        todo = [t for t in tasks if t.id not in have]
        if not todo:
            continue
        out = Path(root) / _slug(member.label)
        cfg = RunConfig(tasks=f"bench calibrate ({len(todo)} tasks)", task_ids=[t.id for t in todo],
                        agent=member.agent, model=member.model, samples=samples, sandbox=sandbox, **config)
        execute(todo, cfg, out, concurrency=concurrency, progress=progress).close()
        folders.append(out)
    return folders
