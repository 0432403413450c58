"""Results: the summary table, the JSON lines, and a self-contained HTML report.

The page has no scripts and loads nothing from outside: plots are matplotlib PNGs inlined as
data URIs, and every piece of agent output is HTML-escaped (a trajectory is untrusted text).
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from rich.table import Table

from clawgym.pages import render_page, write_page
from clawgym.runs._store import FINAL_STATES, AttemptRow, RunStore, RunStoreError


def summarize(rows: list[AttemptRow], wall_s: float = 0.0) -> dict[str, Any]:
    final = [r for r in rows if r.state in FINAL_STATES]
    scores = [r.score or 0.0 for r in final]
    cats: dict[str, list[float]] = defaultdict(list)
    for r in final:
        cats[r.category or "uncategorised"].append(r.score or 0.0)
    errors = Counter(r.report_json()["status"] for r in final if r.report_json()["status"] != "done")
    return {
        "attempts": len(rows), "finished": len(final), "pending": len(rows) - len(final),
        "mean_score": sum(scores) / len(scores) if scores else 0.0,
        "pass_rate": sum(1 for s in scores if s >= 1.0) / len(scores) if scores else 0.0,
        "per_category": {c: {"n": len(v), "mean": sum(v) / len(v), "pass_rate": sum(1 for s in v if s >= 1) / len(v)}
                         for c, v in sorted(cats.items())},
        "tokens": sum(r.tokens or 0 for r in final), "agent_seconds": sum(r.seconds or 0.0 for r in final),
        "wall_seconds": wall_s, "errors": dict(errors),
    }


def summary_tables(name: str, summary: dict[str, Any]) -> list[Table]:
    t = Table("attempts", "mean score", "pass rate", "tokens", "wall time", "errors", title=f"run {name}")
    errs = ", ".join(f"{k} {v}" for k, v in summary["errors"].items()) or "none"
    pending = f" ({summary['pending']} pending)" if summary["pending"] else ""
    t.add_row(f"{summary['finished']}{pending}", f"{summary['mean_score']:.3f}", f"{summary['pass_rate']:.1%}",
              f"{summary['tokens']:,}", f"{summary['wall_seconds']:.1f} s", errs)
    c = Table("category", "attempts", "mean score", "pass rate", title="per category")
    for cat, v in summary["per_category"].items():
        c.add_row(cat, str(v["n"]), f"{v['mean']:.3f}", f"{v['pass_rate']:.1%}")
    return [t, c]


def render_png(fig) -> str:
    """A matplotlib figure as a data: URI (closed after), for self-contained pages."""
    return _png(fig)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _plots(runs: list[tuple[str, list[AttemptRow], dict[str, Any]]]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = sorted({c for _, _, s in runs for c in s["per_category"]})
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / max(1, len(runs))
    for i, (name, _, s) in enumerate(runs):
        ax.bar([x + i * width for x in range(len(cats))], [s["per_category"].get(c, {}).get("mean", 0) for c in cats],
               width=width, label=name)
    ax.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(cats))], cats, rotation=20, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean score")
    ax.legend()
    bars = _png(fig)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.hist([[r.score or 0.0 for r in rows if r.state in FINAL_STATES] for _, rows, _ in runs],
            bins=[i / 10 for i in range(11)], label=[n for n, _, _ in runs])
    ax.set_xlabel("score")
    ax.set_ylabel("attempts")
    ax.legend()
    return [("Mean score per category", bars), ("Score histogram", _png(fig))]


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f7f7f7;padding:.5em;white-space:pre-wrap;word-break:break-word;max-height:30em;overflow:auto}
details{margin:.3em 0;border:1px solid #ddd;padding:.3em .6em;border-radius:4px}
.role{font-weight:600}.tool{color:#7a2e8e}.err{color:#b00020}.ok{color:#0a7d32}
.cards span{display:inline-block;margin-right:2em}.cards b{font-size:1.3em}.cfg{color:#555;font-size:.9em}"""


def _trajectory_html(t: dict[str, Any]) -> str:
    out = []
    for m in t.get("messages", []):
        role = m.get("role", "?")
        if role == "system":
            out.append(f"<details><summary class=role>system prompt</summary><pre>{_e(m.get('content'))}</pre></details>")
            continue
        label = f"tool result ({_e(m.get('tool_call_id', ''))})" if role == "tool" else role
        if m.get("content"):
            out.append(f"<div class=role>{_e(label)}</div><pre>{_e(m['content'])}</pre>")
        for c in m.get("tool_calls") or []:
            fn = c.get("function", {})
            try:
                args = json.dumps(json.loads(fn.get("arguments") or "{}"), indent=2, ensure_ascii=False)
            except json.JSONDecodeError:
                args = fn.get("arguments")
            out.append(f"<div class='role tool'>→ {_e(fn.get('name'))}</div><pre>{_e(args)}</pre>")
    diff = t.get("diff") or []
    if diff:
        out.append("<div class=role>workspace diff</div>")
        for d in diff:
            body = d.get("diff") or d.get("content") or f"({d.get('size', 0)} bytes)"
            out.append(f"<details><summary>{_e(d['change'])} {_e(d['path'])}</summary><pre>{_e(body)}</pre></details>")
    v = t.get("verification") or {}
    if v:
        rows = "".join(f"<tr><td>{_e(k)}</td><td class='num {'ok' if x >= 1 else 'err'}'>{x:.2f}</td></tr>"
                       for k, x in (v.get("checks") or {}).items())
        out.append(f"<div class=role>verification: {_e(v.get('status'))}, score {float(v.get('score') or 0):.3f}"
                   f"{(' — ' + _e(v['error'])) if v.get('error') else ''}</div><table>{rows}</table>")
    return "\n".join(out)


