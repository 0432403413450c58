"""A warm pool of sessions: pre-started, single-use, keyed by the session's shape.

Starting a session (bubblewrap's namespaces, the wrapper execs for the cgroup, uid and limits,
the server's interpreter, the first reply) costs 20-50 ms on an idle machine and far more on a
loaded one; filling it with a workspace costs one import. So sessions of a shape that is asked
for again and again (a verification loop, a run's rollouts) are started ahead, in background
threads, empty; `create_sandbox` takes a ready one and imports the task's workspace into it,
through the same server op every other write uses.

What makes that as safe as a fresh start: a pooled session is made by the very same
constructor with the very same arguments as the one it stands in for (the shape: backend,
mount path, limits, network policy and endpoint, environment, read-only binds, folder), is
given to one caller only, and is never returned: its close is the session's end, as always.
Nothing of one session can be seen by the next, because the next is another sandbox (its own
uid, namespaces, tmpfs mounts and cgroup) that nothing ran in before.

A shape is warmed once it was asked for `warm_after` times (a one-off session costs no second
one), or ahead of a known need (`prewarm`: a rollout asks for its verification session while
the model still works). Sessions nobody took for `idle_s` seconds are closed. The pool closes
everything it holds at `close()` and at interpreter exit.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from clawgym.sandbox import _reaper
from clawgym.sandbox._base import Sandbox

# what a caller puts into a session (imported after the start) and what only times its calls
_CONTENT = ("workspace", "files", "archive", "replace")
_SHAPE = ("mount_path", "limits", "env", "ro_binds", "root_dir", "network", "model_endpoint")
_FAILURES_BEFORE_GIVING_UP = 3  # a shape that cannot start is left to callers (who see the error)


@dataclass
class _Shape:
    cls: type[Sandbox]
    kwargs: dict[str, Any]
    ready: deque[tuple[Sandbox, float]] = field(default_factory=deque)
    starting: int = 0
    asked: int = 0
    reserved: int = 0
    failures: int = 0
    discarded: bool = False  # forgotten by `discard`: what a worker still starts for it, it closes
    last_use: float = field(default_factory=time.monotonic)


def _freeze(value: Any) -> Hashable:
    if hasattr(value, "model_dump_json"):
        return value.model_dump_json()
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return str(value) if value is not None else None


def shape_key(cls: type[Sandbox], kwargs: dict[str, Any]) -> Hashable | None:
    """The shape of a session asked for with these arguments, or None when it cannot be pooled
    (an argument the pool does not know: a third-party backend's own)."""
    if any(k not in _SHAPE and k not in _CONTENT and k != "deadline" for k in kwargs):
        return None
    if kwargs.get("root_dir") is None:  # where the session's folder goes: the settings' now, not at warm-up
        from clawgym import settings

        kwargs = {**kwargs, "root_dir": settings.current().sandbox_root()}
    return (cls.__module__, cls.__qualname__, *(_freeze(kwargs.get(k)) for k in _SHAPE))


class SandboxPool:
    """Pre-started single-use sessions per shape; see the module docstring.

    `size`: sessions kept ready per warmed shape (0: no pool, every session starts on demand,
    `prewarm` included);
    `warm_after`: requests of a shape before it is warmed; `workers`: threads that start
    sessions; `idle_s`: ready sessions of a shape unused this long are closed; `max_ready`:
    ready sessions per shape at most, reservations (`prewarm`) included."""

    def __init__(self, size: int = 2, *, warm_after: int = 2, workers: int = 8, idle_s: float = 30.0,
                 max_ready: int = 128):
        if size < 0 or workers < 1 or warm_after < 1 or idle_s <= 0 or max_ready < 1:
            raise ValueError(f"SandboxPool: size >= 0, workers >= 1, warm_after >= 1, idle_s > 0, max_ready >= 1; "
                             f"got size={size}, workers={workers}, warm_after={warm_after}, idle_s={idle_s}, "
                             f"max_ready={max_ready}")
        self.size, self.warm_after, self.workers, self.idle_s, self.max_ready = size, warm_after, workers, idle_s, max_ready
        self._shapes: dict[Hashable, _Shape] = {}
        self._cv = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._pid = os.getpid()
        self.taken = 0    # sessions handed out ready
        self.missed = 0   # sessions asked for with none ready (started on the caller's thread)

    # -- asking -----------------------------------------------------------------------------
    def create(self, cls: type[Sandbox], **kwargs: Any) -> Sandbox:
        """A session of `cls` with these arguments: a ready one filled with the content, else a
        new one started here."""
        key = shape_key(cls, kwargs) if self.size else None
        sb = self._take(key, cls, kwargs) if key is not None else None
        if sb is None:
            return cls(**kwargs)
        try:
            sb.deadline = kwargs.get("deadline")
            sb._load(**{k: kwargs[k] for k in _CONTENT if k in kwargs})
        except BaseException:
            sb.close()
            raise
        return sb

    def prewarm(self, cls: type[Sandbox], count: int = 1, **kwargs: Any) -> None:
        """Have `count` more sessions of this shape ready soon, whatever its history: for a need
        known ahead (a rollout's verification, while the model still works). Each session taken
        of the shape uses up one reservation; unused ones lapse after `idle_s`."""
        key = shape_key(cls, kwargs)
        if key is None or count <= 0 or self.size == 0:  # size 0: no session is started ahead, at all
            return
        with self._cv:
            if self._closed:
                return
            shape = self._shape(key, cls, kwargs)
            shape.reserved = min(shape.reserved + count, self.max_ready)
            shape.last_use = time.monotonic()
            self._start_workers()
            self._cv.notify_all()

    def _shape(self, key: Hashable, cls: type[Sandbox], kwargs: dict[str, Any]) -> _Shape:
        shape = self._shapes.get(key)
        if shape is None:
            base = {k: v for k, v in kwargs.items() if k in _SHAPE}
            shape = self._shapes[key] = _Shape(cls, base)
        return shape

    def _take(self, key: Hashable, cls: type[Sandbox], kwargs: dict[str, Any]) -> Sandbox | None:
        stale: list[Sandbox] = []
        try:
            with self._cv:
                if self._closed or os.getpid() != self._pid:
                    return None
                shape = self._shape(key, cls, kwargs)
                shape.asked += 1
                shape.last_use = time.monotonic()
                if shape.reserved:
                    shape.reserved -= 1
                while shape.ready:
                    sb, _ = shape.ready.popleft()
                    if not sb.alive:
                        stale.append(sb)  # its server died while it waited: never handed out
                        continue
                    self.taken += 1
                    self._start_workers()
                    self._cv.notify_all()
                    return sb
                self.missed += 1
                self._start_workers()
                self._cv.notify_all()
                return None
        finally:
            for sb in stale:
                sb.close()

    def _target(self, shape: _Shape) -> int:
        if shape.failures >= _FAILURES_BEFORE_GIVING_UP:
            return 0
        warm = self.size if shape.asked >= self.warm_after else 0
        return min(self.max_ready, warm + shape.reserved)

    # -- filling ----------------------------------------------------------------------------
    def _start_workers(self) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        while len(self._threads) < self.workers:
            t = threading.Thread(target=self._work, name="clawgym-sandbox-pool", daemon=True)
            t.start()
            self._threads.append(t)

    def _next(self) -> _Shape | None:
        """The shape most short of its target (called with the lock held)."""
        best, short = None, 0
        for shape in self._shapes.values():
            n = self._target(shape) - len(shape.ready) - shape.starting
            if n > short:
                best, short = shape, n
        return best

    def _expire(self, now: float) -> list[Sandbox]:
        """Ready sessions of shapes idle for `idle_s` (called with the lock held)."""
        out: list[Sandbox] = []
        for shape in self._shapes.values():
            if now - shape.last_use > self.idle_s:
                shape.reserved, shape.asked = 0, 0
                out += [sb for sb, _ in shape.ready]
                shape.ready.clear()
        return out

    def _work(self) -> None:
        while True:
            with self._cv:
                shape, expired, closed = None, [], False
                while not self._closed:
                    expired = self._expire(time.monotonic())
                    if expired:
                        break
                    shape = self._next()
                    if shape is not None:
                        shape.starting += 1
                        break
                    self._cv.wait(self.idle_s / 2)
                closed = self._closed
                if closed and shape is not None:
                    shape.starting -= 1
            if shape is None or closed:
                for sb in expired:
                    sb.close()
                if closed:
                    return
                continue
            sb: Sandbox | None = None
            try:
                sb = shape.cls(**shape.kwargs)
                sb._call({"op": "preload"}, timeout=60)  # the imports its first import would wait for
            except Exception:
                if sb is not None:
                    sb.close()
                    sb = None
            with self._cv:
                if sb is None:
                    shape.failures += 1
                elif not (self._closed or shape.discarded):
                    shape.failures = 0
                    shape.ready.append((sb, time.monotonic()))
                    sb = None
                if sb is None:
                    shape.starting -= 1
                    self._cv.notify_all()
            if sb is not None:  # not wanted any more: closed before `discard` may return
                sb.close()
                with self._cv:
                    shape.starting -= 1
                    self._cv.notify_all()
            elif shape.failures:
                time.sleep(min(0.05 * 2 ** shape.failures, 2.0))

    # -- ending -----------------------------------------------------------------------------
    def discard(self, where: Callable[[dict[str, Any]], bool] = lambda kwargs: True) -> None:
        """Close the ready sessions of the shapes whose arguments match `where` (all by default)
        and forget those shapes (a memory group about to be removed, say). A session of theirs
        still starting is closed by its worker once started; this waits for those (30 s at
        most), so that nothing of the shapes runs when it returns."""
        with self._cv:
            keys = [k for k, s in self._shapes.items() if where(s.kwargs)]
            shapes = [self._shapes.pop(k) for k in keys]
            for shape in shapes:
                shape.discarded = True
            held = self._drop_ready(shapes)
            self._cv.notify_all()
        for sb in held:
            sb.close()
        deadline = time.monotonic() + 30
        with self._cv:
            while any(s.starting for s in shapes) and time.monotonic() < deadline:
                self._cv.wait(max(0.0, min(0.5, deadline - time.monotonic())))

    @staticmethod
    def _drop_ready(shapes: list[_Shape]) -> list[Sandbox]:
        """Take the ready sessions out of these shapes (called with the lock held)."""
        out = [sb for s in shapes for sb, _ in s.ready]
        for s in shapes:
            s.ready.clear()
        return out

    def ready(self) -> int:
        """Sessions ready now, all shapes together."""
        with self._cv:
            return sum(len(s.ready) for s in self._shapes.values())

    def close(self, *, wait: bool = True) -> None:
        """Stop filling and close every ready session (and, with `wait`, until every one of
        them is gone: processes reaped, cgroups removed). Safe to call twice."""
        if os.getpid() != self._pid:
            return  # a forked child's copy: the sessions are its parent's
        with self._cv:
            self._closed = True
            self._cv.notify_all()
            threads = list(self._threads)
        deadline = time.monotonic() + 60  # a worker mid-start finishes it (bounded) and stops
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._cv:
            held = self._drop_ready(list(self._shapes.values()))
            self._shapes.clear()
        for sb in held:
            sb.close()
        if wait:
            _reaper.drain()


_default: SandboxPool | None = None
_default_lock = threading.Lock()
DEFAULT_POOL_SIZE = 2


def default_pool() -> SandboxPool:
    """The process's pool (what `create_sandbox` uses), made on first use."""
    global _default
    with _default_lock:
        if _default is None or _default._closed or _default._pid != os.getpid():
            _default = SandboxPool(DEFAULT_POOL_SIZE)
        return _default


def configure_pool(size: int = DEFAULT_POOL_SIZE, **kwargs: Any) -> SandboxPool:
    """Replace the process's pool (closing the old one's ready sessions): `size=0` turns warm
    sessions off; see `SandboxPool` for the other knobs."""
    global _default
    with _default_lock:
        old, _default = _default, SandboxPool(size, **kwargs)
    if old is not None:
        old.close(wait=False)
    return _default


def close_pool() -> None:
    """Close the process's pool (at exit, and for callers that want every session gone now)."""
    global _default
    with _default_lock:
        old, _default = _default, None
    if old is not None:
        old.close()


def release_group(group: str) -> None:
    """Close the ready sessions of a memory group (before the group is removed: a run's end)."""
    pool = _default
    if pool is not None:
        pool.discard(lambda kw: getattr(kw.get("limits"), "memory_group", None) == group)
    _reaper.drain()


def _after_fork_in_child() -> None:
    global _default, _default_lock
    _default, _default_lock = None, threading.Lock()  # the parent's sessions stay the parent's


atexit.register(close_pool)
os.register_at_fork(after_in_child=_after_fork_in_child)
