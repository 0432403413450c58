"""Sandbox sessions under attack: each test reproduces an attack that worked against the old
design (file tools in the host process, per-process limits, unbounded host-side I/O) and shows
it fails now. Real bubblewrap, real processes, nothing mocked."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from clawgym.agent import LLMAgent, ToolBox, rollout
from clawgym.models import ScriptedModel
from clawgym.sandbox import SandboxLimitExceeded, SandboxLimits, create_sandbox
from clawgym.tasks import Task, TaskFile
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="whole-sandbox cgroups need root")


def _calls(steps):
    out = []
    for i, (tool, *args) in enumerate(steps):
        keys = {"exec": ["command"], "write": ["path", "content"], "read": ["path"]}[tool]
        out.append({"content": "", "tool_calls": [{"id": f"c{i}", "name": tool, "arguments": dict(zip(keys, args))}]})
    return out


def _task(files=(), check="import json, sys\nprint(json.dumps({'ok': 1}))\n") -> Task:
    return Task(id="attack", instruction="Do it.", workspace=[TaskFile(path="in.txt", data=b"x"), *files],
                checks=[TaskFile(path="check.py", data=check.encode())])


@pytest.fixture
def host_secret(tmp_path):
    """A root-only host file and a host folder an attacker would love to write into."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-HOST-DATA\n")
    secret.chmod(0o600)
    target = tmp_path / "target"
    target.mkdir()
    return secret, target


def test_symlink_swap_race_reaches_no_host_file(host_secret):
    """A background process swaps a folder for a symlink to a host folder, as fast as it can,
    while the file tools hammer paths under it: the old code (realpath, then open on the host)
    wrote host files and returned host secrets within a few hundred calls."""
    secret, target = host_secret
    with create_sandbox("bwrap", files=[TaskFile(path="d/x.txt", data=b"inside\n")]) as sb:
        tb = ToolBox(sb)
        swap = (f"while true; do rm -rf d; ln -s {target} d; rm -f d; mkdir d; echo inside > d/x.txt; "
                f"ln -sf {secret} d/x.txt; done")
        tb.call("exec", {"command": swap, "background": True})
        seen = []
        patch = "*** Begin Patch\n*** Update File: d/x.txt\n@@\n-inside\n+changed\n*** End Patch"
        for i in range(300):
            seen.append(tb.call("read", {"path": "d/x.txt"}).content)
            tb.call("write", {"path": f"d/w{i % 5}.txt", "content": "pwned"})
            tb.call("edit", {"path": "d/x.txt", "old_string": "inside", "new_string": "edited"})
            tb.call("apply_patch", {"input": patch})
        tb.close()
    assert not any("TOP-SECRET" in s for s in seen)
    assert list(target.iterdir()) == []
    assert secret.read_text() == "TOP-SECRET-HOST-DATA\n"


def test_hard_links_fifos_and_proc_paths():
    with create_sandbox("bwrap", files=[TaskFile(path="in.txt", data=b"x")]) as sb:
        tb = ToolBox(sb)
        r = tb.call("exec", {"command": "ln /etc/hostname hard; echo rc=$?; mkfifo pipe; "
                                        "ln -s /proc/self/root/etc/hostname proc; ln -s /proc/1/root/tmp cwd"}).content
        assert "rc=0" not in r  # another file system: no hard link to a host file
        start = time.monotonic()
        for tool, args in [("read", {"path": "pipe"}), ("write", {"path": "pipe", "content": "x"}),
                           ("edit", {"path": "pipe", "old_string": "a", "new_string": "b"}),
                           ("read", {"path": "proc"}), ("write", {"path": "cwd/evil", "content": "x"})]:
            res = tb.call(tool, args)
            assert res.is_error, (tool, args, res)
        assert time.monotonic() - start < 2  # a FIFO never blocks a tool
        # a reader on the FIFO: opening it for writing would succeed, but it is not a regular file
        tb.call("exec", {"command": "cat pipe > /dev/null", "background": True})
        time.sleep(0.2)
        assert tb.call("write", {"path": "pipe", "content": "x"}).is_error
        tb.close()


