"""Whole-sandbox limits: one cgroup per sandbox for its total memory (private mounts included:
tmpfs pages are charged to the cgroup of the process that writes them) and its process count.

cgroup v1 (separate `memory` and `pids` hierarchies) where mounted and writable, else v2. Only
root can make cgroups; elsewhere `create` returns None and the per-process limits remain. The
sandbox enters its cgroup before anything of it runs: a two-line `sh` writes its own pid into
`cgroup.procs`, then execs the rest of the command, so no process of it is ever outside.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from clawgym.errors import SandboxError

_V1 = Path("/sys/fs/cgroup")
_PARENT = "clawgym"


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


class Cgroup:
    def __init__(self, dirs: list[Path], memory_dir: Path | None, version: int):
        self.dirs, self.memory_dir, self.version = dirs, memory_dir, version

    @classmethod
    def create(cls, name: str, *, memory_bytes: int | None, pids: int | None,
               group: str | None = None) -> Cgroup | None:
        """The sandbox's cgroup, inside the memory group `group` (see `MemoryGroup`) when given.
        Raises SandboxError when that group is gone (its run ended): never a sandbox outside it."""
        if os.geteuid() != 0 or (memory_bytes is None and pids is None):
            return None
        mem_root, pids_root = _V1 / "memory", _V1 / "pids"
        if group is not None:
            _check_group(group, mem_root)
        sub = [group, name] if group is not None else [name]
        if mem_root.is_dir() and pids_root.is_dir() and os.access(mem_root, os.W_OK):
            dirs, mem = [], None
            try:
                if memory_bytes is not None:
                    mem = mem_root.joinpath(_PARENT, *sub)
                    mem.mkdir(parents=True)
                    dirs.append(mem)
                    (mem / "memory.limit_in_bytes").write_text(str(memory_bytes))
                    _write(mem / "memory.memsw.limit_in_bytes", str(memory_bytes))  # no swapping past it
                if pids is not None:
                    p = pids_root.joinpath(_PARENT, *sub)
                    p.mkdir(parents=True)
                    dirs.append(p)
                    (p / "pids.max").write_text(str(pids))
            except OSError:
                cls(dirs, mem, 1).remove()
                return None
            return cls(dirs, mem, 1)
        v2 = _V1 / "cgroup.controllers"
        if v2.is_file() and {"memory", "pids"} <= set(v2.read_text().split()):
            d = _V1 / _PARENT
            try:
                d.mkdir(exist_ok=True)
                _write(d / "cgroup.subtree_control", "+memory +pids")
                if group is not None:
                    d = d / group
                    _write(d / "cgroup.subtree_control", "+memory +pids")
                me = d / name
                me.mkdir()
                if memory_bytes is not None:
                    (me / "memory.max").write_text(str(memory_bytes))
                    _write(me / "memory.swap.max", "0")
                if pids is not None:
                    (me / "pids.max").write_text(str(pids))
            except OSError:
                return None
            return cls([me], me, 2)
        return None

    def enter_argv(self) -> list[str]:
        """A prefix that puts the command into this cgroup, then execs it."""
        procs = [str(d / "cgroup.procs") for d in self.dirs]
        script = 'for f in ' + " ".join(f'"${i + 1}"' for i in range(len(procs))) + \
            '; do echo $$ > "$f" || exit 125; done; shift ' + str(len(procs)) + '; exec "$@"'
        return ["/bin/sh", "-c", script, "sh", *procs]

    def oom_kills(self) -> int:
        """Processes the kernel killed for this cgroup's memory limit so far."""
        if self.memory_dir is None:
            return 0
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            for line in (self.memory_dir / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def hit_own_limit(self) -> bool:
        """Whether this cgroup's own memory limit was reached (else an OOM kill in it came from
        a limit above it: its memory group's)."""
        if self.memory_dir is None:
            return False
        try:
            if self.version == 1:  # (its failcnt stays 0 here even when the limit is hit: peak usage)
                peak = int((self.memory_dir / "memory.max_usage_in_bytes").read_text())
                return peak >= int((self.memory_dir / "memory.limit_in_bytes").read_text()) - (2 << 20)
            for line in (self.memory_dir / "memory.events.local").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "max":
                    return int(value) > 0
        except (OSError, ValueError):
            pass
        return True

    def pids(self) -> list[int]:
        out: set[int] = set()
        for d in self.dirs:
            try:
                out.update(int(x) for x in (d / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return sorted(out)

    def kill(self) -> None:
        """SIGKILL every process in the cgroup, repeating while a fork bomb still spawns."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.005)

    def remove(self) -> None:
        self.kill()
        for d in self.dirs:
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still busy for a moment after the last process died
                    time.sleep(0.01)


def _check_group(group: str, mem_root: Path) -> None:
    if not ((mem_root / _PARENT / group).is_dir() or (_V1 / _PARENT / group).is_dir()):
        raise SandboxError(f"the memory group {group!r} does not exist (its run has ended?): make one with "
                           "MemoryGroup.create, or leave SandboxLimits.memory_group unset")


class MemoryGroup:
    """A parent cgroup whose memory limit caps all the sandboxes made in it together: a run's.

    Each sandbox has its own cap (4 GiB by default), so 64 sandboxes of a run could ask for 256
    GiB of a 24 GiB host; inside a group, the kernel stops the sandbox that pushes the group over
    its budget (its largest process), and the others go on. Sandboxes join a group by name
    (`SandboxLimits.memory_group`). Root only: elsewhere `create` returns None and each
    sandbox's own limits remain.
    """

    def __init__(self, name: str, dirs: list[Path], memory_bytes: int):
        self.name, self.dirs, self.memory_bytes = name, dirs, memory_bytes

    @classmethod
    def create(cls, name: str, memory_bytes: int) -> MemoryGroup | None:
        if os.geteuid() != 0 or "/" in name or name in ("", ".", ".."):
            return None
        mem_root, pids_root = _V1 / "memory", _V1 / "pids"
        group = cls(name, [], memory_bytes)
        try:
            if mem_root.is_dir() and pids_root.is_dir() and os.access(mem_root, os.W_OK):
                for d in (mem_root / _PARENT / name, pids_root / _PARENT / name):
                    d.mkdir(parents=True)
                    group.dirs.append(d)
                (group.dirs[0] / "memory.limit_in_bytes").write_text(str(memory_bytes))
                _write(group.dirs[0] / "memory.memsw.limit_in_bytes", str(memory_bytes))
                return group
            v2 = _V1 / "cgroup.controllers"
            if v2.is_file() and {"memory", "pids"} <= set(v2.read_text().split()):
                (_V1 / _PARENT).mkdir(exist_ok=True)
                _write(_V1 / _PARENT / "cgroup.subtree_control", "+memory +pids")
                (_V1 / _PARENT / name).mkdir()
                group.dirs.append(_V1 / _PARENT / name)
                (group.dirs[0] / "memory.max").write_text(str(memory_bytes))
                _write(group.dirs[0] / "memory.swap.max", "0")
                return group
        except OSError:
            group.remove()
        return None

    def remove(self) -> None:
        """Remove the group once its sandboxes are gone (a sandbox still closing keeps it a
        moment; one that outlives that leaves the empty group behind, harmless). Sessions of
        the group the warm pool holds are closed first, and closes in flight finished."""
        from clawgym.sandbox._pool import release_group  # (the pool imports the sandbox, which imports us)

        release_group(self.name)
        for d in self.dirs:
            for _ in range(200):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
