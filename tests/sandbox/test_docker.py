"""The Docker backend: the same server and protocol as bubblewrap's, in a container per session.

The session tests need a running Docker daemon and the image (`scripts/docker_image.sh`); they
skip, saying which is missing, elsewhere. The fail-fast tests run everywhere: they point the
CLI at a daemon that is not there (or does not answer), whatever this machine runs."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import tarfile
import threading
import time
from pathlib import Path

import pytest

from clawgym.errors import SandboxError
from clawgym.sandbox import SandboxLimits, create_sandbox
from clawgym.sandbox._docker import DEFAULT_IMAGE, IMAGE_ENV, check_docker, client_env
from clawgym.tasks import DEFAULT_MOUNT_PATH, TaskFile

IMAGE = os.environ.get(IMAGE_ENV) or DEFAULT_IMAGE


@pytest.fixture(scope="module")
def docker_ready():
    try:
        return check_docker("docker", IMAGE)
    except SandboxError as exc:
        pytest.skip(f"no Docker sandbox here: {exc}")


def _docker(cli: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=30, env=client_env())


# -- fails fast, with what to do (everywhere) ---------------------------------------------------
def test_no_daemon_fails_fast_and_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-daemon.sock")
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    start = time.monotonic()
    with pytest.raises(SandboxError) as info:
        create_sandbox("docker")
    assert time.monotonic() - start < 10
    msg = str(info.value)
    assert "docker" in msg.lower() and "apt-get install -y docker.io" in msg and "dockerd" in msg, msg


def test_missing_cli_fails_fast_and_says_what_to_do():
    start = time.monotonic()
    with pytest.raises(SandboxError, match="not installed: install Docker"):
        create_sandbox("docker", docker="/nonexistent/bin/docker")
    assert time.monotonic() - start < 2


def test_daemon_that_never_answers_fails_within_seconds(monkeypatch, tmp_path):
    """A socket that accepts and never replies: `docker` would wait for ever; the session
    gives up after the check's timeout."""
    try:
        check_docker("docker", IMAGE)  # a CLI at all (else the missing-CLI error, tested above)
    except SandboxError as exc:
        if "not installed" in str(exc):
            pytest.skip("no docker CLI")
    path = tmp_path / "mute.sock"
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(path))
    srv.listen(16)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    try:
        start = time.monotonic()
        with pytest.raises(SandboxError, match="did not answer"):
            create_sandbox("docker")
        assert time.monotonic() - start < 30  # the check's own timeout, plus a loaded machine's slack; never a hang
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        srv.close()


# -- sessions (a daemon and the image) ----------------------------------------------------------
def test_missing_image_says_how_to_build_it(docker_ready):
    with pytest.raises(SandboxError) as info:
        create_sandbox("docker", image="clawgym-no-such-image:never")
    assert "scripts/docker_image.sh" in str(info.value) and "docker import" in str(info.value)