def test_os_errors_in_tools_are_results_not_crashes():
    traj = rollout(_task(), LLMAgent(ScriptedModel(_calls([
        ("exec", "echo a > a.txt"), ("write", "a.txt/child.txt", "x"), ("read", "a.txt/child.txt"),
        ("write", "in.txt/deeper/z", "x")]) + ["done"])))
    assert traj.status == "done" and traj.stop_reason == "final", traj.error
    tools = [m["content"] for m in traj.messages if m["role"] == "tool"]
    assert tools[1].startswith("Error:") and tools[2].startswith("Error:") and tools[3].startswith("Error:")
    assert traj.score == 1.0


def test_deep_trees_and_names_that_are_not_utf8():
    deep = "d=deep; for i in $(seq 1 1100); do d=$d/d; done; mkdir -p $d && echo x > $d/leaf.txt"
    traj = rollout(_task(), LLMAgent(ScriptedModel(_calls([
        ("exec", deep), ("exec", "printf 'caf\\xe9' > \"$(printf 'na\\xefve.txt')\"; ls")]) + ["done"])))
    assert traj.status == "done", traj.error
    assert traj.verification.status == "ok"
    names = {c.path: c for c in traj.diff}
    assert any(p.endswith("/leaf.txt") and p.count("/") > 1000 for p in names)
    odd = [c for c in traj.diff if c.path_b64]
    assert len(odd) == 1 and odd[0].path_b64 and __import__("base64").b64decode(odd[0].path_b64) == b"na\xefve.txt"
    json.loads(traj.model_dump_json())  # serializes: the run can store it


def test_python_is_on_the_path_for_agent_and_verifier():
    check = ("import json, subprocess, sys\n"
             "out = subprocess.run(['python', '-c', 'print(6*7)'], capture_output=True, text=True).stdout\n"
             "print(json.dumps({'python_runs': out.strip() == '42'}))\n")
    traj = rollout(_task(check=check), LLMAgent(ScriptedModel(_calls([("exec", "python -c 'print(6*7)'")]) + ["ok"])))
    assert "42" in traj.messages[3]["content"]
    assert traj.verification.checks == {"python_runs": 1.0}


def test_a_process_write_to_a_command_that_never_reads_returns():
    with create_sandbox("bwrap") as sb:
        tb = ToolBox(sb)
        tb.call("exec", {"command": "sleep 100", "background": True})
        sid = next(iter(tb.sessions))
        start = time.monotonic()
        res = tb.call("process", {"action": "write", "sessionId": sid, "data": "x" * 300_000})
        assert time.monotonic() - start < 8 and "not reading" in res.content
        start = time.monotonic()
        r = sb.exec("sleep 0.2", stdin=b"y" * 5_000_000)  # stdin nobody reads: the exit ends it
        assert r.ok and time.monotonic() - start < 5
        tb.close()


def test_host_memory_stays_flat_reading_a_huge_file():
    import resource

    with create_sandbox("bwrap") as sb:
        tb = ToolBox(sb)
        tb.call("exec", {"command": "head -c 20000000 /dev/zero | tr '\\0' '\\n' > big.txt"})
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        page = tb.call("read", {"path": "big.txt", "offset": 19_999_990}).content
        grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert page.startswith("\n" * 5) and grown_kib < 20_000  # the old code grew by 727 MB


def test_a_deadline_bounds_every_call():
    with create_sandbox("bwrap") as sb:
        sb.deadline = time.monotonic() + 1.0
        start = time.monotonic()
        r = sb.exec("sleep 30", timeout_s=60)
        assert r.timed_out and time.monotonic() - start < 3


