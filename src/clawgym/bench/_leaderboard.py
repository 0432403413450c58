"""Benchmark results: per model (run label), with confidence intervals, per category and
difficulty band, tokens (and cost, given prices), verifier-error rate; a leaderboard page.

Intervals: the pass rate's is Wilson's over attempts (exact enough, and sane at 0 and 1); the
mean score's is a percentile bootstrap over tasks (tasks, not attempts, are the sampled units
of a benchmark, so several samples of one task do not narrow it falsely).
"""

from __future__ import annotations

import html
import json
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from clawgym.bench._calibrate import run_label
from clawgym.bench._manifest import Manifest
from clawgym.bench._stats import bootstrap_mean, wilson
from clawgym.pages import render_page, write_page


class Group(BaseModel):
    tasks: int
    attempts: int
    mean_score: float
    mean_ci: tuple[float, float]
    pass_rate: float
    pass_ci: tuple[float, float]


class ModelResult(BaseModel):
    label: str
    folders: list[str]
    overall: Group | None = None
    per_category: dict[str, Group] = Field(default_factory=dict)
    per_band: dict[str, Group] = Field(default_factory=dict)
    coverage: float = Field(description="Share of the benchmark's tasks with a scored attempt.")
    missing: list[str] = Field(default_factory=list)
    tokens: int = 0
    tokens_per_attempt: float = 0.0
    cost_usd: float | None = None
    verifier_errors: int = 0
    verifier_error_rate: float = 0.0
    infra_errors: int = 0
    agent_seconds: float = 0.0


class Leaderboard(BaseModel):
    benchmark: str
    digest: str
    created_at: float = Field(default_factory=time.time)
    threshold: float
    models: list[ModelResult]


def _group(task_scores: dict[str, list[float]], threshold: float, seed: int) -> Group | None:
    if not task_scores:
        return None
    means = [float(np.mean(v)) for v in task_scores.values()]
    allv = [s for v in task_scores.values() for s in v]
    passes = sum(1 for s in allv if s >= threshold)
    return Group(tasks=len(task_scores), attempts=len(allv), mean_score=float(np.mean(means)),
                 mean_ci=bootstrap_mean(means, seed=seed), pass_rate=passes / len(allv),
                 pass_ci=wilson(passes, len(allv)))


