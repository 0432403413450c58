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
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
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
           fmt: FormatOpt = SrcFormat.auto, max_size: MaxSizeOpt = None,
           fail_on_error: Annotated[bool, typer.Option(help="Exit 1 if any verifier failed.")] = False):
    """Score final workspaces with the tasks' checks.

    Without --workspace, score every task's untouched workspace (the do-nothing baseline)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from clawgym.verify import verify_many

    tasks = _load(src, fmt, max_size)
    if task is not None:
        tasks = [t for t in tasks if t.id == task]
        if not tasks:
            _fail(f"no task with id {task!r} in {src}")
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
                                  "error": r.error, "status": r.status}), flush=True)

        try:
            results = verify_many(tasks, [workspace] * len(tasks) if workspace else None,
                                  concurrency=concurrency, on_result=done, aggregation=aggregation.value,
                                  backend=sandbox, python=python, timeout_s=timeout)
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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
