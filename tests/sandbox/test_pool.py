"""The warm pool: sessions started ahead are single-use, as isolated as fresh ones, match the
shape asked for exactly, and are all gone when the pool closes (explicitly or at exit).
Real bubblewrap sessions, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clawgym.errors import SandboxError
from clawgym.sandbox import BwrapSandbox, SandboxLimits, SandboxPool
from clawgym.tasks import TaskFile
from tests.conftest import REPO, requires_bwrap

pytestmark = requires_bwrap


def _wait_ready(pool: SandboxPool, n: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while pool.ready() < n:
        assert time.monotonic() < deadline, f"the pool did not get {n} sessions ready in {timeout:g} s"
        time.sleep(0.05)


def _processes_of(uids: set[int]) -> list[str]:
    """Processes on the host running as one of these uids (a sandbox's throw-away uid)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        uid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("Uid:")), None)
        if uid in uids:
            out.append(pid)
    return out


def test_a_pooled_session_is_single_use_and_sees_nothing_of_the_one_before():
    pool = SandboxPool(size=2, warm_after=1)
    try:
        first = pool.create(BwrapSandbox, files=[TaskFile(path="mine-1.txt", data=b"1")])
        first.exec("echo secret > /tmp/left.txt; echo secret > /root/left.txt; echo secret > out.txt; "
                   "(sleep 300 >/dev/null 2>&1 &) ; echo started")
        _wait_ready(pool, 2)
        first.close()
        taken = pool.taken
        second = pool.create(BwrapSandbox, files=[TaskFile(path="mine-2.txt", data=b"2")])
        assert pool.taken == taken + 1  # it came ready from the pool
        with second:
            assert second is not first and second.root != first.root
            r = second.exec("ls; ls /tmp /root; ps -eo comm= | sort -u")
            assert r.stdout.split()[:1] == ["mine-2.txt"] and "left.txt" not in r.stdout and "out.txt" not in r.stdout
            assert "sleep" not in r.stdout
            assert second.read_file(f"{second.path}/mine-2.txt") == b"2"
            if os.geteuid() == 0:  # killed at close; reaped a moment later, off the caller's path
                assert second.uid != first.uid
                deadline = time.monotonic() + 10
                while _processes_of({first.uid}) and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert _processes_of({first.uid}) == []
        # never handed out again: what the pool holds now was started after both
        assert all(sb not in (first, second) for shape in pool._shapes.values() for sb, _ in shape.ready)
    finally:
        pool.close()


def test_a_session_is_taken_only_for_its_exact_shape():
    pool = SandboxPool(size=1, warm_after=1)
    try:
        small = SandboxLimits(workspace_bytes=8 << 20)
        pool.prewarm(BwrapSandbox, 1, limits=small, mount_path="/srv/ws")
        _wait_ready(pool, 1)
        with pool.create(BwrapSandbox, files=[TaskFile(path="a", data=b"A")]) as other:  # another shape
            assert pool.missed == 1 and other.mount_path != "/srv/ws"
        with pool.create(BwrapSandbox, limits=small, mount_path="/srv/ws", files=[TaskFile(path="a", data=b"A")],
                         deadline=time.monotonic() + 60) as sb:
            assert pool.taken == 1 and sb.deadline is not None
            r = sb.exec("cat /srv/ws/a; df -B1 --output=size /srv/ws | tail -1")
            assert r.stdout.split() == ["A", str(8 << 20)]  # its own workspace cap, not the default
            assert sb.exec("head -c 9000000 /dev/zero > big").exit_code != 0  # and it holds
    finally:
        pool.close()


def test_closing_the_pool_leaves_no_process_and_no_folder(tmp_path):
    pool = SandboxPool(size=3, warm_after=1)
    pool.prewarm(BwrapSandbox, 3, root_dir=tmp_path)
    _wait_ready(pool, 3)
    held = [sb for shape in pool._shapes.values() for sb, _ in shape.ready]
    pids = [sb._proc.pid for sb in held]
    pool.close()
    assert pool.ready() == 0 and all(sb.closed for sb in held)
    assert list(tmp_path.iterdir()) == []
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids)
    if os.geteuid() == 0:
        assert _processes_of({sb.uid for sb in held}) == []
        assert all(not d.exists() for sb in held for d in sb._cgroup.dirs)
    with pytest.raises(SandboxError):
        held[0].exec("true")
    assert pool.create(BwrapSandbox, root_dir=tmp_path).close() is None  # a closed pool starts on demand


def test_the_process_pool_is_closed_at_exit(tmp_path):
    """A program that never closes its pool: at exit every ready session is closed and reaped."""
    script = (
        "import json, time\n"
        "from pathlib import Path\n"
        "from clawgym.sandbox import create_sandbox, default_pool, prewarm_sandbox\n"
        f"prewarm_sandbox('bwrap', 2, root_dir=Path({str(tmp_path)!r}))\n"
        "deadline = time.monotonic() + 120\n"
        "while default_pool().ready() < 2 and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "held = [sb for s in default_pool()._shapes.values() for sb, _ in s.ready]\n"
        "print(json.dumps({'pids': [sb._proc.pid for sb in held], 'uids': [sb.uid for sb in held]}))\n"
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=REPO,
                       env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout)
    assert len(seen["pids"]) == 2
    assert all(not Path(f"/proc/{pid}").exists() for pid in seen["pids"])
    if os.geteuid() == 0:
        assert _processes_of(set(seen["uids"])) == []
    assert list(tmp_path.iterdir()) == []


def test_discarding_shapes_while_their_sessions_start_closes_every_one_of_them():
    """`discard` (a run's end) races the workers still starting sessions of the shapes it
    forgets: every such session is closed, none is left for the garbage collector at exit."""
    import gc

    from clawgym.sandbox._base import Sandbox

    pool = SandboxPool(size=2, warm_after=1, workers=4)
    try:
        for i in range(4):
            pool.prewarm(BwrapSandbox, 12, env={"ROUND": str(i)})
            _wait_ready(pool, 4)  # some ready (closed by discard) while the workers start more
            pool.discard()
        assert pool.ready() == 0
    finally:
        pool.close()
    gc.collect()
    left = [o for o in gc.get_objects() if isinstance(o, Sandbox) and not o.closed and o.env.get("ROUND")]
    assert not left, f"{len(left)} session(s) of discarded shapes left open"
