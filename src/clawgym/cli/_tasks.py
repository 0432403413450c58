"""`clawgym tasks ...`: import, export, list, lint and QA of task datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from clawgym.cli._common import Agg, DestFormat, FormatOpt, MaxSizeOpt, SrcArg, SrcFormat, _fail, _load, _select, err, out, tasks_app
from clawgym.errors import TaskSpecError


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
    """Check each task's verifier; exit 1 if any fails.

    Do-nothing scores 0, the reference scores 1, placeholders and damaged outputs score lower,
    the same workspace scores the same twice, and verification is fast enough."""
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
