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
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgym.agent import AgentConfig, EnvConfig, LLMAgent
from clawgym.pages import render_page, write_page
from clawgym.stats import wilson
from clawgym.train._teacher import TeacherAgent

DEMO_TOOLS = ["read", "edit", "exec"]
DEMO_SYSTEM_PROMPT = """You work in {mount} (relative paths resolve there). Look at the files, read what you \
need, make the change with tool calls, then reply with a one-line summary and no tool call."""

Event = Callable[[str, dict[str, Any]], None]


def _short(config: EnvConfig | None, cls: type[EnvConfig]) -> Any:
    """The demo's agent settings on top of `config`: where a run configuration names tools or a
    prompt, those win (they came from the same DemoConfig)."""
    base = cls(**config.model_dump(include=set(cls.model_fields))) if config is not None else cls()
    update: dict[str, Any] = {}
    if base.tools is None:
        update["tools"] = list(DEMO_TOOLS)
    if base.system_prompt is None:
        update["system_prompt"] = DEMO_SYSTEM_PROMPT
        update["compact_tools"] = True
    return base.model_copy(update=update)


class DemoAgent(LLMAgent):
    """The llm agent with the demo's short prompt (three tools, compact schemas and system prompt)."""

    name = "llm-demo"

    def __init__(self, model: Any, config: AgentConfig | None = None):
        cfg = _short(config, AgentConfig)
        if config is not None:
            cfg.sampling = config.sampling
        super().__init__(model, cfg)


class DemoTeacher(TeacherAgent):
    """The teacher with the demo's short prompt, so its trajectories are what the model will see,
    and the student's budgets (turns, tokens per turn) as the limit of what it demonstrates."""

    def __init__(self, model: Any = None, config: EnvConfig | None = None):
        super().__init__(model, config)
        cfg = _short(config, EnvConfig)
        self.cfg = EnvConfig(**cfg.model_dump(include=set(EnvConfig.model_fields)))


AGENT_SPEC = "clawgym.train:DemoAgent"
TEACHER_SPEC = "clawgym.train:DemoTeacher"


