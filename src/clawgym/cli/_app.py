"""`clawgym` commands. Everything here is also reachable from Python; this layer only parses
flags, shows progress and prints. Every flag can also be set by a CLAWGYM_* variable."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from clawgym.errors import ClawGymError, TaskSpecError

app = typer.Typer(name="clawgym", help="Synthesize, run, verify and benchmark personal-agent tasks.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  # every flag is also read from CLAWGYM_<COMMAND>_<FLAG> (e.g. CLAWGYM_RUN_SAMPLES),
                  # besides the shared ones named on the options (CLAWGYM_SANDBOX, ...)
                  context_settings={"auto_envvar_prefix": "CLAWGYM"})
tasks_app = typer.Typer(help="Import, export, list and lint task datasets.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
out = Console()
err = Console(stderr=True)


class SrcFormat(str, Enum):
    auto = "auto"
    native = "native"
    jsonl = "jsonl"
    clawgym = "clawgym"
    clawgym_hf = "clawgym-hf"


class DestFormat(str, Enum):
    native = "native"
    jsonl = "jsonl"
    clawgym = "clawgym"
    harbor = "harbor"


class Agg(str, Enum):
    default = "default"
    legacy = "legacy"


SrcArg = Annotated[Path, typer.Argument(help="A task folder, a folder of tasks, a JSONL dataset, "
                                        "ClawGym's repository layout or ClawGym's HF JSONL.")]
FormatOpt = Annotated[SrcFormat, typer.Option("--format", "-f", envvar="CLAWGYM_FORMAT",
                                              help="Source format (auto-detected by default).")]
MaxSizeOpt = Annotated[Optional[int], typer.Option("--max-file-size", envvar="CLAWGYM_MAX_FILE_BYTES",
                                                   help="Largest file accepted, in bytes (default 10 MiB).")]


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _load(src: Path, fmt: SrcFormat = SrcFormat.auto, max_size: int | None = None):
    from clawgym.tasks import LoadOptions, load_tasks

    options = LoadOptions(**({"max_file_bytes": max_size} if max_size else {}))
    try:
        return load_tasks(src, fmt.value, options)
    except TaskSpecError as exc:
        _fail(f"{len(exc.problems)} problem(s) in {src}; nothing was written:\n" +
              "\n".join(f"  {p}" for p in exc.problems))


def _select(tasks, task_id: str | None, src: Path):
    if task_id is None:
        return tasks
    chosen = [t for t in tasks if t.id == task_id]
    if not chosen:
        _fail(f"no task with id {task_id!r} in {src}")
    return chosen


@tasks_app.command("import")
def tasks_import(src: SrcArg,
                 out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write native tasks to.")],
                 fmt: FormatOpt = SrcFormat.auto, max_size: MaxSizeOpt = None,
                 overwrite: Annotated[bool, typer.Option(help="Replace --out if it exists.")] = False):
    """Import tasks from any supported format into native task folders."""
    from clawgym.tasks import save_tasks

    tasks = _load(src, fmt, max_size)
    try:
        save_tasks(tasks, out_dir, "native", overwrite=overwrite)
    except FileExistsError as exc:
        _fail(str(exc))
    err.print(f"imported {len(tasks)} task(s) into {out_dir}")


@tasks_app.command("export")
def tasks_export(src: SrcArg,
                 to: Annotated[DestFormat, typer.Option("--format", "-f", help="Format to write.")],
                 out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder (or .jsonl file) to write.")],
                 src_format: Annotated[SrcFormat, typer.Option("--src-format", help="Source format.")] = SrcFormat.auto,
                 max_size: MaxSizeOpt = None,
                 overwrite: Annotated[bool, typer.Option(help="Replace --out if it exists.")] = False):
    """Export tasks to ClawGym's repository layout, Harbor's task layout, or JSONL."""
    from clawgym.tasks import save_tasks

    tasks = _load(src, src_format, max_size)
    try:
        save_tasks(tasks, out_dir, to.value, overwrite=overwrite)
    except FileExistsError as exc:
        _fail(str(exc))
    err.print(f"exported {len(tasks)} task(s) as {to.value} to {out_dir}")


@tasks_app.command("list")
def tasks_list(src: SrcArg, fmt: FormatOpt = SrcFormat.auto, max_size: MaxSizeOpt = None):
    """List tasks: id, category, files, rubric, solution."""
    tasks = _load(src, fmt, max_size)
    table = Table("id", "category", "files", "rubric", "solution", title=f"{len(tasks)} task(s) in {src}")
    for t in tasks:
        table.add_row(t.id, t.category or "-", str(len(t.workspace)),
                      str(len(t.rubric.rules)) + " rules" if t.rubric else "-",
                      "yes" if t.solution else "-")
    out.print(table)


@tasks_app.command("lint")
def tasks_lint(src: SrcArg, fmt: FormatOpt = SrcFormat.auto, max_size: MaxSizeOpt = None):
    """Report every problem in a dataset; exit 1 if there is any."""
    from clawgym.errors import Problem
    from clawgym.tasks import LoadOptions, load_tasks
    from clawgym.tasks._lint import lint_task

    problems: list[Problem] = []
    options = LoadOptions(**({"max_file_bytes": max_size} if max_size else {}))
    try:
        tasks = load_tasks(src, fmt.value, options, errors=problems)
    except TaskSpecError as exc:  # the source itself could not be read
        tasks, problems = [], exc.problems
    for t in tasks:
        problems.extend(lint_task(t))
    for p in problems:
        out.print(f"[yellow]{escape(str(p))}[/yellow]", highlight=False)
    if problems:
        _fail(f"{len(problems)} problem(s) in {src} ({len(tasks)} task(s) loaded)")
    out.print(f"[green]ok[/green]: {len(tasks)} task(s), no problems")


@tasks_app.command("qa")
def tasks_qa(src: SrcArg,
             as_json: Annotated[bool, typer.Option("--json", help="One JSON object per task per line.")] = False,
             aggregation: Annotated[Agg, typer.Option(envvar="CLAWGYM_AGGREGATION", help="Score aggregation (see verify).")] = Agg.default,
             tolerance: Annotated[float, typer.Option(help="Highest do-nothing score that still passes.")] = 0.0,
             concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, envvar="CLAWGYM_CONCURRENCY")] = 2,
             sandbox: Annotated[str, typer.Option(envvar="CLAWGYM_SANDBOX", help="bwrap or process.")] = "bwrap",
             task: Annotated[Optional[str], typer.Option("--task", "-t", help="Only this task id.")] = None,
             fmt: FormatOpt = SrcFormat.auto, max_size: MaxSizeOpt = None):
    """Check each task's verifier: do-nothing scores 0, the reference scores 1, placeholders and
    damaged outputs score lower, scores are deterministic and fast enough. Exit 1 if any fails."""
    from clawgym.verify._qa import PROBES, qa_many

    tasks = _load(src, fmt, max_size)
    tasks = _select(tasks, task, src)

    def done(r) -> None:
        if as_json:
            print(json.dumps(r.json_line()), flush=True)

    results = qa_many(tasks, concurrency=concurrency, on_result=done, aggregation=aggregation.value,
                      tolerance=tolerance, backend=sandbox)
    failed = [r for r in results if not r.passed]
    if not as_json:
        marks = {"pass": "[green]pass[/green]", "fail": "[red]FAIL[/red]", "skipped": "[dim]skipped[/dim]"}
        table = Table("task", *PROBES, title=f"verifier QA ({aggregation.value})")
        for r in results:
            table.add_row(r.task_id, *(marks[r.checks[p].status] if p in r.checks else "-" for p in PROBES))
        out.print(table)
        for r in failed:
            for name, c in r.checks.items():
                if c.status == "fail":
                    out.print(f"[red]{r.task_id}[/red] {name}: {escape(json.dumps(c.detail)[:400])}", highlight=False)
        out.print(f"{len(results) - len(failed)}/{len(results)} task(s) passed")
    if failed:
        raise typer.Exit(1)


@app.command("verify")
def verify(src: SrcArg,
           task: Annotated[Optional[str], typer.Option("--task", "-t", help="Only this task id.")] = None,
           workspace: Annotated[Optional[Path], typer.Option(
               "--workspace", "-w", help="A final workspace to score (needs --task when SRC has several).")] = None,
           aggregation: Annotated[Agg, typer.Option(envvar="CLAWGYM_AGGREGATION", help=(
               "default: mean of the checks, or the script's own `reward`; legacy: exactly "
               "ClawGym's reward.sh (the `reward` key averaged in)."))] = Agg.default,
           concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, envvar="CLAWGYM_CONCURRENCY",
                                                    help="Verifiers at once.")] = 4,
           as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
           sandbox: Annotated[str, typer.Option(envvar="CLAWGYM_SANDBOX", help="bwrap or process.")] = "bwrap",
           python: Annotated[Optional[str], typer.Option(envvar="CLAWGYM_VERIFY_PYTHON",
                                                         help="Interpreter for the checks.")] = None,
           timeout: Annotated[Optional[float], typer.Option(help="Seconds per verifier (default 120).")] = None,
           judge_model: Annotated[Optional[str], typer.Option(envvar="CLAWGYM_JUDGE_MODEL",
                                                              help="Model spec of the rubric judge.")] = None,
           judge_votes: Annotated[int, typer.Option(min=1, help="Judge votes per rubric rule (median).")] = 1,
           fmt: FormatOpt = SrcFormat.auto, max_size: MaxSizeOpt = None,
           fail_on_error: Annotated[bool, typer.Option(help="Exit 1 if any verifier failed.")] = False):
    """Score final workspaces with the tasks' checks.

    Without --workspace, score every task's untouched workspace (the do-nothing baseline)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from clawgym.verify import verify_many

    tasks = _load(src, fmt, max_size)
    tasks = _select(tasks, task, src)
    if workspace is not None:
        if len(tasks) != 1:
            _fail(f"--workspace scores one task, but {src} has {len(tasks)}: pass --task ID")
        if not workspace.is_dir():
            _fail(f"workspace {workspace} is not a folder")
    results = []
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as progress:
        bar = progress.add_task("verifying", total=len(tasks))

        def done(r):
            progress.advance(bar)
            if as_json:
                print(json.dumps({"task_id": r.task_id, "score": r.score, "checks": r.checks,
                                  "error": r.error, "status": r.status, "code_score": r.code_score,
                                  "rubric_score": r.rubric_score, "rubric_status": r.rubric_status}), flush=True)

        try:
            judge = _model(judge_model) if judge_model else None
            from clawgym.verify._rubric import JudgeCache

            results = verify_many(tasks, [workspace] * len(tasks) if workspace else None,
                                  concurrency=concurrency, on_result=done, aggregation=aggregation.value,
                                  backend=sandbox, python=python, timeout_s=timeout, judge=judge,
                                  judge_votes=judge_votes, judge_cache=JudgeCache() if judge else None)
        except (ClawGymError, ValueError) as exc:
            _fail(str(exc))
    errors = [r for r in results if r.status != "ok"]
    if not as_json:
        table = Table("task", "status", "score", "checks passed", "error", title=f"verify ({aggregation.value})")
        for r in results:
            passed = sum(1 for v in r.checks.values() if v >= 1)
            table.add_row(r.task_id, r.status if r.status == "ok" else f"[red]{r.status}[/red]",
                          f"{r.score:.3f}", f"{passed}/{len(r.checks)}", escape((r.error or "")[:80]))
        out.print(table)
        mean = sum(r.score for r in results) / len(results) if results else 0.0
        out.print(f"{len(results)} task(s), mean score {mean:.3f}, {len(errors)} verifier error(s)")
    if errors and fail_on_error:
        raise typer.Exit(1)


ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", envvar="CLAWGYM_MODEL", help=(
    "openai:NAME (uses OPENAI_BASE_URL / OPENAI_API_KEY), hf:PATH, smollm2, scripted:FILE, module:Class."))]


