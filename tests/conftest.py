from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "data" / "clawgym"
REPO_TASKS = FIXTURES / "tasks"
HF_JSONL = FIXTURES / "syn_task_sample.jsonl"


def pytest_collection_modifyitems(config, items):
    if not FIXTURES.is_dir():
        raise pytest.UsageError(f"fixtures not found at {FIXTURES}: the repository is incomplete")


@pytest.fixture(scope="session")
def repo_tasks():
    from clawgym.tasks import load_tasks

    return load_tasks(REPO_TASKS)


@pytest.fixture(scope="session")
def hf_tasks():
    from clawgym.tasks import load_tasks

    return load_tasks(HF_JSONL)


requires_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")


# -- a test about to time out shows where its subprocesses are stuck ---------------------------
# pytest-timeout prints the test process's own threads; a test that waits on a `clawgym` command
# shows only its wait. Shortly before the limit, every Python process below this one gets its
# threads dumped with py-spy (a test extra) into the test's captured output.

def _descendants(root: int) -> list[int]:
    import os

    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        kids = [p for p, pp in parents.items() if pp == pid]
        out += kids
        todo += kids
    return out


def _dump_children(nodeid: str) -> None:
    import os
    import subprocess
    import sys

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    for pid in _descendants(os.getpid()):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "python" not in cmd or "clawgym" not in cmd or " -I -S " in cmd:  # sandbox servers: not ours to read
            continue
        try:
            r = subprocess.run([spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30)
            text = r.stdout + r.stderr
        except (OSError, subprocess.TimeoutExpired) as exc:
            text = f"(py-spy: {exc})"
        print(f"\n=== {nodeid}: about to time out; stacks of pid {pid}: {cmd[:300]}\n{text}", file=sys.stderr,
              flush=True)


@pytest.fixture(autouse=True)
def _stacks_before_timeout(request):
    import threading

    marker = request.node.get_closest_marker("timeout")
    try:
        limit = float(marker.args[0] if marker and marker.args else request.config.getini("timeout") or 0)
    except (TypeError, ValueError):
        limit = 0.0
    timer = None
    if limit > 40:
        timer = threading.Timer(limit - 25, _dump_children, args=(request.node.nodeid,))
        timer.daemon = True
        timer.start()
    yield
    if timer is not None:
        timer.cancel()
