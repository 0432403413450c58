"""The slow half of closing a session, off the caller's path.

Closing a session kills all of its processes at once (SIGKILL, synchronously: nothing of the
session runs after `close()` returns), but waiting for the kernel to reap them, tear down
their network namespace and let their cgroup go takes 10-60 ms more. A caller that closes a
session to start the next (a verification loop, a rollout) should not wait for that: one
daemon thread finishes it. `drain()` waits for everything handed over (at exit, before a
memory group is removed, in tests that count processes).
"""

from __future__ import annotations

import atexit
import queue
import sys
import threading
import time
from collections.abc import Callable

_jobs: queue.Queue[Callable[[], None]] = queue.Queue()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def _work() -> None:
    while True:
        job = _jobs.get()
        try:
            job()
        except Exception:  # a session half gone already: nothing to report to anyone
            pass
        finally:
            _jobs.task_done()


def hand_over(job: Callable[[], None]) -> None:
    """Run `job` (the rest of a close) in the reaper thread; here and now once the interpreter
    is shutting down (a session closed by the garbage collector at exit): no thread runs
    then, and on Python 3.11 starting one waits for ever."""
    global _thread
    if sys.is_finalizing():
        try:
            job()
        except Exception:
            pass
        return
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_work, name="clawgym-sandbox-reaper", daemon=True)
            _thread.start()
    _jobs.put(job)


def drain(timeout: float = 60.0) -> bool:
    """Wait until every close handed over so far has finished, `timeout` seconds at most (each
    close is bounded, but a machine can be slow enough that many of them are not: a process at
    exit must not wait for ever). True when they all finished."""
    if _thread is None or not _thread.is_alive() or threading.current_thread() is _thread:
        return True
    deadline = time.monotonic() + timeout
    with _jobs.all_tasks_done:
        while _jobs.unfinished_tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _jobs.all_tasks_done.wait(left)
    return True


def _reset_after_fork() -> None:  # a forked child finishes none of its parent's closes
    global _jobs, _thread, _lock
    _jobs, _thread, _lock = queue.Queue(), None, threading.Lock()


atexit.register(drain)
if hasattr(__import__("os"), "register_at_fork"):
    __import__("os").register_at_fork(after_in_child=_reset_after_fork)
