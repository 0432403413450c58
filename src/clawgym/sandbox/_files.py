"""Moving workspaces in and out of sandboxes without trusting what is in them."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from clawgym.errors import SandboxError

MAX_WORKSPACE_ENTRIES = int(os.environ.get("CLAWGYM_MAX_WORKSPACE_ENTRIES", 200_000))


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def copy_workspace(src: Path, dest: Path) -> None:
    """Copy a workspace, replacing each symlink by a copy of what it points at, as of now,
    when that is a file inside the workspace; any other link is dropped.

    Links are never carried over: a link to a host file, or to where the checks will appear
    (`reward/expected.json`), would let an agent point an output at content it did not write.
    """
    real = os.path.realpath(src)
    entries = 0
    for _, dirnames, filenames in os.walk(src):
        entries += len(dirnames) + len(filenames)
        if entries > MAX_WORKSPACE_ENTRIES:
            raise SandboxError(f"workspace {src} holds more than {MAX_WORKSPACE_ENTRIES} files and folders")

    def ignore(dirpath: str, names: list[str]) -> set[str]:
        # links are handled below; FIFOs, sockets and devices are never copied (opening a FIFO
        # an agent left behind would hang the copy forever)
        skip = set()
        for n in names:
            full = os.path.join(dirpath, n)
            if os.path.islink(full):
                skip.add(n)
                continue
            try:
                mode = os.lstat(full).st_mode
            except OSError:
                skip.add(n)
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                skip.add(n)
        return skip

    shutil.copytree(src, dest, symlinks=True, ignore=ignore)
    for dirpath, dirnames, filenames in os.walk(src):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            if not os.path.islink(full):
                continue
            target = os.path.realpath(full)
            if (target.startswith(real + os.sep) and os.path.isfile(target)
                    and os.path.exists(os.path.join(dest, os.path.relpath(os.path.dirname(full), src)))):
                shutil.copyfile(target, os.path.join(dest, os.path.relpath(full, src)))
