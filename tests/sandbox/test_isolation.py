"""Isolation: each test fails if the isolation it names is removed. Where the plain-process
backend (which does not isolate) can show the difference, it serves as the control."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from clawgym.errors import SandboxError
from clawgym.sandbox import SandboxLimits, create_sandbox
from clawgym.sandbox._procs import uid_processes
from clawgym.tasks import TaskFile
from tests.conftest import REPO_TASKS, requires_bwrap

pytestmark = requires_bwrap


def _python(code: str) -> list[str]:
    return ["/usr/bin/python3", "-c", code]


@pytest.fixture
def listener():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                conn.sendall(b"hello")
                conn.close()
            except OSError:
                continue

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    srv.close()


def test_no_network_to_host_loopback(listener):
    code = (f"import socket; s = socket.create_connection(('127.0.0.1', {listener}), timeout=3); "
            "print(s.recv(5).decode())")
    with create_sandbox("bwrap") as sb:
        r = sb.exec(_python(code))
    assert r.exit_code != 0 and "hello" not in r.stdout
    with pytest.warns(RuntimeWarning) if _first_process_sandbox() else _nothing():
        with create_sandbox("process") as sb:
            control = sb.exec(_python(code))
    assert control.exit_code == 0 and control.stdout.strip() == "hello"


def _first_process_sandbox() -> bool:
    import clawgym.sandbox._process as p

    return not p._warned


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_writes_outside_the_workspace_fail_or_stay_private():
    marker = f"clawgym-probe-{uuid.uuid4().hex}"
    with create_sandbox("bwrap", files=[TaskFile(path="in.txt", data=b"x")]) as sb:
        r = sb.exec(f"touch /usr/{marker}; echo $?; touch /etc/{marker}; echo $?; "
                    f"echo hi > /tmp/{marker} && echo tmp-ok; echo hi > /root/{marker} && echo home-ok; "
                    f"echo out > out.txt")
        codes = r.stdout.split()
        assert codes[0] != "0" and codes[1] != "0"  # read-only host
        assert "tmp-ok" in r.stdout and "home-ok" in r.stdout  # private /tmp and HOME work...
        assert sb.read_file("out.txt") == b"out\n"  # the workspace is writable
    for p in (f"/usr/{marker}", f"/etc/{marker}", f"/tmp/{marker}", f"/root/{marker}"):
        assert not os.path.exists(p), f"{p} leaked to the host"  # ...and stay private


@pytest.fixture
def open_tasks():
    """A copy of the repository's tasks in a folder any uid may enter: the control below must be
    able to read it as the sandbox's uid wherever the repository lives (a clone under /root, 0700,
    is out of every throw-away uid's reach, whatever the backend)."""
    where = Path(tempfile.mkdtemp(prefix="clawgym-open-tasks-"))
    try:
        where.chmod(0o755)
        shutil.copytree(REPO_TASKS / "task_0076", where / "task_0076")
        for p in [where, *where.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_host_root_and_task_checks_are_unreadable(open_tasks):
    secret = Path("/root") / f".clawgym-secret-{uuid.uuid4().hex}"
    secret.write_text("top secret")
    check = open_tasks / "task_0076" / "reward" / "check.py"
    repo_check = REPO_TASKS / "task_0076" / "reward" / "check.py"
    try:
        with create_sandbox("bwrap") as sb:
            r = sb.exec(f"cat {secret}; cat {check}; cat {repo_check}; ls {open_tasks}; ls {REPO_TASKS}; ls /root")
        assert "top secret" not in r.stdout and "def grade" not in r.stdout
        assert "task_0076" not in r.stdout and secret.name not in r.stdout
        with create_sandbox("process") as sb:  # control: the unisolated backend can read the checks
            r = sb.exec(f"cat {check}; ls {open_tasks}")
        assert "def grade" in r.stdout and "task_0076" in r.stdout, r
    finally:
        secret.unlink()


def test_environment_is_cleared_to_an_allowlist(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "also-secret")
    for backend in ("bwrap", "process"):
        with create_sandbox(backend) as sb:
            r = sb.exec("env")
        assert "sk-test-leak" not in r.stdout and "also-secret" not in r.stdout
        assert "PATH=" in r.stdout


def test_fork_bomb_is_stopped_by_the_process_limit():
    if os.geteuid() != 0:
        pytest.skip("per-sandbox process limits need a throw-away uid, which needs root")
    code = ("import os, time\nn = 0\ntry:\n    for _ in range(5000):\n        if os.fork() == 0:\n"
            "            time.sleep(30); os._exit(0)\n        n += 1\nexcept OSError:\n    pass\nprint(n)")
    limits = SandboxLimits(max_procs=40)
    with create_sandbox("bwrap", limits=limits) as sb:
        r = sb.exec(_python(code), timeout_s=20)
        assert r.exit_code == 0 and 0 < int(r.stdout) < 40, r
        start = time.monotonic()
        bomb = sb.exec(":(){ :|:& };:; sleep 2", timeout_s=10)
        assert time.monotonic() - start < 10 and "Resource temporarily unavailable" in bomb.stderr
        # what is left of the uid is the session itself (bwrap, its init, the server), no bomb
        left = [p for p in uid_processes(sb.uid) if not _cmdline(str(p)).startswith(("bwrap", "/usr/bin/bwrap", "/usr/bin/python3 -I -S -c"))]
        assert left == []
    assert subprocess.run(["true"]).returncode == 0  # the host can still fork


def test_memory_limit_stops_a_4gib_allocation():
    with create_sandbox("bwrap", limits=SandboxLimits(memory_bytes=1 << 30)) as sb:
        r = sb.exec(_python("x = bytearray(4 << 30); print('allocated')"))
    assert r.exit_code != 0 and "allocated" not in r.stdout and "MemoryError" in r.stderr


def test_cpu_and_file_size_limits():
    with create_sandbox("bwrap", limits=SandboxLimits(cpu_s=1, max_file_bytes=1 << 20)) as sb:
        start = time.monotonic()
        spin = sb.exec(_python("while True: pass"), timeout_s=30)
        # killed by its 1 s CPU limit, not by a timeout (wall time: far below the exec's own deadline)
        assert not spin.timed_out and spin.exit_code != 0 and time.monotonic() - start < 60
        big = sb.exec("head -c 2000000 /dev/zero > big.bin")
        assert big.exit_code != 0 and sb.stat("big.bin").size <= 1 << 20


def test_timeout_kills_the_whole_process_tree():
    marker = f"{time.time() % 1000:.6f}"  # unique argument, to find stragglers by command line
    with create_sandbox("bwrap") as sb:
        start = time.monotonic()
        r = sb.exec(f"sleep 100{marker[3:]} & sleep 100{marker[3:]}", timeout_s=1)
        elapsed = time.monotonic() - start
        assert r.timed_out and elapsed < 2.5, elapsed
        time.sleep(0.2)
        left = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p).endswith(f"100{marker[3:]}")]
        assert left == []


