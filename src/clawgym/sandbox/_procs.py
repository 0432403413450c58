"""Finding and killing every process of a sandbox's throw-away uid (setsid cannot hide one)."""

from __future__ import annotations

import os
import signal
import time


def uid_processes(uid: int) -> list[int]:
    """Live (non-zombie) processes owned by uid."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid != uid:
                    continue
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    state = fh.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in (b"Z", b"X"):
                pids.append(int(entry.name))
    return pids


def kill_uid(uid: int, rounds: int = 20) -> None:
    """SIGKILL every process owned by uid, repeating while a fork bomb still spawns."""
    for _ in range(rounds):
        pids = uid_processes(uid)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)