def test_exec_files_and_export(docker_ready, tmp_path):
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    (ws / "sub" / "a.txt").write_text("alpha\n")
    start = time.monotonic()
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "given.txt").write_text("given\n")
    sb = create_sandbox("docker", workspace=ws, files=[TaskFile(path="b.txt", data=b"beta\n")],
                        env={"GREETING": "hi"}, ro_binds=[(str(ro), "/opt/given")])
    created = time.monotonic() - start
    with sb:
        assert sb.path == DEFAULT_MOUNT_PATH
        r = sb.exec("echo $GREETING; pwd; id -u; hostname; cat sub/a.txt b.txt; exit 3")
        assert r.exit_code == 3 and r.stdout.split() == ["hi", DEFAULT_MOUNT_PATH, "0", "sandbox", "alpha", "beta"], r
        given = sb.exec("cat /opt/given/given.txt; touch /opt/given/x")
        assert given.stdout == "given\n" and given.exit_code != 0 and not (ro / "x").exists()
        assert sb.exec(["python", "-c", "print(6 * 7)"]).stdout == "42\n"  # `python`, as checks call it
        assert sb.exec("echo in | cat", stdin=b"x").stdout == "in\n"
        missing = sb.exec(["no-such-program"])
        assert missing.exit_code == 127 and "no-such-program" in missing.stderr
        late = sb.exec("sleep 30", timeout_s=1)
        assert late.timed_out

        assert sb.write_file("new/c.bin", b"\x00\xffdata") == 6
        assert sb.read_file("new/c.bin") == b"\x00\xffdata"
        assert sb.read_lines("sub/a.txt").text == "alpha\n"
        assert sb.stat("new/c.bin").type == "file" and sb.stat("new").type == "dir"
        names = {e.path for e in sb.list(recursive=True)}
        assert {"sub", "sub/a.txt", "b.txt", "new", "new/c.bin"} <= names
        sb.remove("b.txt")
        assert not sb.exists("b.txt")
        sb.exec("ln -s /etc/passwd link; mkfifo fifo")
        with pytest.raises(SandboxError):
            sb.read_file("fifo")
        files = sb.export_files()
        assert files["sub/a.txt"] == b"alpha\n" and files["new/c.bin"] == b"\x00\xffdata"
        assert "b.txt" not in files and "fifo" not in files
        with tarfile.open(fileobj=sb.export()) as tf:
            assert "sub/a.txt" in tf.getnames()
        assert set(sb.hash_files()) == set(files)
        host_env = sb.exec("env").stdout
        assert "VIRTUAL_ENV" not in host_env and "DOCKER_HOST" not in host_env and "PATH=" in host_env
    print(f"docker session created in {created:.2f} s")
    assert created < 30


def test_background_process_and_kill_all(docker_ready):
    with create_sandbox("docker") as sb:
        p = sb.spawn("read line; echo got $line; sleep 1000")
        assert p.write(b"hello\n") == 6
        deadline = time.monotonic() + 10
        while "got hello" not in p.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "got hello" in p.output() and p.poll() is None
        p.kill()
        assert p.poll() is not None
        # detached stragglers (their own sessions, double-forked) die too
        sb.exec("setsid sleep 1001 & (setsid sleep 1002 &); sleep 0.5")
        q = sb.spawn("sleep 1004")

        def sleepers() -> list[str]:
            r = sb.exec(["python3", "-c", "import os\nfor p in os.listdir('/proc'):\n if p.isdigit():\n"
                                          "  try: print(open(f'/proc/{p}/cmdline','rb').read().replace(b'\\0',b' ').decode())\n"
                                          "  except OSError: pass"])
            return sorted(line.strip() for line in r.stdout.splitlines() if line.startswith("sleep 100"))

        assert sleepers() == ["sleep 1001", "sleep 1002", "sleep 1004"]
        sb.kill_all()
        assert sleepers() == [] and q.poll() is not None
        assert sb.exec("echo alive").stdout == "alive\n"  # the server survives kill_all


def test_network_is_none(docker_ready):
    code = ("import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=3)\n    print('connected')\n"
            "except OSError as e:\n    print('refused', e.errno)")
    with create_sandbox("docker") as sb:
        assert sb.exec("ls /sys/class/net").stdout.split() == ["lo"]
        r = sb.exec(["python3", "-c", code])
        assert "refused" in r.stdout and "connected" not in r.stdout, r
        out = _docker(docker_ready, "inspect", "-f", "{{.HostConfig.NetworkMode}}", sb.container)
        assert out.stdout.strip() == "none"