@dataclass
class DemoConfig:
    """Sizes of the demo. The defaults fit in about 10 minutes on 2 idle CPU cores (docs/learning.md).

    One set of agent settings (tools, prompt, turns, tokens per turn) is used by every phase:
    the teacher demonstrates within it, SFT trains on the prompts it makes, GRPO samples with
    it, and both evaluations run with it."""

    out: str | None = None
    """The demo folder (default runs/demo-<time>)."""
    model: str = "smollm2"
    """The base model: `smollm2` or `hf:PATH`."""
    families: list[str] | None = None
    """Train families (None: ini_config_edit and fix_function_bug); held-out seeds come from them."""
    heldout_families: list[str] | None = None
    """Held-out families to evaluate on (None: batch_rename)."""
    difficulty: str | None = "easy"
    """Difficulty of every task (None: each family's own mix)."""
    train_tasks: int = 48
    heldout_tasks: int = 32
    heldout_family_tasks: int = 8
    seed: int = 0
    # the agent, the same in every phase
    tools: list[str] = field(default_factory=lambda: list(DEMO_TOOLS))
    compact_tools: bool = True
    system_prompt: str = DEMO_SYSTEM_PROMPT
    max_steps: int = 5
    turn_tokens: int = 160
    timeout_s: float = 600.0
    """Agent wall time per attempt: a bound for hangs, not the budget (turns and tokens are); on a
    loaded machine a short one cuts turns off mid-call and measures the machine, not the model."""
    temperature: float = 0.0
    concurrency: int = 16
    sandbox: str = "bwrap"
    # SFT
    sft_steps: int = 400
    """Most SFT optimizer steps (the time budget usually ends training first)."""
    sft_seconds: float | None = 270.0
    """Wall-time budget of SFT training; None: exactly sft_steps."""
    epochs: float = 3.0
    learning_rate: float = 2e-4
    max_length: int = 1536
    batch_size: int = 1
    min_score: float = 1.0
    # GRPO (0 steps: skipped)
    grpo_steps: int = 0
    grpo_generations: int = 4
    grpo_learning_rate: float = 2e-6
    grpo_temperature: float = 1.0
    device: str = "auto"
    """Where SFT and GRPO train (auto: a GPU when there is one, else the CPU)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """More SFTTrainConfig settings."""


DEFAULT_FAMILIES = ["ini_config_edit", "fix_function_bug"]
GRPO_SEED_OFFSET = 100_000
DEFAULT_HELDOUT_FAMILIES = ["batch_rename"]


@dataclass
class DemoResult:
    folder: Path
    phases: dict[str, float]
    table: list[dict[str, Any]]
    report: Path
    sft: dict[str, Any]
    grpo: dict[str, Any] | None = None
    tool_use: dict[str, Any] = field(default_factory=dict)


def _rows_by_task(folder: Path) -> dict[str, float]:
    from clawgym.runs import FINAL_STATES, RunStore

    store = RunStore.read(folder)
    try:
        return {r.task_id: (r.score or 0.0) for r in store.rows() if r.state in FINAL_STATES}
    finally:
        store.close()


def _trajectories(folder: Path) -> dict[str, dict[str, Any]]:
    """The last stored trajectory of each task in a run folder (JSON objects)."""
    out: dict[str, dict[str, Any]] = {}
    path = folder / "trajectories.jsonl"
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    t = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn last line after a crash
                if isinstance(t, dict) and "task_id" in t:
                    out[t["task_id"]] = t
    return out


def _group_stats(scores: list[float]) -> dict[str, Any]:
    n = len(scores)
    k = sum(1 for s in scores if s >= 1.0)
    lo, hi = wilson(k, n)
    return {"n": n, "passed": k, "pass_rate": k / n if n else 0.0, "pass_ci": [lo, hi],
            "mean_score": sum(scores) / n if n else 0.0}


def before_after_table(before: Path, after: Path, groups: dict[str, list[str]],
                       more: dict[str, Path] | None = None) -> list[dict[str, Any]]:
    """One row per group of task ids: pass rate (with Wilson 95 % interval) and mean score,
    before and after (and after each further phase in `more`, e.g. {"after GRPO": folder}),
    read back from the run folders."""
    runs = {"before": _rows_by_task(before), "after": _rows_by_task(after)}
    runs.update({k: _rows_by_task(v) for k, v in (more or {}).items()})
    table = []
    for name, ids in groups.items():
        row: dict[str, Any] = {"group": name}
        for when, scores in runs.items():
            row[when] = _group_stats([scores[i] for i in ids if i in scores])
        table.append(row)
    return table


def tool_use(folder: Path, ids: list[str] | None = None) -> dict[str, Any]:
    """What the agent did in a run: tool calls per attempt (by tool), malformed calls, turns,
    and how attempts ended. The first sign that SFT taught the format is here, before scores move."""
    trajs = [t for i, t in _trajectories(folder).items() if ids is None or i in ids]
    calls: Counter = Counter()
    stops: Counter = Counter()
    malformed = turns = 0
    for t in trajs:
        stops[t.get("stop_reason") or "?"] += 1
        for st in t.get("steps") or []:
            turns += 1
            for name in st.get("tool_calls") or []:
                calls[name] += 1
            malformed += len(st.get("errors") or [])
    n = len(trajs) or 1
    return {"attempts": len(trajs), "tool_calls": sum(calls.values()), "calls_per_attempt": sum(calls.values()) / n,
            "by_tool": dict(calls.most_common()), "malformed_or_failed": malformed, "turns_per_attempt": turns / n,
            "stop_reasons": dict(stops.most_common())}


def _actions(traj: dict[str, Any], width: int = 90) -> list[str]:
    """A trajectory's assistant turns, one short line each."""
    lines = []
    for m in traj.get("messages") or []:
        if m.get("role") != "assistant":
            continue
        calls = m.get("tool_calls") or []
        if not calls:
            lines.append("say: " + " ".join(str(m.get("content") or "").split())[:width])
        for c in calls:
            fn = c.get("function") or {}
            lines.append(f"{fn.get('name')}({' '.join(str(fn.get('arguments', '')).split())})"[:width])
    return lines


