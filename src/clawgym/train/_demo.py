"""ClawGym in miniature: synthesize family tasks -> evaluate the base model on held-out tasks ->
collect teacher trajectories on train tasks -> SFT -> evaluate the checkpoint on the same
held-out tasks -> one report (before/after table with Wilson 95 % intervals, and a plot).

    from clawgym.train._demo import DemoConfig, run_demo
    result = run_demo(DemoConfig(out="runs/demo"))          # or: clawgym demo

Every phase is an ordinary ClawGym step (`generate_tasks`, `execute`, `TeacherAgent`,
`train_sft`), so each artefact under the demo folder can be opened with the usual tools
(`clawgym report runs/demo/before`, `--model hf:runs/demo/sft`). Prompts are kept short (three
tools, a compact system prompt), the same for collection, training and evaluation: on 2 CPU
cores prompt length decides the budget.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgym.agent import AgentConfig, EnvConfig, LLMAgent
from clawgym.train._teacher import TeacherAgent

DEMO_TOOLS = ["read", "write", "exec"]
DEMO_SYSTEM_PROMPT = """You work in {mount} (relative paths resolve there). Tools: read(path), write(path, content), \
exec(command). Do the task with tool calls, then reply with a one-line summary and no tool call."""

Event = Callable[[str, dict[str, Any]], None]


def _short(config: EnvConfig | None, cls: type[EnvConfig]) -> Any:
    base = cls(**config.model_dump(include=set(cls.model_fields))) if config is not None else cls()
    return base.model_copy(update={"tools": list(DEMO_TOOLS), "system_prompt": DEMO_SYSTEM_PROMPT})


class DemoAgent(LLMAgent):
    """The llm agent with the demo's short prompt (three tools, compact system prompt)."""

    name = "llm-demo"

    def __init__(self, model: Any, config: AgentConfig | None = None):
        cfg = _short(config, AgentConfig)
        if config is not None:
            cfg.sampling = config.sampling
        super().__init__(model, cfg)


class DemoTeacher(TeacherAgent):
    """The teacher with the demo's short prompt, so its trajectories are what the model will see."""

    def __init__(self, model: Any = None, config: EnvConfig | None = None):
        super().__init__(model, _short(config, EnvConfig))


AGENT_SPEC = "clawgym.train:DemoAgent"
TEACHER_SPEC = "clawgym.train:DemoTeacher"


@dataclass
class DemoConfig:
    """Sizes of the demo. The defaults fit in about 10 minutes on 2 CPU cores (see docs/learning.md)."""

    out: str | None = None
    """The demo folder (default runs/demo-<time>)."""
    model: str = "smollm2"
    """The base model: `smollm2` or `hf:PATH`."""
    families: list[str] | None = None
    """Train families (None: the default list below); held-out seeds come from the same families."""
    heldout_families: list[str] | None = None
    """Held-out families to evaluate on (None: batch_rename)."""
    train_tasks: int = 12
    heldout_tasks: int = 6
    heldout_family_tasks: int = 2
    seed: int = 0
    # evaluation
    max_steps: int = 4
    turn_tokens: int = 160
    timeout_s: float = 120.0
    temperature: float = 0.0
    concurrency: int = 8
    sandbox: str = "bwrap"
    # SFT
    sft_steps: int = 16
    learning_rate: float = 1e-4
    max_length: int = 1536
    batch_size: int = 1
    min_score: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)
    """More SFTTrainConfig settings."""


DEFAULT_FAMILIES = ["sort_by_extension", "json_config_merge", "ini_config_edit"]
DEFAULT_HELDOUT_FAMILIES = ["batch_rename"]


@dataclass
class DemoResult:
    folder: Path
    phases: dict[str, float]
    table: list[dict[str, Any]]
    report: Path
    sft: dict[str, Any]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for k successes out of n ((0, 1) when n = 0)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def _rows_by_task(folder: Path) -> dict[str, float]:
    from clawgym.runs import RunStore
    from clawgym.runs import FINAL_STATES

    store = RunStore.read(folder)
    try:
        return {r.task_id: (r.score or 0.0) for r in store.rows() if r.state in FINAL_STATES}
    finally:
        store.close()


def _group_stats(scores: list[float]) -> dict[str, Any]:
    n = len(scores)
    k = sum(1 for s in scores if s >= 1.0)
    lo, hi = wilson(k, n)
    return {"n": n, "passed": k, "pass_rate": k / n if n else 0.0, "pass_ci": [lo, hi],
            "mean_score": sum(scores) / n if n else 0.0}


