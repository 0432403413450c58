"""`clawgym` commands. Everything here is also reachable from Python; this layer only parses
flags, shows progress and prints. Every flag can also be set by a CLAWGYM_* variable (the rule
is `env_rule` in _common)."""

from __future__ import annotations

import os
import sys
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


def main() -> None:
    wide_outside_a_terminal()
    try:
        command()(prog_name="clawgym")
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