def side_by_side(before: Path, after: Path, ids: list[str], k: int = 3) -> list[dict[str, Any]]:
    """A few held-out tasks with what the base and the trained model did (tasks whose score
    changed first)."""
    b, a = _trajectories(before), _trajectories(after)
    sb, sa = _rows_by_task(before), _rows_by_task(after)
    shared = [i for i in ids if i in b and i in a]
    shared.sort(key=lambda i: -(sa.get(i, 0.0) - sb.get(i, 0.0)))
    return [{"task_id": i, "score_before": sb.get(i, 0.0), "score_after": sa.get(i, 0.0),
             "before": _actions(b[i]), "after": _actions(a[i])} for i in shared[:k]]


def _fmt_pass(s: dict[str, Any]) -> str:
    lo, hi = s["pass_ci"]
    return f"{s['passed']}/{s['n']} = {s['pass_rate']:.0%} [{lo:.0%}, {hi:.0%}]"


def _phases(table: list[dict[str, Any]]) -> list[str]:
    return [k for k in (table[0] if table else {}) if k != "group"]


def rich_table(table: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    whens = _phases(table)
    labels = {"before": "base", "after": "SFT"}
    t = Table("held-out group", "tasks", *[f"pass {labels.get(w, w)} [95% CI]" for w in whens],
              *[f"mean {labels.get(w, w)}" for w in whens], title="base vs trained on held-out tasks")
    for r in table:
        t.add_row(r["group"], str(r["before"]["n"]), *[_fmt_pass(r[w]) for w in whens],
                  *[f"{r[w]['mean_score']:.3f}" for w in whens])
    return t


def _plot(table: list[dict[str, Any]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clawgym.runs import render_png as _png

    whens = _phases(table)
    labels = {"before": "base", "after": "SFT"}
    width = 0.8 / max(1, len(whens))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    names = [r["group"] for r in table]
    for ax, metric, label in ((axes[0], "pass_rate", "pass rate (95% CI)"), (axes[1], "mean_score", "mean score")):
        for i, when in enumerate(whens):
            vals = [r[when][metric] for r in table]
            xs = [x + i * width for x in range(len(names))]
            kw: dict[str, Any] = {}
            if metric == "pass_rate":
                kw["yerr"] = [[v - r[when]["pass_ci"][0] for v, r in zip(vals, table)],
                              [r[when]["pass_ci"][1] - v for v, r in zip(vals, table)]]
                kw["capsize"] = 3
            bars = ax.bar(xs, vals, width=width, label=labels.get(when, when), **kw)
            # the value on every bar: a row of zeros is still a readable plot, not a blank one
            for bar, v in zip(bars, vals):
                ax.annotate(f"{v:.0%}" if metric == "pass_rate" else f"{v:.2f}",
                            (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom", fontsize=7,
                            xytext=(0, 2), textcoords="offset points")
        ax.set_xticks([x + width * (len(whens) - 1) / 2 for x in range(len(names))], names, fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    return _png(fig)


def write_demo_report(folder: Path, table: list[dict[str, Any]], phases: dict[str, float], sft: dict[str, Any],
                      cfg: DemoConfig, tools: dict[str, Any] | None = None,
                      examples: list[dict[str, Any]] | None = None, grpo: dict[str, Any] | None = None) -> Path:
    e = html.escape
    whens = _phases(table)
    labels = {"before": "base", "after": "SFT"}
    head = "".join(f"<th>pass {e(labels.get(w, w))}</th>" for w in whens) + \
        "".join(f"<th>mean {e(labels.get(w, w))}</th>" for w in whens)
    rows = "".join(
        f"<tr><td>{e(r['group'])}</td><td>{r['before']['n']}</td>"
        + "".join(f"<td>{e(_fmt_pass(r[w]))}</td>" for w in whens)
        + "".join(f"<td>{r[w]['mean_score']:.3f}</td>" for w in whens) + "</tr>" for r in table)
    times = "".join(f"<tr><td>{e(k)}</td><td>{v:.1f} s</td></tr>" for k, v in phases.items())
    sft_rows = "".join(f"<tr><td>{e(str(k))}</td><td>{e(str(v))}</td></tr>" for k, v in sft.items() if k != "log")
    tool_rows = "".join(
        f"<tr><td>{e(labels.get(k, k))}</td><td>{u['attempts']}</td><td>{u['calls_per_attempt']:.2f}</td>"
        f"<td>{e(', '.join(f'{n} {c}' for n, c in u['by_tool'].items()))}</td><td>{u['malformed_or_failed']}</td>"
        f"<td>{u['turns_per_attempt']:.2f}</td><td>{e(', '.join(f'{n} {c}' for n, c in u['stop_reasons'].items()))}"
        f"</td></tr>" for k, u in (tools or {}).items())
    ex = "".join(
        f"<h3><code>{e(x['task_id'])}</code>: {x['score_before']:.2f} &rarr; {x['score_after']:.2f}</h3>"
        f"<table><tr><th>base</th><th>trained</th></tr><tr><td><pre>{e(chr(10).join(x['before']))}</pre></td>"
        f"<td><pre>{e(chr(10).join(x['after']))}</pre></td></tr></table>" for x in (examples or []))
    grpo_rows = "".join(f"<tr><td>{e(str(k))}</td><td>{e(str(v))}</td></tr>" for k, v in (grpo or {}).items()
                        if k != "log")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;margin:1em 0}\n"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}pre{margin:0;font-size:12px;\n"
             "white-space:pre-wrap;max-width:520px}")
    body = f"""<h1>ClawGym in miniature: base vs trained</h1>
<p>Base model <code>{e(cfg.model)}</code>; SFT on teacher trajectories of train-split family tasks; all evaluated on
the same held-out tasks (held-out seeds of the train families, and held-out families), with the same agent
settings: tools {e(', '.join(cfg.tools))}, at most {cfg.max_steps} turns of {cfg.turn_tokens} tokens. Pass = score
1.0; 95 % Wilson intervals.</p>
<table><tr><th>held-out group</th><th>tasks</th>{head}</tr>{rows}</table>
<img alt="pass rate and mean score per held-out group" src="{_plot(table)}">
<h2>Tool use on held-out tasks</h2>
<table><tr><th>model</th><th>attempts</th><th>tool calls / attempt</th><th>by tool</th><th>malformed or failed calls</th>
<th>turns / attempt</th><th>how attempts ended</th></tr>{tool_rows}</table>
<h2>Side by side</h2>{ex or "<p>(no attempts)</p>"}
<h2>Phases</h2><table>{times}</table>
<h2>SFT</h2><table>{sft_rows}</table>
{f"<h2>GRPO</h2><table>{grpo_rows}</table>" if grpo else ""}
<p>Run folders: <code>before/</code>, <code>teacher/</code>, <code>after/</code>{", <code>grpo-after/</code>" if grpo else ""}
(each with its own report.html); checkpoints <code>sft/</code>{", <code>grpo/</code>" if grpo else ""}; tasks under
<code>tasks/</code>; <code>demo.json</code> holds every number.</p>"""
    return write_page(folder / "report.html", render_page("ClawGym demo", body, style=style))


def demo_tasks(cfg: DemoConfig) -> dict[str, list[Any]]:
    from clawgym.synth.families import generate_tasks

    fams = cfg.families or DEFAULT_FAMILIES
    held = cfg.heldout_families or DEFAULT_HELDOUT_FAMILIES
    d = cfg.difficulty
    return {"train": generate_tasks(cfg.train_tasks, cfg.seed, names=fams, split="train", difficulty=d),
            "heldout seeds": generate_tasks(cfg.heldout_tasks, cfg.seed, names=fams, split="heldout", difficulty=d),
            "heldout family": generate_tasks(cfg.heldout_family_tasks, cfg.seed, names=held, split="heldout",
                                             difficulty=d),
            # GRPO gets train-split seeds that SFT never saw (far above the SFT tasks' seeds)
            "grpo": generate_tasks(max(1, cfg.grpo_steps), cfg.seed + GRPO_SEED_OFFSET, names=fams, split="train",
                                   difficulty=d) if cfg.grpo_steps else []}


def _default_folder() -> Path:
    return Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S")


class _TimeBudget:
    """A TrainerCallback that ends training when its wall-time budget is spent (a demo sized
    to the time it has, on whatever machine runs it)."""

    def __new__(cls, seconds: float) -> Any:
        from transformers import TrainerCallback

        class Budget(TrainerCallback):
            def __init__(self) -> None:
                self.t0 = 0.0
                self.hit = False

            def on_train_begin(self, args, state, control, **kw):  # noqa: ANN001
                self.t0 = time.monotonic()

            def on_step_end(self, args, state, control, **kw):  # noqa: ANN001
                if time.monotonic() - self.t0 >= seconds:
                    self.hit = control.should_training_stop = True
                return control

        return Budget()


def _turn_lengths_ok(dataset: Any, tokenizer: Any, turn_tokens: int, stats: Counter) -> Any:
    """Drop examples with an assistant turn longer than the student may write (counted with the
    real tokenizer, tool calls as the text format renders them)."""
    from clawgym.train._teacher import call_text

    def ok(row: dict[str, Any]) -> bool:
        for m in row["messages"]:
            if m.get("role") != "assistant":
                continue
            text = (m.get("content") or "") + "".join(
                call_text({"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])
                           if isinstance(c["function"]["arguments"], str) else c["function"]["arguments"]})
                for c in (m.get("tool_calls") or []))
            if len(tokenizer(text, add_special_tokens=False)["input_ids"]) + 1 > turn_tokens:
                stats["turn_longer_than_budget"] += 1
                return False
        return True

    return dataset.filter(ok)


def run_demo(cfg: DemoConfig, on: Event | None = None) -> DemoResult:
    """The whole pipeline; `on(kind, data)` hears about it: ("phase", {name, index, total}),
    ("phase_done", {name, seconds}), ("run", {phase, kind, data}) for every event of a run,
    ("sft_log", {...}) per optimizer step, ("sft_data", {...}) once the SFT examples are chosen,
    ("grpo_log", {...}) per GRPO step. Ctrl-C raises KeyboardInterrupt (or RunInterrupted)."""
    from clawgym.runs import execute, make_config, summarize, write_report
    from clawgym.tasks import save_tasks
    from clawgym.train._data import SFTDataConfig, build_sft_dataset
    from clawgym.train._sft import SFTTrainConfig, load_base, train_sft

    emit = on or (lambda kind, data: None)
    folder = Path(cfg.out) if cfg.out else _default_folder()
    folder.mkdir(parents=True, exist_ok=True)
    phases: dict[str, float] = {}
    names = ["synthesize tasks", "evaluate base", "teacher trajectories", "SFT", "evaluate SFT"]
    if cfg.grpo_steps:
        names += ["GRPO", "evaluate GRPO"]
    names.append("report")
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
    for key, sub in (("train", sets["train"]), ("heldout", heldout), ("grpo", sets["grpo"])):
        if sub:
            save_tasks(sub, folder / "tasks" / key, overwrite=True)
    done("synthesize tasks")

    def run(name: str, sub: str, tasks: list[Any], agent: str, model: str | None, src: str = "heldout") -> Path:
        out = folder / sub
        config = make_config(tasks, folder / "tasks" / src, agent=agent, model=model, max_steps=cfg.max_steps,
                             turn_tokens=cfg.turn_tokens, timeout_s=cfg.timeout_s, temperature=cfg.temperature,
                             seed=cfg.seed, sandbox=cfg.sandbox, tools=list(cfg.tools),
                             system_prompt=cfg.system_prompt, compact_tools=cfg.compact_tools)
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
    teacher = run("teacher trajectories", "teacher", sets["train"], TEACHER_SPEC, None, src="train")
    done("teacher trajectories")

    start("SFT")
    stats: Counter = Counter()
    data_cfg = SFTDataConfig(min_score=cfg.min_score, stop_reasons=("final",))
    model, tokenizer = load_base(cfg.model, cfg.device)
    dataset = _turn_lengths_ok(build_sft_dataset([teacher], data_cfg, stats), tokenizer, cfg.turn_tokens, stats)
    sft_cfg = SFTTrainConfig(runs=[str(teacher)], model=cfg.model, output_dir=str(folder / "sft"), data=data_cfg,
                             max_length=cfg.max_length, max_steps=cfg.sft_steps, epochs=cfg.epochs,
                             learning_rate=cfg.learning_rate, batch_size=cfg.batch_size,
                             lr_scheduler="constant" if cfg.sft_seconds else "cosine", warmup_steps=0,
                             gradient_checkpointing=False, device=cfg.device, **cfg.extra)
    budget = _TimeBudget(cfg.sft_seconds) if cfg.sft_seconds else None
    total = cfg.sft_steps
    emit("sft_data", {"examples": len(dataset), "dropped": dict(stats)})
    res = train_sft(sft_cfg, dataset=dataset, model=model, tokenizer=tokenizer,
                    callbacks=[budget] if budget is not None else None,
                    on_log=lambda log: emit("sft_log", {**log, "total": total}))
    stats.update({k: v for k, v in res.data_stats.items() if k not in stats})
    sft = {"examples": res.examples, "steps": res.steps, "train_loss": res.train_loss, "tokens": res.tokens,
           "seconds": round(res.seconds, 1), "tokens_per_s": round(res.tokens_per_s, 1),
           "learning_rate": cfg.learning_rate, "max_length": cfg.max_length,
           "stopped_by_time_budget": bool(budget is not None and budget.hit), "dropped": dict(stats)}
    del model
    done("SFT")

    start("evaluate SFT")
    after = run("evaluate SFT", "after", heldout, AGENT_SPEC, f"hf:{(folder / 'sft').resolve()}")
    done("evaluate SFT")

    grpo: dict[str, Any] | None = None
    more: dict[str, Path] = {}
    if cfg.grpo_steps:
        from clawgym.train._grpo import GRPOTrainConfig, train_grpo

        start("GRPO")
        gcfg = GRPOTrainConfig(tasks=str(folder / "tasks" / "grpo"), model=f"hf:{(folder / 'sft').resolve()}",
                               output_dir=str(folder / "grpo"), num_generations=cfg.grpo_generations,
                               max_steps=cfg.grpo_steps, learning_rate=cfg.grpo_learning_rate,
                               temperature=cfg.grpo_temperature, max_turn_tokens=cfg.turn_tokens,
                               max_env_steps=cfg.max_steps, max_completion_length=cfg.max_length,
                               episode_timeout_s=cfg.timeout_s, tools=list(cfg.tools),
                               system_prompt=cfg.system_prompt, compact_tools=cfg.compact_tools,
                               backend=cfg.sandbox, seed=cfg.seed, device=cfg.device)
        gres = train_grpo(gcfg, tasks=sets["grpo"], on_log=lambda log: emit("grpo_log", {**log,
                                                                                         "total": cfg.grpo_steps}))
        # groups whose rollouts all scored alike teach nothing (zero advantage): say how many did
        zero_std = [float(e["frac_reward_zero_std"]) for e in gres.log if "frac_reward_zero_std" in e]
        grpo = {"steps": gres.steps, "seconds": round(gres.seconds, 1), "rewards": gres.rewards,
                "groups_without_variance": zero_std, "learning_rate": cfg.grpo_learning_rate,
                "generations": cfg.grpo_generations}
        done("GRPO")
        start("evaluate GRPO")
        more["after GRPO"] = run("evaluate GRPO", "grpo-after", heldout, AGENT_SPEC,
                                 f"hf:{(folder / 'grpo').resolve()}")
        done("evaluate GRPO")

    start("report")
    groups = {"held-out seeds": [t.id for t in sets["heldout seeds"]],
              "held-out family": [t.id for t in sets["heldout family"]],
              "all held-out": [t.id for t in heldout]}
    table = before_after_table(before, after, groups, more)
    ids = groups["all held-out"]
    tools = {"before": tool_use(before, ids), "after": tool_use(after, ids),
             **{k: tool_use(v, ids) for k, v in more.items()}}
    examples = side_by_side(before, more.get("after GRPO", after), ids)
    report = write_demo_report(folder, table, phases, sft, cfg, tools, examples, grpo)
    done("report")
    (folder / "demo.json").write_text(json.dumps(
        {"config": dataclasses.asdict(cfg), "phases_s": phases, "table": table, "sft": sft, "grpo": grpo,
         "tool_use": tools, "examples": examples, "train_tasks": [t.id for t in sets["train"]],
         "heldout_tasks": groups}, indent=2, default=str), encoding="utf-8")
    return DemoResult(folder=folder, phases=phases, table=table, report=report, sft=sft, grpo=grpo, tool_use=tools)


__all__ = ["AGENT_SPEC", "DEMO_SYSTEM_PROMPT", "DEMO_TOOLS", "DemoAgent", "DemoConfig", "DemoResult", "DemoTeacher",
           "TEACHER_SPEC", "before_after_table", "demo_tasks", "run_demo", "side_by_side", "tool_use", "wilson"]