@root_only
def test_memory_of_the_whole_sandbox_is_capped():
    """Four processes of 150 MB each, every one under the per-process limit: the old limits let
    them all live (4 x 1.1 GiB took 4.4 GiB of host memory)."""
    hog = "import time; b = bytearray(150 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(5)"
    limits = SandboxLimits(sandbox_memory_bytes=256 << 20, memory_bytes=1 << 30)
    with create_sandbox("bwrap", limits=limits) as sb:
        r = sb.exec(f"for i in 1 2 3 4; do python3 -c \"{hog}\" & done; wait", timeout_s=20)
        assert r.memory_limit and "memory limit" in r.note
        usage = int((sb._cgroup.memory_dir / "memory.max_usage_in_bytes").read_text())
        assert usage <= 256 << 20
    traj = rollout(_task(), LLMAgent(ScriptedModel(_calls([("exec", f"for i in 1 2 3 4; do python3 -c \"{hog}\" & done; wait")])
                                                   + ["done"])), limits=limits)
    assert traj.status == "agent_error" and traj.stop_reason == "sandbox_limit" and "memory limit" in traj.error


def test_private_mounts_and_the_workspace_are_size_capped():
    limits = SandboxLimits(tmp_bytes=32 << 20, workspace_bytes=48 << 20, max_file_bytes=None)
    with create_sandbox("bwrap", limits=limits) as sb:
        for where in ("/tmp", "/root", "/var", "/run", "."):
            r = sb.exec(f"for i in 1 2 3; do head -c 30000000 /dev/zero > {where}/f$i || exit 9; done")
            assert r.exit_code == 9 and "No space left" in r.stderr, (where, r)
        usage = sb.exec("du -sm /tmp /root /var /run . | awk '{s+=$1} END {print s}'").stdout
        assert int(usage) <= 4 * 32 + 48 + 4


def test_the_agent_cannot_kill_its_sandboxs_server():
    """`kill -9 -1` kills every process of the sandbox but its init, which is the server."""
    traj = rollout(_task(), LLMAgent(ScriptedModel(_calls([("exec", "sleep 100 & kill -9 -1"), ("exec", "echo still here")])
                                                   + ["done"])))
    assert traj.status == "done" and "still here" in traj.messages[-2]["content"], (traj.status, traj.error)
    assert traj.score == 1.0


def test_a_session_is_one_instance_with_persistent_home_and_state():
    with create_sandbox("bwrap") as sb:
        sb.exec("mkdir -p ~/.openclaw && echo state > ~/.openclaw/s && export X=1 && cd /tmp")
        r = sb.exec("cat ~/.openclaw/s; pwd")
        assert r.stdout.split() == ["state", sb.path]
        assert sb.list() == []
        sb.write_file("a/b.txt", b"hi")
        assert [e.path for e in sb.list(recursive=True)] == ["a", "a/b.txt"]
        assert sb.stat("a/b.txt").size == 2
        sb.remove("a", recursive=True)
        assert not sb.exists("a")


def test_two_processes_of_sandboxes_at_once_do_not_share_anything():
    out = {}

    def one(i):
        with create_sandbox("bwrap") as sb:
            sb.write_file("me.txt", str(i).encode())
            time.sleep(0.1)
            out[i] = sb.read_file("me.txt")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert out == {i: str(i).encode() for i in range(6)}


def test_nothing_is_left_on_the_host_after_close(tmp_path):
    sb = create_sandbox("bwrap", root_dir=tmp_path)
    sb.exec("head -c 1000000 /dev/zero > big; sleep 100 &")
    sb.close()
    assert list(Path(tmp_path).iterdir()) == []


