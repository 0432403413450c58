"""`clawgym` commands. Everything here is also reachable from Python; this layer only parses
flags, shows progress and prints. Every flag can also be set by a CLAWGYM_* variable (the rule
is `env_rule` in _common)."""

from __future__ import annotations

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


def main() -> None:
    try:
        command()(prog_name="clawgym")
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
