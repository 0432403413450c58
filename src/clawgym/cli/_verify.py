"""`clawgym verify`: score final workspaces (or the untouched ones) with the tasks' checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from clawgym.cli._common import Agg, FromOpt, MaxSizeOpt, SrcArg, SrcFormat, _fail, _load, _model, _select, app, err, out
from clawgym.errors import ClawGymError


@app.command("verify")
def verify(src: SrcArg,
           task: Annotated[Optional[str], typer.Option("--task", "-t", help="Only this task id.")] = None,
           workspace: Annotated[Optional[Path], typer.Option(
               "--workspace", "-w", help="A final workspace to score (needs --task when SRC has several).")] = None,
           aggregation: Annotated[Agg, typer.Option(help=(
               "default: mean of the checks, or the script's own `reward`; legacy: exactly "
               "ClawGym's reward.sh (the `reward` key averaged in)."))] = Agg.default,
           concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1,
                                                    help="Verifiers at once.")] = 4,
           as_json: Annotated[bool, typer.Option("--json", help="One VerifyResult per line, as JSON.")] = False,
           sandbox: Annotated[str, typer.Option(help="bwrap or process.")] = "bwrap",
           python: Annotated[Optional[str], typer.Option(help="Interpreter for the checks.")] = None,
           timeout: Annotated[Optional[float], typer.Option(help="Seconds per verifier (default 120).")] = None,
           judge_model: Annotated[Optional[str], typer.Option(help="Model spec of the rubric judge.")] = None,
           judge_votes: Annotated[int, typer.Option(min=1, help="Judge votes per rubric rule (median).")] = 1,
           from_: FromOpt = SrcFormat.auto, max_size: MaxSizeOpt = None,
           fail_on_error: Annotated[bool, typer.Option(help="Exit 1 if any verifier failed.")] = False):
    """Score final workspaces with the tasks' checks.

    Without --workspace, score every task's untouched workspace (the do-nothing baseline)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from clawgym.jsonl import JsonlWriter
    from clawgym.verify import JudgeCache, verify_many

    tasks = _load(src, from_, max_size)
    tasks = _select(tasks, task, src)
    if workspace is not None:
        if len(tasks) != 1:
            _fail(f"--workspace scores one task, but {src} has {len(tasks)}: pass --task ID")
        if not workspace.is_dir():
            _fail(f"workspace {workspace} is not a folder")
    results = []
    lines = JsonlWriter() if as_json else None
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as progress:
        bar = progress.add_task("verifying", total=len(tasks))

        def done(r):
            progress.advance(bar)
            if lines is not None:
                lines.write(r)  # from worker threads: whole lines, one writer

        try:
            judge = _model(judge_model) if judge_model else None
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
