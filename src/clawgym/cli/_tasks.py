"""`clawgym tasks ...`: import, export, list, lint and QA of task datasets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from clawgym.cli._common import Agg, DestFormat, FromOpt, MaxSizeOpt, SrcArg, SrcFormat, _fail, _load, _select, err, out, tasks_app
from clawgym.errors import TaskSpecError


@tasks_app.command("import")
def tasks_import(src: SrcArg,
                 out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write native tasks to.")],
                 from_: FromOpt = SrcFormat.auto, max_size: MaxSizeOpt = None,
                 overwrite: Annotated[bool, typer.Option(help="Replace --out if it exists.")] = False):
    """Import tasks from any supported format into native task folders."""
    from clawgym.tasks import save_tasks

    tasks = _load(src, from_, max_size)
    try:
        save_tasks(tasks, out_dir, "native", overwrite=overwrite)
    except FileExistsError as exc:
        _fail(str(exc))
    err.print(f"imported {len(tasks)} task(s) into {out_dir}")


@tasks_app.command("export")
def tasks_export(src: SrcArg,
                 to: Annotated[DestFormat, typer.Option("--format", "-f", help="Format to write.")],
                 out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder (or .jsonl file) to write.")],
                 from_: FromOpt = SrcFormat.auto, max_size: MaxSizeOpt = None,
                 overwrite: Annotated[bool, typer.Option(help="Replace --out if it exists.")] = False):
    """Export tasks to ClawGym's repository layout, Harbor's task layout, or JSONL."""
    from clawgym.tasks import save_tasks

    tasks = _load(src, from_, max_size)
    try:
        save_tasks(tasks, out_dir, to.value, overwrite=overwrite)
    except FileExistsError as exc:
        _fail(str(exc))
    err.print(f"exported {len(tasks)} task(s) as {to.value} to {out_dir}")


@tasks_app.command("list")
def tasks_list(src: SrcArg, from_: FromOpt = SrcFormat.auto, max_size: MaxSizeOpt = None):
    """List tasks: id, category, files, rubric, solution."""
    tasks = _load(src, from_, max_size)
    table = Table("id", "category", "files", "rubric", "solution", title=f"{len(tasks)} task(s) in {src}")
    for t in tasks:
        table.add_row(t.id, t.category or "-", str(len(t.workspace)),
                      str(len(t.rubric.rules)) + " rules" if t.rubric else "-",
                      "yes" if t.solution else "-")
    out.print(table)


@tasks_app.command("lint")
def tasks_lint(src: SrcArg, from_: FromOpt = SrcFormat.auto, max_size: MaxSizeOpt = None):
    """Report every problem in a dataset; exit 1 if there is any."""
    from clawgym.errors import Problem
    from clawgym.tasks import LoadOptions, load_tasks
    from clawgym.tasks import lint_task

    problems: list[Problem] = []
    options = LoadOptions(**({"max_file_bytes": max_size} if max_size else {}))
    try:
        tasks = load_tasks(src, from_.value, options, errors=problems)
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
             aggregation: Annotated[Agg, typer.Option(help="Score aggregation (see verify).")] = Agg.default,
             tolerance: Annotated[float, typer.Option(help="Highest do-nothing score that still passes.")] = 0.0,
             concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, help="Tasks at once.")] = 2,
             sandbox: Annotated[str, typer.Option(help="bwrap or process.")] = "bwrap",
             task: Annotated[Optional[str], typer.Option("--task", "-t", help="Only this task id.")] = None,
             from_: FromOpt = SrcFormat.auto, max_size: MaxSizeOpt = None):
    """Check each task's verifier; exit 1 if any fails.

    Do-nothing scores 0, the reference scores 1, placeholders and damaged outputs score lower,
    the same workspace scores the same twice, and verification is fast enough. Then what a
    cheating agent would try: inputs tampered after the right answer, the answer's shell, one
    answer for the whole family (the other tasks' reference answers), over-doing, agent code
    looking for the answer key, and a second correct answer in another format (must pass). A
    probe that cannot run (no reference solution, no output path found, no other task of its
    family) is skipped: reported as skipped, never counted as passed."""
    from clawgym.jsonl import JsonlWriter
    from clawgym.verify import PROBES, qa_many

    tasks = _load(src, from_, max_size)
    tasks = _select(tasks, task, src)
    lines = JsonlWriter() if as_json else None

    def done(r) -> None:
        if lines is not None:  # from worker threads: whole lines, one writer
            lines.write(r.json_line())

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
        partial = [r for r in results if r.passed and r.skipped]
        skipped = Counter(name for r in results for name in r.skipped)
        out.print(f"{len(results) - len(failed) - len(partial)}/{len(results)} task(s) passed every probe, "
                  f"{len(partial)} passed with probes skipped, {len(failed)} failed", highlight=False)
        if skipped:
            out.print("skipped (not checked): " + ", ".join(f"{name} x{n}" for name, n in sorted(skipped.items())),
                      highlight=False)
    if failed:
        raise typer.Exit(1)