def before_after_table(before: Path, after: Path, groups: dict[str, list[str]]) -> list[dict[str, Any]]:
    """One row per group of task ids: pass rate (with Wilson 95 % interval) and mean score,
    before and after, read back from the two run folders."""
    b, a = _rows_by_task(before), _rows_by_task(after)
    table = []
    for name, ids in groups.items():
        table.append({"group": name, "before": _group_stats([b[i] for i in ids if i in b]),
                      "after": _group_stats([a[i] for i in ids if i in a])})
    return table


def _fmt_pass(s: dict[str, Any]) -> str:
    lo, hi = s["pass_ci"]
    return f"{s['passed']}/{s['n']} = {s['pass_rate']:.0%} [{lo:.0%}, {hi:.0%}]"


def rich_table(table: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    t = Table("held-out group", "tasks", "pass before [95% CI]", "pass after [95% CI]", "mean before",
              "mean after", "change (mean)", title="base vs SFT on held-out tasks")
    for r in table:
        b, a = r["before"], r["after"]
        t.add_row(r["group"], str(b["n"]), _fmt_pass(b), _fmt_pass(a), f"{b['mean_score']:.3f}",
                  f"{a['mean_score']:.3f}", f"{a['mean_score'] - b['mean_score']:+.3f}")
    return t


def _plot(table: list[dict[str, Any]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clawgym.runs import render_png as _png

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    names = [r["group"] for r in table]
    for ax, metric, label in ((axes[0], "pass_rate", "pass rate"), (axes[1], "mean_score", "mean score")):
        for i, when in enumerate(("before", "after")):
            vals = [r[when][metric] for r in table]
            xs = [x + i * 0.4 for x in range(len(names))]
            kw: dict[str, Any] = {}
            if metric == "pass_rate":
                kw["yerr"] = [[v - r[when]["pass_ci"][0] for v, r in zip(vals, table)],
                              [r[when]["pass_ci"][1] - v for v, r in zip(vals, table)]]
                kw["capsize"] = 3
            ax.bar(xs, vals, width=0.4, label="base" if when == "before" else "SFT", **kw)
        ax.set_xticks([x + 0.2 for x in range(len(names))], names)
        ax.set_ylim(0, 1)
        ax.set_ylabel(label)
        ax.legend()
    return _png(fig)


def write_demo_report(folder: Path, table: list[dict[str, Any]], phases: dict[str, float], sft: dict[str, Any],
                      cfg: DemoConfig) -> Path:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(r['group'])}</td><td>{r['before']['n']}</td><td>{e(_fmt_pass(r['before']))}</td>"
        f"<td>{e(_fmt_pass(r['after']))}</td><td>{r['before']['mean_score']:.3f}</td>"
        f"<td>{r['after']['mean_score']:.3f}</td></tr>" for r in table)
    times = "".join(f"<tr><td>{e(k)}</td><td>{v:.1f} s</td></tr>" for k, v in phases.items())
    sft_rows = "".join(f"<tr><td>{e(str(k))}</td><td>{e(str(v))}</td></tr>" for k, v in sft.items() if k != "log")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>ClawGym demo</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}</style></head><body>