def write_report(run_dirs: list[Path], out: Path | None = None) -> Path:
    """Write the HTML report of one run (default `<run>/report.html`), or of several side by side
    (default `<first run>/compare.html`, so a comparison never overwrites the run's own report).
    The runs are only read (`RunStore.read`), so a report can be made while a run is going."""
    runs = []
    trajs: dict[str, dict[tuple[str, int], dict[str, Any]]] = {}
    configs: dict[str, dict[str, Any]] = {}
    for d in run_dirs:
        with RunStore.read(d) as store:
            rows = store.rows()
            runs.append((d.name, rows, summarize(rows, store.wall_s())))
            trajs[d.name] = {(t["task_id"], t["sample"]): t for t in store.trajectories()}
            cfg = store.config()
            configs[d.name] = cfg.model_dump(exclude={"task_ids", "schema_version"}) if cfg else {}
    out = out or (run_dirs[0] / ("report.html" if len(run_dirs) == 1 else "compare.html"))
    parts = ["<h1>ClawGym report</h1>"]
    for name, rows, s in runs:
        errs = ", ".join(f"{k}: {v}" for k, v in s["errors"].items()) or "none"
        parts.append(f"<h2>Run {_e(name)}</h2><div class=cards><span>attempts <b id='attempts-{_e(name)}'>{s['finished']}</b>"
                     f"</span><span>mean score <b id='mean-{_e(name)}'>{s['mean_score']:.3f}</b></span>"
                     f"<span>pass rate <b>{s['pass_rate']:.1%}</b></span><span>tokens <b>{s['tokens']:,}</b></span>"
                     f"<span>wall time <b>{s['wall_seconds']:.1f} s</b></span><span>errors <b>{_e(errs)}</b></span></div>")
        cfg = ", ".join(f"{k}={v}" for k, v in configs.get(name, {}).items() if v not in (None, [], ""))
        parts.append(f"<p class=cfg>configuration: {_e(cfg)}</p>")
    for title, src in _plots(runs):
        parts.append(f"<h2>{_e(title)}</h2><img alt='{_e(title)}' src='{src}'>")
    parts.append("<h2>Per task</h2><table><tr><th>task</th><th>category</th>" +
                 "".join(f"<th>{_e(n)}: mean score</th><th>{_e(n)}: pass</th>" for n, _, _ in runs) + "</tr>")
    task_ids = list(dict.fromkeys(r.task_id for _, rows, _ in runs for r in rows))
    for tid in task_ids:
        cells, cat = [], ""
        for _, rows, _ in runs:
            mine = [r for r in rows if r.task_id == tid and r.state in FINAL_STATES]
            cat = cat or next((r.category or "" for r in mine), "")
            mean = sum(r.score or 0 for r in mine) / len(mine) if mine else None
            cells.append(f"<td class=num>{'-' if mean is None else f'{mean:.3f}'}</td>"
                         f"<td class=num>{sum(1 for r in mine if (r.score or 0) >= 1)}/{len(mine)}</td>")
        parts.append(f"<tr><td>{_e(tid)}</td><td>{_e(cat)}</td>{''.join(cells)}</tr>")
    parts.append("</table><h2>Sub-score failures</h2>")
    for name, rows, _ in runs:
        fails: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        for r in rows:
            for k, x in r.checks.items():
                seen[f"{r.task_id} / {k}"] += 1
                fails[f"{r.task_id} / {k}"] += x < 1
        top = sorted(seen, key=lambda k: (-fails[k], k))[:60]
        parts.append(f"<h3>{_e(name)}</h3><table><tr><th>task / check</th><th>failed</th></tr>" +
                     "".join(f"<tr><td>{_e(k)}</td><td class=num>{fails[k]}/{seen[k]}</td></tr>" for k in top) + "</table>")
    parts.append("<h2>Trajectories</h2>")
    for name, rows, _ in runs:
        parts.append(f"<h3>{_e(name)}</h3>")
        for r in rows:
            t = trajs[name].get((r.task_id, r.sample))
            status = r.report_json()["status"]
            head = (f"{_e(r.task_id)} #{r.sample}: score {float(r.score or 0):.3f}, {_e(status)}, "
                    f"{_e(r.stop_reason or '-')}, {r.steps or 0} steps")
            body = _trajectory_html(t) if t else "<p>no trajectory (not finished)</p>"
            if r.error:
                body = f"<p class=err>{_e(r.error)}</p>" + body
            parts.append(f"<details><summary>{head}</summary>{body}</details>")
    page = render_page("ClawGym report: " + ", ".join(n for n, _, _ in runs), "\n".join(parts), style=CSS)
    try:  # whole or not at all: a reader never sees half a page
        write_page(out, page)
    except OSError as exc:
        raise RunStoreError(f"cannot write the report to {out}: {exc.strerror}; free space there, "
                            "or write it elsewhere with --html PATH") from exc
    return out
