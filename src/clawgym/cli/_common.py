"""What every `clawgym` command shares: the Typer apps, consoles, option types and helpers.

Two rules hold in every command:

- `--from FORMAT` is the format of the tasks read (auto-detected by default); `--format FORMAT`
  is the format written (only `tasks export` has one).
- Every flag can be set by the variable CLAWGYM_<COMMAND>_<FLAG> (CLAWGYM_VERIFY_TASK,
  CLAWGYM_TASKS_QA_CONCURRENCY); the flags in SHARED_ENV, which mean the same in every command,
  also by CLAWGYM_<FLAG> (CLAWGYM_MODEL), the specific name first. `env_rule` applies this to
  the whole command tree, so no option spells its own variable.
"""

from __future__ import annotations

import functools
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from clawgym.errors import TaskSpecError

# flags with one meaning in every command that has them: also settable as CLAWGYM_<FLAG>
SHARED_ENV = ("agent", "aggregation", "concurrency", "from", "judge-model", "max-file-size", "model", "sandbox")
HELP = ("Synthesize, run, verify and benchmark personal-agent tasks.\n\n"
        "Every flag can also be set by the variable CLAWGYM_<COMMAND>_<FLAG> (CLAWGYM_VERIFY_TASK, "
        "CLAWGYM_TASKS_QA_CONCURRENCY); " + ", ".join("--" + f for f in SHARED_ENV) +
        " also by CLAWGYM_<FLAG> (CLAWGYM_MODEL, CLAWGYM_SANDBOX). --from is the format read, --format the format "
        "written.")
app = typer.Typer(name="clawgym", help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
tasks_app = typer.Typer(help="Import, export, list, lint and QA task datasets.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
out = Console()
err = Console(stderr=True)


def env_rule(command: Any, path: tuple[str, ...] = ()) -> None:
    """Give every option of the tree its variables: CLAWGYM_<COMMAND>_<FLAG>, then CLAWGYM_<FLAG>
    for the shared flags, then any non-ClawGym name it declares itself (RAY_ADDRESS)."""
    for name, sub in getattr(command, "commands", {}).items():
        env_rule(sub, (*path, name))
    for param in command.params:
        if param.param_type_name != "option":  # (typer ships its own click: no isinstance)
            continue
        flag = next((o[2:] for o in param.opts if o.startswith("--")), param.name or "")
        names = ["_".join(["CLAWGYM", *path, flag]).upper().replace("-", "_")]
        if flag in SHARED_ENV:
            names.append(f"CLAWGYM_{flag}".upper().replace("-", "_"))
        declared = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or [])
        param.envvar = names + [v for v in declared if not v.startswith("CLAWGYM_")]
        param.show_envvar = True
        param.get_error_hint = functools.partial(_error_hint, param)


def _error_hint(param: Any, *_: Any) -> str:
    """How a bad value's option is named in the error: `'--sft-steps' (env var:
    CLAWGYM_DEMO_SFT_STEPS)`, the variables as one types them (typer prints the list's repr)."""
    flags = " / ".join(f"'{o}'" for o in param.opts) or f"'{param.name}'"
    return f"{flags} (env var: {', '.join(param.envvar)})"


def _version(value: bool) -> None:
    if value:
        from clawgym import __version__

        out.print(f"clawgym {__version__}", highlight=False)
        raise typer.Exit()


@app.callback(help=HELP)
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    pass


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
FromOpt = Annotated[SrcFormat, typer.Option("--from", help="Format of the tasks read (auto-detected by default).")]
FormatOpt = FromOpt  # the old name; `--format` now always means the format written
MaxSizeOpt = Annotated[Optional[int], typer.Option("--max-file-size",
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


ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", help=(
    "openai:NAME (uses OPENAI_BASE_URL / OPENAI_API_KEY), hf:PATH, smollm2, scripted:FILE, module:Class."))]
RequestTimeoutOpt = Annotated[Optional[float], typer.Option(
    "--request-timeout", min=0.001, help="Seconds one model request may take (default 120).")]
ModelTimeoutOpt = Annotated[Optional[float], typer.Option(
    "--model-timeout", min=0.001, help="Seconds one model call may take, retries included (default 600).")]


def _model(spec: str, request_timeout_s: float | None = None, total_timeout_s: float | None = None):
    from clawgym.models import ModelError, load_model

    try:
        return load_model(spec, request_timeout_s=request_timeout_s, total_timeout_s=total_timeout_s)
    except (ModelError, OSError, ValueError) as exc:
        _fail(f"cannot load model {spec!r}: {exc}")