def _model(spec: str):
    from clawgym.models import ModelError, load_model

    try:
        return load_model(spec)
    except (ModelError, OSError, ValueError) as exc:
        _fail(f"cannot load model {spec!r}: {exc}")


class _Printer:
    """Streams a rollout readably: who said what, which tool ran, what came back."""

    def __init__(self, show: bool):
        self.show = show

    def __call__(self, kind: str, data: dict) -> None:
        if not self.show:
            return
        if kind == "user":
            err.rule("[bold]task")
            err.print(escape(data["content"][:2000]), highlight=False)
        elif kind == "assistant":
            if data["content"]:
                err.print(f"[bold cyan]assistant:[/bold cyan] {escape(data['content'][:2000])}", highlight=False)
            for c in data["tool_calls"]:
                err.print(f"[bold magenta]→ {escape(c['name'] or '?')}[/bold magenta] {escape(c['arguments'][:500])}",
                          highlight=False)
        elif kind == "tool":
            style = "red" if data["is_error"] else "dim"
            err.print(f"[{style}]{escape(data['content'][:1500])}[/{style}]", highlight=False)


@app.command("agent")
def agent_cmd(src: SrcArg,
              task: Annotated[Optional[str], typer.Option("--task", "-t", help="Task id (needed when SRC has several).")] = None,
              model: ModelOpt = None,
              agent: Annotated[str, typer.Option("--agent", "-a", envvar="CLAWGYM_AGENT", help="llm, oracle or noop.")] = "llm",
              max_steps: Annotated[Optional[int], typer.Option(min=1, help="Most model turns (default: the task's, else 30).")] = None,
              timeout: Annotated[Optional[float], typer.Option(help="Agent wall time in seconds (default 600).")] = None,
              max_tokens: Annotated[Optional[int], typer.Option(help="Total token budget over all turns.")] = None,
              temperature: Annotated[Optional[float], typer.Option(help="Sampling temperature.")] = None,
              turn_tokens: Annotated[Optional[int], typer.Option(help="Most tokens per model turn.")] = None,
              seed: Annotated[Optional[int], typer.Option(help="Sampling seed.")] = None,
              show: Annotated[bool, typer.Option("--show/--quiet", help="Stream the trajectory to the terminal.")] = True,
              out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Append the trajectory to this JSONL.")] = None,
              aggregation: Annotated[Agg, typer.Option(help="Score aggregation (see verify).")] = Agg.default,
              sandbox: Annotated[str, typer.Option(envvar="CLAWGYM_SANDBOX", help="bwrap or process.")] = "bwrap",
              fmt: FormatOpt = SrcFormat.auto):
    """Run one rollout of an agent on one task, stream it, save the trajectory and print the scores."""
    from clawgym.agent import AgentConfig, make_agent, rollout
    from clawgym.models import SamplingParams

    tasks = _load(src, fmt)
    tasks = _select(tasks, task, src)
    if len(tasks) != 1:
        _fail(f"{src} has {len(tasks)} tasks: pass --task ID")
    if agent == "llm" and not model:
        _fail("the llm agent needs --model (e.g. --model smollm2 or --model openai:NAME)")
    config = AgentConfig(max_steps=max_steps, timeout_s=timeout, max_tokens=max_tokens,
                         sampling=SamplingParams(temperature=temperature, max_tokens=turn_tokens, seed=seed))
    try:
        the_agent = make_agent(agent, _model(model) if agent == "llm" else None, config)
        traj = rollout(tasks[0], the_agent, backend=sandbox, aggregation=aggregation.value,
                       on_event=_Printer(show))
    except (ClawGymError, ValueError) as exc:
        _fail(str(exc))
    out_file = out_file or Path("trajectories.jsonl")
    with out_file.open("a", encoding="utf-8") as fh:
        fh.write(traj.model_dump_json() + "\n")
    v = traj.verification
    table = Table("task", "status", "stop", "steps", "tokens", "score", "checks passed", title="rollout")
    passed = sum(1 for x in v.checks.values() if x >= 1) if v else 0
    table.add_row(traj.task_id, traj.status, traj.stop_reason or "-", str(len(traj.steps)), str(traj.usage.total),
                  f"{traj.score:.3f}" + ("" if not v or v.status == "ok" else f" ({v.status})"),
                  f"{passed}/{len(v.checks) if v else 0}")
    out.print(table)
    if traj.error:
        err.print(f"[red]{escape(traj.error)}[/red]")
    if v and v.checks:
        failed = [k for k, x in v.checks.items() if x < 1]
        if failed:
            out.print("failed checks: " + ", ".join(failed), highlight=False)
    err.print(f"trajectory appended to {out_file}")