def test_limits_are_container_flags(docker_ready):
    lim = SandboxLimits(cpu_s=2, memory_bytes=1 << 30, max_file_bytes=1 << 20, max_procs=40,
                        sandbox_memory_bytes=512 << 20, workspace_bytes=8 << 20, tmp_bytes=4 << 20)
    with create_sandbox("docker", limits=lim) as sb:
        info = _docker(docker_ready, "inspect", "-f",
                       "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}} "
                       "{{.HostConfig.ReadonlyRootfs}}", sb.container).stdout.split()
        assert info == [str(512 << 20), str(512 << 20), "56", "true"], info
        r = sb.exec("ulimit -t; ulimit -f; ulimit -d")
        assert r.stdout.split() == ["2", str((1 << 20) // 1024), str((1 << 30) // 1024)], r
        alloc = sb.exec(["python3", "-c", "x = bytearray(2 << 30); print('allocated')"])  # RLIMIT_DATA
        assert alloc.exit_code != 0 and "MemoryError" in alloc.stderr, alloc
        oom = sb.exec(["python3", "-c", "x = bytearray(800 << 20); print('allocated')"])  # --memory
        assert oom.exit_code == -9 and "allocated" not in oom.stdout, oom
        assert sb.exec("echo alive").stdout == "alive\n"  # the agent's process died, not the server
        big = sb.exec("head -c 2000000 /dev/zero > big.bin")  # RLIMIT_FSIZE
        assert big.exit_code != 0 and sb.stat("big.bin").size <= 1 << 20
        fill = sb.exec("for i in 1 2 3 4 5 6 7 8 9 10; do head -c 1000000 /dev/zero > f$i.bin || exit 9; done")
        assert fill.exit_code == 9 and "No space left" in fill.stderr  # the workspace's size cap
        assert sb.exec("head -c 5000000 /dev/zero > /tmp/t.bin").exit_code != 0  # /tmp's cap
        assert sb.exec("touch /etc/x /usr/x").exit_code != 0  # read-only root
        bomb = sb.exec("for i in $(seq 80); do sleep 2 & done; wait", timeout_s=20)
        assert "Resource temporarily unavailable" in bomb.stderr  # the pids limit
        spin = sb.exec(["python3", "-c", "while True: pass"], timeout_s=30)  # RLIMIT_CPU
        assert not spin.timed_out and spin.exit_code != 0
        # nothing wraps the CLI on the host: no setpriv, prlimit or cgroup around `docker`
        assert sb.uid is None and sb._cgroup is None
        cmd = Path(f"/proc/{sb._proc.pid}/cmdline").read_bytes().split(b"\0")
        assert Path(cmd[0].decode()).name == "docker" and b"setpriv" not in cmd and b"prlimit" not in cmd


def test_close_removes_the_container(docker_ready):
    sb = create_sandbox("docker")
    name = sb.container
    assert _docker(docker_ready, "inspect", name).returncode == 0
    start = time.monotonic()
    sb.close()
    assert time.monotonic() - start < 25
    assert _docker(docker_ready, "inspect", name).returncode != 0
    assert not sb.root.exists()


def test_agent_killing_its_server_ends_the_session(docker_ready):
    from clawgym.sandbox import SandboxLimitExceeded

    with create_sandbox("docker") as sb:
        with pytest.raises(SandboxLimitExceeded):
            sb.exec("kill -9 -1; sleep 5")
        name = sb.container
    assert _docker(docker_ready, "inspect", name).returncode != 0


def test_import_of_a_large_archive_streams(docker_ready):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        data = os.urandom(3 << 20)
        info = tarfile.TarInfo("big/data.bin")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    with create_sandbox("docker", archive=buf.getvalue()) as sb:
        assert sb.read_file("big/data.bin", max_bytes=4 << 20) == data


def test_network_policy_model_reaches_the_model_alone(docker_ready):
    """The model relay's socket is bind-mounted (a daemon on this host): the model answers,
    nothing else does, the container still has no network of its own."""
    from tests.openai_server import FaultServer

    post = ("import json, os, urllib.request\n"
            "req = urllib.request.Request(os.environ['OPENAI_BASE_URL'] + '/chat/completions', method='POST',\n"
            "    data=json.dumps({'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}]}).encode(),\n"
            "    headers={'Content-Type': 'application/json'})\n"
            "print(json.load(urllib.request.urlopen(req, timeout=10))['choices'][0]['message']['content'])\n")
    with FaultServer([]) as server:
        with create_sandbox("docker", network="model", model_endpoint=server.url) as sb:
            r = sb.exec(["python3", "-c", post], timeout_s=30)
            assert r.ok and r.stdout.strip() == "Done.", r
            assert sb.exec("ls /sys/class/net").stdout.split() == ["lo"]
        assert len(server.requests) == 1
