"""`clawgym run` (tasks x samples into a crash-safe run folder) and `clawgym report`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from clawgym import registry
from clawgym.cli._common import Agg, FromOpt, ModelOpt, SrcFormat, _load, app, err, out
from clawgym.errors import ClawGymError


def _fail(message: str, code: int = 1) -> None:
    """One error, one line, never wrapped: scripts grep it, and a wrapped path is unreadable."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _choices(kind: registry.Kind) -> str:
    return ", ".join(registry.names(kind)) + " or module:Class."


def resume_command(argv: list[str], out_dir: Path) -> str:
    """The command that finishes this run: the same arguments, with --out and --resume."""
    args, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in ("--out", "-o"):
            skip = True
        elif not (a.startswith("--out=") or a == "--resume"):
            args.append(a)
    return shlex.join(["clawgym", *args, "--out", str(out_dir), "--resume"])


@app.command("run")
def run_cmd(src: Annotated[Optional[Path], typer.Argument(help="Tasks to run (default: the built-in starter suite).")] = None,
            task: Annotated[Optional[list[str]], typer.Option(
                "--task", "-t", help="Only the tasks whose id matches: an id or a glob ('task_00*'); repeatable.")] = None,
            agent: Annotated[str, typer.Option("--agent", "-a", help=_choices("agent"))] = "llm",
            model: ModelOpt = None,
            samples: Annotated[int, typer.Option("--samples", "-k", min=1, help="Attempts per task.")] = 1,
            concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, help="Attempts (sandboxes) at once.")] = 2,
            model_concurrency: Annotated[Optional[int], typer.Option(
                min=1, help="Model calls at once (default: no limit beyond --concurrency).")] = None,
            out_dir: Annotated[Optional[Path], typer.Option("--out", "-o", help="Run folder (default runs/<time>).")] = None,
            resume: Annotated[bool, typer.Option(help="Finish the run in --out: nothing done twice, infra errors retried.")] = False,
            force: Annotated[bool, typer.Option(help="Resume even if the configuration changed.")] = False,
            executor: Annotated[str, typer.Option(help=_choices("executor"))] = "local",
            memory_budget: Annotated[Optional[float], typer.Option(
                min=0.0625, help="GiB of memory all the run's sandboxes may use together, as root with the local "
                "executor (default: 3/4 of this machine's); an attempt that pushes them over it is stopped as the "
                "agent's failure.")] = None,
            ray_address: Annotated[Optional[str], typer.Option(envvar="RAY_ADDRESS", help="A Ray cluster to use.")] = None,
            max_steps: Annotated[Optional[int], typer.Option(min=1, help="Most model turns per attempt.")] = None,
            timeout: Annotated[Optional[float], typer.Option(help="Agent wall time per attempt, seconds.")] = None,
            verify_timeout: Annotated[Optional[float], typer.Option(
                help="Verifier wall time per attempt, seconds (default: the task's, else 120).")] = None,
            temperature: Annotated[Optional[float], typer.Option(help="Sampling temperature.")] = None,
            turn_tokens: Annotated[Optional[int], typer.Option(help="Most tokens per model turn.")] = None,
            max_tokens: Annotated[Optional[int], typer.Option(help="Total tokens per attempt.")] = None,
            seed: Annotated[Optional[int], typer.Option(help="Sampling seed.")] = None,
            aggregation: Annotated[Agg, typer.Option(help="Score aggregation (see verify).")] = Agg.default,
            sandbox: Annotated[str, typer.Option(help=_choices("sandbox"))] = "bwrap",
            judge_model: Annotated[Optional[str], typer.Option(help="Model spec of the rubric judge.")] = None,
            judge_votes: Annotated[int, typer.Option(min=1, help="Judge votes per rubric rule (median).")] = 1,
            fmt: FromOpt = SrcFormat.auto):
    """Run an agent over a task suite and write report.html.

    Tasks x samples, each attempt in its own sandbox, verified, stored crash-safely in --out.

    Everything the run names is checked before anything is created. Ctrl-C stops it in seconds
    and prints the command that finishes it (--resume). Exits 1 when every attempt failed on the
    infrastructure.

    With no arguments: the built-in starter suite with the embedded SmolLM2 model."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from clawgym.runs import (AttemptDone, AttemptRetry, AttemptRunning, RunEvent, RunInterrupted, RunSetupError,
                              RunStarted, check_run, execute, make_config, run_folder, select_tasks, starter_source,
                              summarize, summary_tables, write_report)

    try:
        src, settings = starter_source(src, {"agent": agent, "model": model, "max_steps": max_steps,
                                             "turn_tokens": turn_tokens})
        out_dir = run_folder(out_dir, resume=resume)
    except RunSetupError as exc:
        _fail(str(exc))
    tasks = _load(src, fmt)
    try:
        tasks = select_tasks(tasks, task, src)
        config = make_config(tasks, src, **settings, samples=samples, timeout_s=timeout, verify_timeout_s=verify_timeout,
                             temperature=temperature, max_tokens=max_tokens, seed=seed, aggregation=aggregation.value,
                             sandbox=sandbox, judge_model=judge_model, judge_votes=judge_votes)
        check_run(tasks, config, executor=executor)
    except RunSetupError as exc:
        _fail(str(exc))
    state = {"done": 0, "running": 0, "score": 0.0}
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("running {task.fields[running]}  mean {task.fields[mean]}"), TimeRemainingColumn(),
                  console=err, transient=False, disable=not err.is_terminal) as progress:
        bar = progress.add_task("run", total=None, running=0, mean="-")

        def on(event: RunEvent) -> None:
            match event:
                case RunStarted(rows=rows, total=total, pending=pending):
                    finished = [r for r in rows if r.state in ("done", "agent_error", "infra_error")]
                    state["done"], state["score"] = len(finished), sum(r.score or 0 for r in finished)
                    progress.update(bar, total=total, completed=state["done"])
                    if not err.is_terminal:
                        err.print(f"{pending} of {total} attempt(s) to run")
                case AttemptRunning():
                    state["running"] += 1
                case AttemptRetry(task_id=task_id, sample=sample, error=error):
                    state["running"] -= 1
                    err.print(f"[yellow]retrying {task_id} #{sample}: {escape(str(error))[:200]}[/yellow]")
                case AttemptDone(traj=t):
                    state["running"] -= 1
                    state["done"] += 1
                    state["score"] += t.score
                    if not err.is_terminal:
                        err.print(f"[{state['done']}] {t.task_id} #{t.sample}: {t.score:.3f} ({t.status}, "
                                  f"{t.stop_reason})", highlight=False)
            mean = f"{state['score'] / state['done']:.3f}" if state["done"] else "-"
            progress.update(bar, completed=state["done"], running=max(state["running"], 0), mean=mean)

        try:
            store = execute(tasks, config, out_dir, concurrency=concurrency, model_concurrency=model_concurrency,
                            executor=executor, ray_address=ray_address, force=force, progress=on, check=False,
                            memory_budget_bytes=int(memory_budget * (1 << 30)) if memory_budget else None)
        except RunInterrupted as exc:
            progress.stop()
            _fail(f"{exc}; finish it with: {resume_command(sys.argv[1:], out_dir)}", code=130)
        except ClawGymError as exc:
            progress.stop()
            _fail(str(exc))
    rows, wall = store.rows(), store.wall_s()
    store.close()
    for table in summary_tables(out_dir.name, summarize(rows, wall)):
        out.print(table)
    try:
        report = write_report([out_dir])
    except ClawGymError as exc:
        _fail(str(exc))
    err.print(f"run folder {out_dir}; report {report}")
    broken = [r for r in rows if r.state == "infra_error"]
    if broken and len(broken) == len(rows):
        _fail(f"every attempt failed on the infrastructure, e.g. {broken[0].task_id}: "
              f"{(broken[0].error or '?').splitlines()[0][:300]}; fix that, then retry them with "
              f"{resume_command(sys.argv[1:], out_dir)}")


@app.command("report")
def report_cmd(run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
               compare: Annotated[Optional[list[Path]], typer.Option("--compare", help="Other runs to show beside it.")] = None,
               as_json: Annotated[bool, typer.Option("--json", help="One JSON object per attempt per line.")] = False,
               html_file: Annotated[Optional[Path], typer.Option(
                   "--html", "--out", "-o", help="Where to write the HTML (default: RUN/report.html, or "
                   "RUN/compare.html with --compare, so a comparison never replaces a run's own report).")] = None):
    """Print a run's results and write a self-contained report.html (runs side by side with --compare).

    Only reads the runs: safe while a run is still going."""
    from clawgym.runs import RunStore, summarize, summary_tables, write_report

    dirs = [run_dir, *(compare or [])]
    try:
        if as_json:
            from clawgym.jsonl import JsonlWriter

            writer = JsonlWriter()
            with RunStore.read(run_dir) as store:
                for r in store.rows():
                    writer.write(r.report_json())
            return
        for d in dirs:
            with RunStore.read(d) as store:
                for table in summary_tables(d.name, summarize(store.rows(), store.wall_s())):
                    out.print(table)
        err.print(f"report written to {write_report(dirs, html_file)}")
    except ClawGymError as exc:
        _fail(str(exc))
