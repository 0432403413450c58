"""The `clawgym` command line: a thin Typer layer over the Python API."""

from clawgym.cli._app import app, command, main

__all__ = ["app", "command", "main"]