def leaderboard(manifest: Manifest, folders: Sequence[str | Path], *, threshold: float = 1.0,
                prices: Mapping[str, float] | None = None, labels: Mapping[str, str] | None = None) -> Leaderboard:
    """Results of runs of this benchmark, one entry per run label (folders with one label pool).
    Attempts on tasks outside the manifest are ignored; `prices`: label -> USD per 1M tokens."""
    from clawgym.runs import RunStore

    meta = {t.id: t for t in manifest.tasks}
    by_label: dict[str, dict[str, Any]] = {}
    for folder in folders:
        with RunStore.read(folder) as store:
            config = store.config()
            rows = store.rows()
        label = (labels or {}).get(str(folder)) or (run_label(config.agent, config.model) if config else str(folder))
        acc = by_label.setdefault(label, {"folders": [], "scores": defaultdict(list), "tokens": 0, "verr": 0,
                                          "infra": 0, "finished": 0, "seconds": 0.0})
        acc["folders"].append(str(folder))
        for r in rows:
            if r.task_id not in meta or r.state not in ("done", "agent_error", "infra_error"):
                continue
            if r.state == "infra_error":
                acc["infra"] += 1
                continue
            acc["finished"] += 1
            acc["tokens"] += r.tokens or 0
            acc["seconds"] += r.seconds or 0.0
            if r.state == "done" and r.verify_status not in (None, "ok"):
                acc["verr"] += 1
                continue
            acc["scores"][r.task_id].append(r.score or 0.0)
    results = []
    for i, (label, acc) in enumerate(by_label.items()):
        scores: dict[str, list[float]] = acc["scores"]
        cats: dict[str, dict[str, list[float]]] = defaultdict(dict)
        bands: dict[str, dict[str, list[float]]] = defaultdict(dict)
        for tid, v in scores.items():
            cats[meta[tid].category or "uncategorised"][tid] = v
            bands[meta[tid].band or "unbanded"][tid] = v
        fin = acc["finished"]
        results.append(ModelResult(
            label=label, folders=acc["folders"], overall=_group(scores, threshold, i),
            per_category={c: g for c, v in sorted(cats.items()) if (g := _group(v, threshold, i))},
            per_band={b: g for b, v in sorted(bands.items()) if (g := _group(v, threshold, i))},
            coverage=len(scores) / len(meta) if meta else 0.0, missing=[t for t in meta if t not in scores],
            tokens=acc["tokens"], tokens_per_attempt=acc["tokens"] / fin if fin else 0.0,
            cost_usd=acc["tokens"] / 1e6 * prices[label] if prices and label in prices else None,
            verifier_errors=acc["verr"], verifier_error_rate=acc["verr"] / fin if fin else 0.0,
            infra_errors=acc["infra"], agent_seconds=acc["seconds"]))
    results.sort(key=lambda m: -(m.overall.mean_score if m.overall else -1))
    return Leaderboard(benchmark=manifest.ref, digest=manifest.digest(), threshold=threshold, models=results)


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1d1d1f;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.muted{color:#666}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{padding:5px 8px;border-bottom:1px solid #e3e3e3;text-align:right}
th:first-child,td:first-child,th.l,td.l{text-align:left}th{background:#f6f6f8;font-weight:600}
.bar{position:relative;height:10px;background:#eef;min-width:120px}.bar span{position:absolute;height:10px;background:#4a6cf7}
.bar i{position:absolute;top:-2px;height:14px;border-left:2px solid #111;border-right:2px solid #111;opacity:.45}
td.rank{font-weight:700;width:2em}
"""


def _bar(g: Any) -> str:
    lo, hi = g.mean_ci
    return (f'<div class="bar" title="mean {g.mean_score:.3f}, 95% CI {lo:.3f}-{hi:.3f}">'
            f'<span style="width:{g.mean_score * 100:.1f}%"></span>'
            f'<i style="left:{lo * 100:.1f}%;width:{max(0.0, hi - lo) * 100:.1f}%"></i></div>')


def _fmt_ci(v: float, ci: tuple[float, float]) -> str:
    return f"{v:.3f} <span class=muted>[{ci[0]:.3f}, {ci[1]:.3f}]</span>"


def _pivot(board: Leaderboard, attr: str, title: str) -> str:
    keys = sorted({k for m in board.models for k in getattr(m, attr)})
    if not keys:
        return ""
    e = html.escape
    head = "".join(f"<th>{e(k)}</th>" for k in keys)
    rows = []
    for m in board.models:
        groups = getattr(m, attr)
        cells = "".join(
            f"<td>{_fmt_ci(g.mean_score, g.mean_ci)}<br><span class=muted>n={g.tasks}</span></td>" if (g := groups.get(k))
            else "<td class=muted>-</td>" for k in keys)
        rows.append(f"<tr><td>{e(m.label)}</td>{cells}</tr>")
    return f"<h2>{e(title)}</h2><table><tr><th>model</th>{head}</tr>{''.join(rows)}</table>"


def leaderboard_html(board: Leaderboard) -> str:
    """A self-contained page: no scripts, nothing loaded from outside, every name escaped."""
    e = html.escape
    rows = []
    for i, m in enumerate(board.models, 1):
        g = m.overall
        if g is None:
            rows.append(f"<tr><td class=rank>{i}</td><td class=l>{e(m.label)}</td><td colspan=9 class=muted>"
                        "no scored attempt</td></tr>")
            continue
        cost = f"${m.cost_usd:,.2f}" if m.cost_usd is not None else "-"
        rows.append(
            f"<tr><td class=rank>{i}</td><td class=l>{e(m.label)}</td><td>{_fmt_ci(g.mean_score, g.mean_ci)}</td>"
            f"<td>{_bar(g)}</td><td>{g.pass_rate:.1%} <span class=muted>[{g.pass_ci[0]:.1%}, {g.pass_ci[1]:.1%}]"
            f"</span></td><td>{g.tasks}</td><td>{g.attempts}</td><td>{m.coverage:.0%}</td>"
            f"<td>{m.tokens:,}</td><td>{cost}</td><td>{m.verifier_error_rate:.1%}</td></tr>")
    data = e(json.dumps(board.model_dump(mode="json")), quote=False)
    body = f"""<h1>Leaderboard: {e(board.benchmark)}</h1>
<div class=muted>benchmark digest {e(board.digest[:16])} · pass = score &ge; {board.threshold:g} ·
mean score 95% CI by bootstrap over tasks, pass rate 95% CI by Wilson over attempts ·
generated {e(time.strftime('%Y-%m-%d %H:%M', time.localtime(board.created_at)))}</div>
<table id=board><tr><th>#</th><th class=l>model</th><th>mean score [95% CI]</th><th></th><th>pass rate [95% CI]</th>
<th>tasks</th><th>attempts</th><th>coverage</th><th>tokens</th><th>cost</th><th>verifier errors</th></tr>
{''.join(rows)}</table>
{_pivot(board, 'per_category', 'Per category (mean score [95% CI])')}
{_pivot(board, 'per_band', 'Per difficulty band (mean score [95% CI])')}
<details><summary>data (JSON)</summary><pre id=data>{data}</pre></details>"""
    return render_page(f"Leaderboard {board.benchmark}", body, style=_CSS)


def write_leaderboard(board: Leaderboard, out: str | Path) -> Path:
    return write_page(out, leaderboard_html(board))
