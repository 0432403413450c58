"""Workspaces as tar streams: what the host sends into a sandbox (task files, a user's folder).

The host builds these only from trusted sources (a task's files, a folder a user named); what an
agent produced leaves a sandbox only as `Sandbox.export`'s stream and enters another sandbox the
same way, so no host process ever opens a path inside an agent's workspace.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from clawgym import settings
from clawgym.errors import SandboxError
from clawgym.tasks import TaskFile


def max_workspace_entries() -> int:
    """The cap on files and folders in a copied workspace: the settings' (CLAWGYM_MAX_WORKSPACE_ENTRIES)."""
    return settings.current().max_workspace_entries


def tar_files(files: Iterable[TaskFile]) -> bytes:
    """A tar of task files (paths relative to the workspace)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for f in files:
            ti = tarfile.TarInfo(f.path)
            ti.size, ti.mode = len(f.data), 0o755 if f.executable else 0o644
            tf.addfile(ti, io.BytesIO(f.data))
    return buf.getvalue()


def tar_directory(src: Path) -> IO[bytes]:
    """A tar of a host folder a user named, with the rules a sandbox's export follows: folders
    and regular files; a symlink becomes a copy of its target when that is a regular file inside
    the folder, any other link, FIFO, socket or device is left out (opening a FIFO would hang)."""
    src = Path(src)
    if not src.is_dir():
        raise SandboxError(f"workspace {src} is not a folder")
    real = os.path.realpath(src)
    out = tempfile.SpooledTemporaryFile(max_size=32 << 20)
    entries, cap = 0, max_workspace_entries()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tf:
        stack = [str(src)]
        while stack:  # iterative: no recursion limit on deep trees
            d = stack.pop()
            for e in sorted(os.scandir(d), key=lambda e: e.name):
                entries += 1
                if entries > cap:
                    raise SandboxError(f"workspace {src} holds more than {cap} files and folders; raise the cap "
                                       "with CLAWGYM_MAX_WORKSPACE_ENTRIES if it is meant to")
                rel = os.path.relpath(e.path, src)
                path, st = e.path, e.stat(follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    target = os.path.realpath(e.path)
                    if not target.startswith(real + os.sep) or not os.path.isfile(target):
                        continue
                    path, st = target, os.stat(target)
                if stat.S_ISDIR(st.st_mode):
                    ti = tarfile.TarInfo(rel)
                    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                    tf.addfile(ti)
                    stack.append(e.path)
                elif stat.S_ISREG(st.st_mode):
                    ti = tarfile.TarInfo(rel)
                    ti.size, ti.mode = st.st_size, 0o755 if st.st_mode & 0o100 else 0o644
                    with open(path, "rb") as fh:
                        tf.addfile(ti, fh)
    out.seek(0)
    return out
