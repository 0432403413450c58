"""`clawgym` commands. Everything here is also reachable from Python; this layer only parses
flags, shows progress and prints. Every flag can also be set by a CLAWGYM_* variable (the rule
is `env_rule` in _common)."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import typer

# importing the command modules registers their commands, in this order in --help
from clawgym.cli import _tasks, _verify, _agent, _run  # noqa: F401, I001
from clawgym.cli import _bench  # noqa: F401, E402, I001
from clawgym.cli import _synth  # noqa: F401, I001
from clawgym.cli import _train  # noqa: F401, I001
from clawgym.cli import _openclaw  # noqa: F401, I001
from clawgym.cli import _demo  # noqa: F401, I001
from clawgym.cli._common import app, env_rule, err

__all__ = ["_agent", "_run", "_tasks", "_verify", "app", "command", "main"]


def command() -> Any:
    """The whole command tree as click sees it, every option given its variables."""
    cmd = typer.main.get_command(app)
    env_rule(cmd)
    return cmd


# Outside a terminal, every command's --help is whole at this width (a test checks it).
PIPE_WIDTH = 160


def wide_outside_a_terminal() -> None:
    """Rich lays out for 80 columns when stdout is not a terminal (a pipe, a file, a CI log),
    which cuts the longer variable names in the option tables (CLAWGYM_DEMO_TRAIN_TASK…). There,
    unless COLUMNS or TERMINAL_WIDTH says otherwise, lay out PIPE_WIDTH wide."""
    if not sys.stdout.isatty() and not (os.environ.get("COLUMNS") or os.environ.get("TERMINAL_WIDTH")):
        import typer.rich_utils

        typer.rich_utils.MAX_WIDTH = PIPE_WIDTH


def read_settings() -> None:
    """Read every variable the library honours, once, here at the entry point, and install the
    result as the default below (`clawgym.settings.use`): nothing under the CLI reads the
    environment. A deprecated name is said on stderr; a bad value stops with the variable named."""
    from pydantic import ValidationError

    from clawgym import settings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        try:
            chosen = settings.Settings.from_env()
        except ValidationError as exc:
            names = {name: var for var, name in settings.Settings.variable_fields().items()}
            for e in exc.errors():
                where = str(e["loc"][0]) if e["loc"] else "?"
                err.print(f"[red]error:[/red] {names.get(where, where)}={e.get('input')!r}: {e['msg']}; "
                          "fix or unset it", highlight=False)
            sys.exit(2)
    for w in caught:
        err.print(f"warning: {w.message}", highlight=False)
    settings.use(chosen)


def main() -> None:
    wide_outside_a_terminal()
    read_settings()
    try:
        command()(prog_name="clawgym")
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