@app.command("serve")
def serve_cmd(model: Annotated[str, typer.Option("--model", "-m", envvar="CLAWGYM_MODEL", help="Model spec to serve.")],
              port: Annotated[int, typer.Option(envvar="CLAWGYM_PORT", help="Port to listen on.")] = 8000,
              host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1"):
    """Serve a model as an OpenAI-compatible chat-completions endpoint (tool calls included)."""
    from clawgym.models._serve import serve

    the_model = _model(model)
    err.print(f"serving {the_model.name} at http://{host}:{port}/v1 (Ctrl-C to stop)")
    serve(the_model, host=host, port=port)


@app.command("run")
def run_cmd(src: Annotated[Optional[Path], typer.Argument(help="Tasks to run (default: the built-in starter suite).")] = None,
            agent: Annotated[str, typer.Option("--agent", "-a", envvar="CLAWGYM_AGENT", help="llm, oracle or noop.")] = "llm",
            model: ModelOpt = None,
            samples: Annotated[int, typer.Option("--samples", "-k", min=1, help="Attempts per task.")] = 1,
            concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, envvar="CLAWGYM_CONCURRENCY",
                                                     help="Attempts (sandboxes) at once.")] = 2,
            model_concurrency: Annotated[Optional[int], typer.Option(
                min=1, help="Model calls at once (default: no limit beyond --concurrency).")] = None,
            out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", envvar="CLAWGYM_OUT", help="Run folder (default runs/<time>).")] = None,
            resume: Annotated[bool, typer.Option(help="Finish the run in --out: nothing done twice.")] = False,
            force: Annotated[bool, typer.Option(help="Resume even if the configuration changed.")] = False,
            executor: Annotated[str, typer.Option(envvar="CLAWGYM_EXECUTOR", help="local or ray.")] = "local",
            ray_address: Annotated[Optional[str], typer.Option(envvar="RAY_ADDRESS", help="A Ray cluster to use.")] = None,
            max_steps: Annotated[Optional[int], typer.Option(min=1, help="Most model turns per attempt.")] = None,
            timeout: Annotated[Optional[float], typer.Option(help="Agent wall time per attempt, seconds.")] = None,
            temperature: Annotated[Optional[float], typer.Option(help="Sampling temperature.")] = None,
            turn_tokens: Annotated[Optional[int], typer.Option(help="Most tokens per model turn.")] = None,
            max_tokens: Annotated[Optional[int], typer.Option(help="Total tokens per attempt.")] = None,
            seed: Annotated[Optional[int], typer.Option(help="Sampling seed.")] = None,
            aggregation: Annotated[Agg, typer.Option(help="Score aggregation (see verify).")] = Agg.default,
            sandbox: Annotated[str, typer.Option(envvar="CLAWGYM_SANDBOX", help="bwrap or process.")] = "bwrap",
            judge_model: Annotated[Optional[str], typer.Option(envvar="CLAWGYM_JUDGE_MODEL",
                                                              help="Model spec of the rubric judge.")] = None,
            judge_votes: Annotated[int, typer.Option(min=1, help="Judge votes per rubric rule (median).")] = 1,
            fmt: FormatOpt = SrcFormat.auto):
    """Run an agent over a task suite: tasks x samples, each attempt in its own sandbox, verified,
    stored crash-safely, then summarised and rendered as report.html.

    With no arguments: the built-in starter suite with the embedded SmolLM2 model."""
    import time as _time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from clawgym.runs import ConfigMismatch, RunConfig, execute, summarize, summary_tables, write_report

    if src is None:
        from clawgym.starter import STARTER_DIR

        src = STARTER_DIR
        if agent == "llm" and model is None:
            model = "smollm2"
            # budgets sized so the whole suite fits in ~3 minutes on 2 CPU cores
            max_steps = max_steps or 3
            turn_tokens = turn_tokens or 64
    if agent == "llm" and not model:
        _fail("the llm agent needs --model (e.g. --model smollm2 or --model openai:NAME)")
    tasks = _load(src, fmt)
    if out_dir is None:
        if resume:
            _fail("--resume needs --out RUNDIR")
        out_dir = Path("runs") / _time.strftime("%Y%m%d-%H%M%S")
    elif out_dir.exists() and any(out_dir.iterdir()) and not resume:
        _fail(f"{out_dir} already holds a run: pass --resume to finish it, or choose another --out")
    config = RunConfig(tasks=str(src), task_ids=[t.id for t in tasks], agent=agent, model=model if agent == "llm" else None,
                       samples=samples, max_steps=max_steps, timeout_s=timeout, temperature=temperature,
                       turn_tokens=turn_tokens, max_tokens=max_tokens, seed=seed, aggregation=aggregation.value,
                       sandbox=sandbox, judge_model=judge_model, judge_votes=judge_votes)
    state = {"done": 0, "running": 0, "score": 0.0}
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("running {task.fields[running]}  mean {task.fields[mean]}"), TimeRemainingColumn(),
                  console=err, transient=False, disable=not err.is_terminal) as progress:
        bar = progress.add_task("run", total=None, running=0, mean="-")

        def on(kind: str, data: dict) -> None:
            if kind == "start":
                finished = [r for r in data["rows"] if r.state in ("done", "agent_error", "infra_error")]
                state["done"], state["score"] = len(finished), sum(r.score or 0 for r in finished)
                progress.update(bar, total=data["total"], completed=state["done"])
                if not err.is_terminal:
                    err.print(f"{data['pending']} of {data['total']} attempt(s) to run")
            elif kind == "running":
                state["running"] += 1
            elif kind == "retry":
                state["running"] -= 1
                err.print(f"[yellow]retrying {data['task_id']} #{data['sample']}: {escape(str(data['error']))[:200]}[/yellow]")
            elif kind == "done":
                t = data["traj"]
                state["running"] -= 1
                state["done"] += 1
                state["score"] += t.score
                if not err.is_terminal:
                    err.print(f"[{state['done']}] {t.task_id} #{t.sample}: {t.score:.3f} ({t.status}, {t.stop_reason})",
                              highlight=False)
            mean = f"{state['score'] / state['done']:.3f}" if state["done"] else "-"
            progress.update(bar, completed=state["done"], running=max(state["running"], 0), mean=mean)

        try:
            store = execute(tasks, config, out_dir, concurrency=concurrency, model_concurrency=model_concurrency,
                            executor=executor, ray_address=ray_address, force=force, progress=on)
        except ConfigMismatch as exc:
            _fail(str(exc))
        except (ClawGymError, ValueError) as exc:
            _fail(str(exc))
    rows, wall = store.rows(), store.wall_s()
    store.close()
    for table in summary_tables(out_dir.name, summarize(rows, wall)):
        out.print(table)
    report = write_report([out_dir])
    err.print(f"run folder {out_dir}; report {report}")


@app.command("report")
def report_cmd(run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
               compare: Annotated[Optional[list[Path]], typer.Option("--compare", help="Other runs to show beside it.")] = None,
               as_json: Annotated[bool, typer.Option("--json", help="One JSON object per attempt per line.")] = False,
               out_file: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write the HTML.")] = None):
    """Print a run's results and write a self-contained report.html (runs side by side with --compare)."""
    from clawgym.runs import RunStore, summarize, summary_tables, write_report

    dirs = [run_dir, *(compare or [])]
    for d in dirs:
        if not (d / RunStore.DB).is_file():
            _fail(f"{d} is not a run folder (no {RunStore.DB})")
    if as_json:
        with RunStore(run_dir) as store:
            for r in store.rows():
                print(json.dumps(r.report_json()))
        return
    for d in dirs:
        with RunStore(d) as store:
            for table in summary_tables(d.name, summarize(store.rows(), store.wall_s())):
                out.print(table)
    err.print(f"report written to {write_report(dirs, out_file)}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
