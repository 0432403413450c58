"""Can the sandbox's throw-away uid reach a host path it was given? And if not, why, and what to do.

As root, a session runs as a fresh uid with no groups (see `_base._sandbox_uid`). A path under
a private folder (root's home is 0700 on Debian, and a repository cloned there inherits it) is
invisible to that uid: bubblewrap would stop with a bare "Permission denied" about a bind
source, the plain-process backend with a server that exits at once. Both are far from the
cause, so a backend checks the host paths it hands to the sandbox before it starts and names
the folder that blocks them.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from clawgym.errors import SandboxError


def _allows(st: os.stat_result, uid: int, bits: int) -> bool:
    """Mode bits as the kernel applies them to `uid` with gid `uid` and no other groups."""
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == uid else 0
    return (st.st_mode >> shift) & bits == bits


def _chain(path: str) -> list[str]:
    """Every folder a lookup of `path` walks through, its symlinks followed, then the path."""
    seen: list[str] = []
    for form in (os.path.abspath(path), os.path.realpath(path)):
        p = Path(form)
        for a in [*reversed(p.parents), p]:
            if str(a) not in seen:
                seen.append(str(a))
    return seen


def blocked_at(path: str, uid: int) -> tuple[str, str] | None:
    """The first folder or file on the way to `path` that keeps `uid` out, with the permission
    it lacks ("o+x" to enter a folder, "o+r" to read), or None when `uid` can reach it. The mode
    bits decide; a refusal is confirmed by trying as `uid`, so an ACL that grants access counts."""
    ends = {os.path.abspath(path), os.path.realpath(path)}
    for p in _chain(path):
        try:
            st = os.stat(p)
        except OSError:
            return None  # missing: the backend's own check says so
        is_dir = stat.S_ISDIR(st.st_mode)
        need = (4 | 1 if is_dir else 4) if p in ends else (1 if is_dir else 0)
        if need and not _allows(st, uid, need) and not _can_as(uid, p, need):
            return p, {1: "o+x", 4: "o+r", 5: "o+rx"}[need]
    return None


def _can_as(uid: int, path: str, need: int) -> bool:
    tests = (["-r"] if need & 4 else []) + (["-x"] if need & 1 else [])
    args = [a for t in tests for a in ("-a", t, path)][1:]
    try:
        return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "test", *args],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=10, cwd="/").returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_VERBS = {"o+x": "enter", "o+r": "read", "o+rx": "list"}


def check_reachable(paths: list[tuple[str, str]], uid: int | None, backend: str) -> None:
    """Raise SandboxError naming the first of `paths` ((path, what it is)) that `uid` cannot
    reach, the folder in the way and the two ways out. Nothing to check without a uid of its own."""
    if uid is None:
        return
    for path, what in paths:
        blocked = blocked_at(path, uid)
        if blocked is None:
            continue
        where, perm = blocked
        mode = stat.S_IMODE(os.stat(where).st_mode)
        kind = "folder" if os.path.isdir(where) else "file"
        raise SandboxError(
            f"the {backend} sandbox cannot see {what} {path}: it runs as a throw-away uid ({uid}), and the "
            f"{kind} {where} (mode {mode:04o}) lets no other user {_VERBS[perm]} it. "
            f"Move it under a folder every user may enter (e.g. /tmp, /opt or /var/cache), or allow "
            f"that with `chmod {perm} {where}`")