def test_background_process_cannot_outlive_its_command():
    with create_sandbox("bwrap") as sb:
        sb.exec("(sleep 3; echo late > late.txt) & echo started")
        time.sleep(3.5)
        assert not sb.exists("late.txt")


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def test_output_is_capped_with_a_note():
    with create_sandbox("bwrap", limits=SandboxLimits(output_bytes=1000)) as sb:
        r = sb.exec("head -c 1000000 /dev/zero | tr '\\0' a")
    assert len(r.stdout) == 1000 and r.stdout_dropped == 999_000 and "999000 bytes dropped" in r.note


def test_workspace_is_mounted_at_the_task_path():
    with create_sandbox("bwrap", files=[TaskFile(path="input/a.txt", data=b"A")]) as sb:
        r = sb.exec("pwd; cat /root/.openclaw/workspace/input/a.txt")
    assert r.stdout.split() == ["/root/.openclaw/workspace", "A"]
    with create_sandbox("bwrap", mount_path="/srv/ws", files=[TaskFile(path="a", data=b"B")]) as sb:
        assert sb.exec("cat /srv/ws/a").stdout == "B"


def test_concurrent_sandboxes_do_not_interfere():
    results: dict[int, str] = {}

    def one(i: int):
        with create_sandbox("bwrap", files=[TaskFile(path=f"mine-{i}.txt", data=str(i).encode())]) as sb:
            sb.exec(f"echo {i} > out.txt; sleep 0.2")
            results[i] = sb.exec("ls; cat out.txt").stdout

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, listing in results.items():
        assert listing.split() == [f"mine-{i}.txt", "out.txt", str(i)]