def test_network_policy_model_reaches_the_model_and_nothing_else(listener_port):
    from tests.openai_server import FaultServer

    post = ("import json, os, urllib.request\n"
            "req = urllib.request.Request(os.environ['OPENAI_BASE_URL'] + '/chat/completions', method='POST',\n"
            "    data=json.dumps({'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}]}).encode(),\n"
            "    headers={'Content-Type': 'application/json'})\n"
            "print(json.load(urllib.request.urlopen(req, timeout=10))['choices'][0]['message']['content'])\n")
    other = ("import socket\n"
             f"for port in ({listener_port}, 80, 443):\n"
             "    try:\n"
             "        socket.create_connection(('127.0.0.1', port), timeout=2); print('reached', port)\n"
             "    except OSError:\n"
             "        pass\n"
             "try:\n"
             "    socket.create_connection(('1.1.1.1', 53), timeout=2); print('reached internet')\n"
             "except OSError:\n"
             "    pass\n")
    with FaultServer([]) as server:
        with create_sandbox("bwrap", network="model", model_endpoint=server.url) as sb:
            r = sb.exec(["python3", "-c", post], timeout_s=30)
            assert r.ok and r.stdout.strip() == "Done.", r
            r = sb.exec(["python3", "-c", other], timeout_s=30)
            assert "reached" not in r.stdout, r
        assert len(server.requests) == 1
    with create_sandbox("bwrap") as sb:  # policy "none": not even the model
        assert "OPENAI_BASE_URL" not in sb.exec("env").stdout


@pytest.fixture
def listener_port():
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    yield srv.getsockname()[1]
    srv.close()


def test_run_python_matches_a_fresh_interpreter():
    """Checks run forked from the session's server; what they see must be what
    `python3 -E -s check.py WS` sees: argv, environment, sys.path[0], __name__, site-packages,
    exit codes, uncaught exceptions, atexit and stdout/stderr."""
    script = ("import atexit, json, os, sys\n"
              "atexit.register(lambda: print('bye'))\n"
              "print(json.dumps({'argv': sys.argv[1:], 'x': os.environ.get('X'), 'home': os.environ.get('HOME'),\n"
              "                  'path0': sys.path[0], 'name': __name__,\n"
              "                  'site': any('dist-packages' in p or 'site-packages' in p for p in sys.path)}))\n"
              "print('to stderr', file=sys.stderr)\n"
              "if sys.argv[1] == 'raise':\n"
              "    raise ValueError('boom')\n"
              "sys.exit(int(sys.argv[1]))\n")
    with create_sandbox("bwrap", files=[TaskFile(path="reward/c.py", data=script.encode())]) as sb:
        path = f"{sb.path}/reward/c.py"
        for arg in ("0", "3", "raise"):
            fresh = sb.exec([sb.python, "-E", "-s", path, arg], env={"X": "1"})
            forked = sb.run_python(path, [arg], env={"X": "1"})
            assert (forked.exit_code, forked.stdout) == (fresh.exit_code, fresh.stdout), (arg, forked, fresh)
            assert forked.stderr.splitlines()[0] == "to stderr"
            assert ("ValueError: boom" in forked.stderr) == (arg == "raise")
        assert sb.run_python(path, ["0"], timeout_s=5).stdout.endswith("bye\n")
        sb.write_file("reward/slow.py", b"import time\ntime.sleep(30)\n")
        r = sb.run_python(f"{sb.path}/reward/slow.py", timeout_s=1)
        assert r.timed_out


def test_a_session_outlives_the_thread_that_made_it_and_dies_with_its_host():
    import subprocess
    import sys

    box = {}
    t = threading.Thread(target=lambda: box.update(sb=create_sandbox("bwrap")))
    t.start()
    t.join()
    time.sleep(0.2)
    with box["sb"] as sb:
        assert sb.exec("echo alive").stdout == "alive\n"
    # a host process killed with -9 leaves nothing behind: the server sees its input end
    code = ("import sys, time; from clawgym.sandbox import create_sandbox\n"
            "sb = create_sandbox('bwrap'); sb.spawn('sleep 1000'); print(sb.uid, flush=True)\n"
            "sb.exec('sleep 1000', timeout_s=1000)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    uid = p.stdout.readline().strip()
    time.sleep(0.5)
    p.kill()
    p.wait()
    if uid != "None":
        from clawgym.sandbox._procs import uid_processes

        deadline = time.monotonic() + 10
        while uid_processes(int(uid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert uid_processes(int(uid)) == []
