"""`clawgym` commands. Everything here is also reachable from Python; this layer only parses
flags, shows progress and prints. Every flag can also be set by a CLAWGYM_* variable."""

from __future__ import annotations

import sys

# importing the command modules registers their commands, in this order in --help
from clawgym.cli import _tasks, _verify, _agent, _run  # noqa: F401, I001
from clawgym.cli._common import app, err

__all__ = ["_agent", "_run", "_tasks", "_verify", "app", "main"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
