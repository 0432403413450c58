"""A process that still holds sessions when it exits ends promptly, and takes them with it.

A session the garbage collector closes while the interpreter shuts down (a global, a cycle)
must not wait for a thread: none can start then (on Python 3.11 starting one waits for ever,
which is how a `clawgym run` once hung at exit)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import requires_bwrap

SCRIPT = textwrap.dedent("""
    import sys
    from clawgym.sandbox import BwrapSandbox
    held = [BwrapSandbox(), BwrapSandbox()]  # closed by the collector at shutdown, nowhere else
    held.append(held)  # and one in a cycle
    print(" ".join(str(sb._proc.pid) for sb in held[:2]), flush=True)
""")


@requires_bwrap
def test_sessions_left_open_at_exit_neither_hang_it_nor_outlive_it():
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    pids = [int(p) for p in r.stdout.split()]
    assert len(pids) == 2
    for pid in pids:  # bubblewrap (and with it the session) is gone
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            continue
        assert state == "Z", f"session process {pid} still running after its owner exited"
