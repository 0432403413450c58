"""Executors: who runs a run's attempts. `local` (threads in this process) and `ray`.

An executor is built as ``cls(concurrency=N, address=A)`` and called as ``run(job, pending)``;
it calls ``job.start(key)`` before an attempt and ``job.finish(key, traj, tries)`` after it
(False means: try it again later; ``job.finish_many`` for the results it has at once), both
from the calling thread, so the store has one writer thread. On Ctrl-C (KeyboardInterrupt) or a store failure it starts nothing new, sets
``job.stop`` (a model call after that fails at once), waits at most ``GRACE_S`` for the
attempts in flight, then re-raises; the run marks what was in flight as interrupted.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from clawgym.agent import Trajectory
from clawgym.errors import ClawGymError

if TYPE_CHECKING:
    from clawgym.runs._run import RunJob

GRACE_S = 2.0
Key = tuple[str, int]


def _backoff(tries: int) -> float:
    return min(0.1 * 2.0 ** tries, 5.0)


class LocalExecutor:
    """Attempts on daemon threads of this process. Daemon threads, not a ThreadPoolExecutor: a
    pool joins its workers at interpreter exit, so one attempt stuck in a long command would
    hold Ctrl-C hostage; an abandoned daemon thread dies with the process (and `bwrap
    --die-with-parent` takes its sandbox with it)."""

    def __init__(self, concurrency: int = 4, address: str | None = None):
        self.concurrency = max(1, concurrency)

    def run(self, job: "RunJob", pending: list[Key]) -> None:
        todo: deque[Key] = deque(pending)
        later: list[tuple[float, Key]] = []
        results: queue.Queue[tuple[Key, Trajectory]] = queue.Queue()
        inflight: dict[Key, int] = {}

        def work(key: Key) -> None:
            try:
                traj = job.attempt(key)
            except BaseException as exc:  # a bug below us is an infrastructure failure, kept as data
                traj = Trajectory(task_id=key[0], sample=key[1], status="infra_error", stop_reason="agent_crash",
                                  error=f"{type(exc).__name__}: {exc}")
            results.put((key, traj))

        try:
            while todo or later or inflight:
                now = time.monotonic()
                for item in [x for x in later if x[0] <= now]:
                    later.remove(item)
                    todo.append(item[1])
                while todo and len(inflight) < self.concurrency:
                    key = todo.popleft()
                    inflight[key] = job.start(key)
                    threading.Thread(target=work, args=(key,), daemon=True, name=f"attempt {key[0]}#{key[1]}").start()
                try:
                    done = [results.get(timeout=0.25)]
                except queue.Empty:
                    continue
                while True:  # what else finished meanwhile is stored with it: one group commit
                    try:
                        done.append(results.get_nowait())
                    except queue.Empty:
                        break
                items = [(key, traj, inflight.pop(key)) for key, traj in done]
                for (key, _, tries), final in zip(items, job.finish_many(items)):
                    if not final:
                        later.append((time.monotonic() + _backoff(tries), key))
        except BaseException:
            job.stop.set()
            deadline = time.monotonic() + GRACE_S
            try:  # let the attempts in flight wind down (their results are not kept)
                while inflight and time.monotonic() < deadline:
                    try:
                        inflight.pop(results.get(timeout=max(0.01, deadline - time.monotonic()))[0], None)
                    except queue.Empty:
                        break
            except KeyboardInterrupt:
                pass  # a second Ctrl-C: stop waiting
            raise


class RayExecutor:
    """Attempts as Ray tasks, on this machine or the cluster at `address`."""

    def __init__(self, concurrency: int = 4, address: str | None = None):
        self.concurrency, self.address = max(1, concurrency), address

    def run(self, job: "RunJob", pending: list[Key]) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ClawGymError("the ray executor needs Ray: pip install 'clawgym[ray]'") from exc
        from clawgym.runs._run import ray_attempt

        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                     **({} if self.address else {"num_cpus": max(2, self.concurrency)}))
        remote = ray.remote(num_cpus=1, max_retries=0)(ray_attempt)
        config_json = job.config.model_dump_json()
        todo = deque(pending)
        inflight: dict[Any, tuple[Key, int]] = {}
        try:
            while todo or inflight:
                while todo and len(inflight) < self.concurrency:
                    key = todo.popleft()
                    tries = job.start(key)
                    ref = remote.remote(job.tasks[key[0]].model_dump_json(), key[1], config_json, job.cache_dir)
                    inflight[ref] = (key, tries)
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=0.5)
                for ref in ready:
                    key, tries = inflight.pop(ref)
                    try:
                        traj = Trajectory.model_validate_json(ray.get(ref))
                    except Exception as exc:  # a worker died: the infrastructure's failure
                        traj = Trajectory(task_id=key[0], sample=key[1], status="infra_error",
                                          stop_reason="agent_crash", error=f"ray worker failed: {type(exc).__name__}: {exc}")
                    if not job.finish(key, traj, tries):
                        todo.append(key)
        except BaseException:
            job.stop.set()
            for ref in inflight:
                try:
                    ray.cancel(ref, force=True)
                except Exception:
                    pass
            raise
        finally:
            if started_here:
                ray.shutdown()