<h1>ClawGym in miniature: base vs SFT</h1>
<p>Base model <code>{e(cfg.model)}</code>; SFT on teacher trajectories of train-split family tasks; both evaluated on
the same held-out tasks (held-out seeds of the train families, and held-out families). Pass = score 1.0; 95 %
Wilson intervals.</p>
<table><tr><th>held-out group</th><th>tasks</th><th>pass before</th><th>pass after</th><th>mean before</th>
<th>mean after</th></tr>{rows}</table>
<img alt="before/after" src="{_plot(table)}">
<h2>Phases</h2><table>{times}</table>
<h2>SFT</h2><table>{sft_rows}</table>
<p>Run folders: <code>before/</code>, <code>teacher/</code>, <code>after/</code> (each with its own report.html);
checkpoint <code>sft/</code>; tasks under <code>tasks/</code>; <code>demo.json</code> holds every number.</p>
</body></html>"""
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def demo_tasks(cfg: DemoConfig) -> dict[str, list[Any]]:
    from clawgym.synth.families import generate_tasks

    fams = cfg.families or DEFAULT_FAMILIES
    held = cfg.heldout_families or DEFAULT_HELDOUT_FAMILIES
    return {"train": generate_tasks(cfg.train_tasks, cfg.seed, names=fams, split="train"),
            "heldout seeds": generate_tasks(cfg.heldout_tasks, cfg.seed, names=fams, split="heldout"),
            "heldout family": generate_tasks(cfg.heldout_family_tasks, cfg.seed, names=held, split="heldout")}


def _default_folder() -> Path:
    return Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S")


def run_demo(cfg: DemoConfig, on: Event | None = None) -> DemoResult:
    """The whole pipeline; `on(kind, data)` hears about it: ("phase", {name, index, total}),
    ("phase_done", {name, seconds}), ("run", {phase, kind, data}) for every event of a run,
    ("sft_log", {...}) per optimizer step. Ctrl-C raises KeyboardInterrupt (or RunInterrupted)."""
    from clawgym.runs import execute, make_config, summarize, write_report
    from clawgym.tasks import save_tasks
    from clawgym.train._data import SFTDataConfig, build_sft_dataset
    from clawgym.train._sft import SFTTrainConfig, train_sft

    emit = on or (lambda kind, data: None)
    folder = Path(cfg.out) if cfg.out else _default_folder()
    folder.mkdir(parents=True, exist_ok=True)
    phases: dict[str, float] = {}
    names = ["synthesize tasks", "evaluate base", "teacher trajectories", "SFT", "evaluate SFT", "report"]
    state = {"t": 0.0}

    def start(name: str) -> None:
        state["t"] = time.monotonic()
        emit("phase", {"name": name, "index": names.index(name) + 1, "total": len(names)})

    def done(name: str) -> None:
        phases[name] = time.monotonic() - state["t"]
        emit("phase_done", {"name": name, "seconds": phases[name]})

    start("synthesize tasks")
    sets = demo_tasks(cfg)
    heldout = sets["heldout seeds"] + sets["heldout family"]
    for key, sub in (("train", sets["train"]), ("heldout", heldout)):
        save_tasks(sub, folder / "tasks" / key, overwrite=True)
    done("synthesize tasks")

    def run(name: str, sub: str, tasks: list[Any], agent: str, model: str | None) -> Path:
        out = folder / sub
        config = make_config(tasks, folder / "tasks" / ("train" if sub == "teacher" else "heldout"), agent=agent,
                             model=model, max_steps=cfg.max_steps, turn_tokens=cfg.turn_tokens,
                             timeout_s=cfg.timeout_s, temperature=cfg.temperature, seed=cfg.seed,
                             sandbox=cfg.sandbox)
        store = execute(tasks, config, out, concurrency=cfg.concurrency,
                        progress=lambda kind, data: emit("run", {"phase": name, "kind": kind, "data": data}))
        try:
            summary = summarize(store.rows(), store.wall_s())
        finally:
            store.close()
        write_report([out])
        emit("run_summary", {"phase": name, "summary": summary})
        return out

    start("evaluate base")
    before = run("evaluate base", "before", heldout, AGENT_SPEC, cfg.model)
    done("evaluate base")

    start("teacher trajectories")
    teacher = run("teacher trajectories", "teacher", sets["train"], TEACHER_SPEC, None)
    done("teacher trajectories")

    start("SFT")
    stats: Counter = Counter()
    data_cfg = SFTDataConfig(min_score=cfg.min_score, stop_reasons=("final",))
    dataset = build_sft_dataset([teacher], data_cfg, stats)
    sft_cfg = SFTTrainConfig(runs=[str(teacher)], model=cfg.model, output_dir=str(folder / "sft"), data=data_cfg,
                             max_length=cfg.max_length, max_steps=cfg.sft_steps, learning_rate=cfg.learning_rate,
                             batch_size=cfg.batch_size, warmup_steps=0.1, **cfg.extra)
    res = train_sft(sft_cfg, dataset=dataset, on_log=lambda log: emit("sft_log", {**log, "total": cfg.sft_steps}))
    sft = {"examples": res.examples, "steps": res.steps, "train_loss": res.train_loss, "tokens": res.tokens,
           "seconds": round(res.seconds, 1), "tokens_per_s": round(res.tokens_per_s, 1),
           "learning_rate": cfg.learning_rate, "max_length": cfg.max_length, "dropped": dict(res.data_stats)}
    done("SFT")

    start("evaluate SFT")
    after = run("evaluate SFT", "after", heldout, AGENT_SPEC, f"hf:{(folder / 'sft').resolve()}")
    done("evaluate SFT")

    start("report")
    groups = {"held-out seeds": [t.id for t in sets["heldout seeds"]],
              "held-out family": [t.id for t in sets["heldout family"]],
              "all held-out": [t.id for t in heldout]}
    table = before_after_table(before, after, groups)
    report = write_demo_report(folder, table, phases, sft, cfg)
    done("report")
    (folder / "demo.json").write_text(json.dumps(
        {"config": dataclasses.asdict(cfg), "phases_s": phases, "table": table, "sft": sft,
         "train_tasks": [t.id for t in sets["train"]], "heldout_tasks": groups}, indent=2, default=str),
        encoding="utf-8")
    return DemoResult(folder=folder, phases=phases, table=table, report=report, sft=sft)


__all__ = ["AGENT_SPEC", "DEMO_SYSTEM_PROMPT", "DEMO_TOOLS", "DemoAgent", "DemoConfig", "DemoResult", "DemoTeacher",
           "TEACHER_SPEC", "before_after_table", "demo_tasks", "run_demo", "wilson"]