def test_close_removes_the_sandbox_files():
    sb = create_sandbox("bwrap", files=[TaskFile(path="a", data=b"x")])
    root = sb.root
    assert root.exists()
    sb.close()
    sb.close()
    assert not root.exists()


def test_a_host_path_the_sandbox_cannot_see_is_named_with_what_to_do():
    """As root a sandbox runs as a throw-away uid: a bind source or sandbox folder under a 0700
    folder (root's home) is out of its reach, and the error says which folder and what to do."""
    if os.geteuid() != 0:
        pytest.skip("only root's sandboxes run as a throw-away uid")
    private = Path(tempfile.mkdtemp(prefix="clawgym-private-"))  # 0700, like /root
    try:
        tools = private / "tools"
        tools.mkdir(mode=0o755)
        (tools / "tool.sh").write_text("echo tool")
        (tools / "tool.sh").chmod(0o644)
        with pytest.raises(SandboxError) as bind:
            create_sandbox("bwrap", ro_binds=[(str(tools), "/mnt/tools")])
        assert f"bind source {tools}" in str(bind.value) and f"chmod o+x {private}" in str(bind.value)
        with pytest.raises(SandboxError) as folder:
            create_sandbox("process", root_dir=private / "sandboxes")
        assert "CLAWGYM_SANDBOX_DIR" in str(folder.value) and f"chmod o+x {private}" in str(folder.value)
        private.chmod(0o711)  # the advice, followed: both start and see what they were given
        with create_sandbox("bwrap", ro_binds=[(str(tools), "/mnt/tools")]) as sb:
            assert sb.exec("bash /mnt/tools/tool.sh").stdout == "tool\n"
        with create_sandbox("process", root_dir=private / "sandboxes") as sb:
            assert sb.exec("bash " + str(tools / "tool.sh")).stdout == "tool\n"
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_a_memory_group_caps_its_sandboxes_together():
    """Each sandbox below its own cap, both together over their group's budget: the kernel stops
    the largest process of the group, and the error names the group's budget, not the sandbox's."""
    from clawgym.sandbox import MemoryGroup

    group = MemoryGroup.create(f"test-{uuid.uuid4().hex[:8]}", 192 << 20)
    if group is None:
        pytest.skip("memory groups need root and cgroups")
    hold = "x = bytearray(150 << 20); print('held', flush=True); import time; time.sleep(60)"
    try:
        limits = SandboxLimits(memory_group=group.name, memory_bytes=None)  # own cap: 4 GiB each
        with create_sandbox("bwrap", limits=limits) as a, create_sandbox("bwrap", limits=limits) as b:
            holder = a.spawn(_python(hold))
            deadline = time.monotonic() + 30
            while "held" not in holder.output() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert "held" in holder.output() and holder.poll() is None
            r = b.exec(_python("x = bytearray(150 << 20); print('allocated')"), timeout_s=30)
            killed = holder.poll() is not None
            assert killed or r.memory_limit, r  # 300 MiB of a 192 MiB budget: one of the two was stopped
            victim = a if killed else b
            assert "together reached their memory budget" in victim.memory_limit_reason()
        with create_sandbox("bwrap", limits=SandboxLimits(memory_bytes=None)) as c:  # control: no group
            both = c.exec(_python("x = bytearray(150 << 20); y = bytearray(150 << 20); print('allocated')"))
            assert both.stdout == "allocated\n"
    finally:
        group.remove()
