"""What every `clawgym` command shares: the Typer apps, consoles, option types and helpers."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from clawgym.errors import TaskSpecError

app = typer.Typer(name="clawgym", help="Synthesize, run, verify and benchmark personal-agent tasks.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  # every flag is also read from CLAWGYM_<COMMAND>_<FLAG> (e.g. CLAWGYM_RUN_SAMPLES),
                  # besides the shared ones named on the options (CLAWGYM_SANDBOX, ...)
                  context_settings={"auto_envvar_prefix": "CLAWGYM"})
tasks_app = typer.Typer(help="Import, export, list, lint and QA task datasets.", no_args_is_help=True)
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


ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", envvar="CLAWGYM_MODEL", help=(
    "openai:NAME (uses OPENAI_BASE_URL / OPENAI_API_KEY), hf:PATH, smollm2, scripted:FILE, module:Class."))]


def _model(spec: str):
    from clawgym.models import ModelError, load_model

    try:
        return load_model(spec)
    except (ModelError, OSError, ValueError) as exc:
        _fail(f"cannot load model {spec!r}: {exc}")
