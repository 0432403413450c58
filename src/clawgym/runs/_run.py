"""Run tasks x samples x one agent configuration, many attempts at once, into a RunStore."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clawgym import registry
from clawgym.agent import AgentConfig, Trajectory, rollout
from clawgym.errors import ClawGymError
from clawgym.events import listener
from clawgym.models import ChatModel, ModelError, SamplingParams
from clawgym.runs._config import RunConfig
from clawgym.runs._events import AttemptDone, AttemptRetry, AttemptRunning, RunEnded, RunEvent, RunStarted
from clawgym.runs._plan import check_run
from clawgym.runs._store import RunStore
from clawgym.sandbox import MemoryGroup, SandboxLimits
from clawgym.tasks import Task

Progress = Callable[[RunEvent], None] | Callable[[str, dict[str, Any]], None]
"""A run's listener: `on(event)` with a typed `RunEvent`, or the older `on(kind, data)`."""


def default_memory_budget() -> int:
    """What a run's sandboxes may use together unless told: 3/4 of this machine's memory, so
    that however many agents misbehave at once, the host keeps a quarter for itself."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 3 // 4


class RunInterrupted(ClawGymError):
    """The run stopped on Ctrl-C; what was in flight is pending again and `--resume` finishes it."""

    def __init__(self, folder: Path, pending: int, total: int):
        self.folder, self.pending, self.total = folder, pending, total
        super().__init__(f"interrupted: {pending} of {total} attempt(s) left in {folder}")


class _Limited(ChatModel):
    """A shared model behind a semaphore (model calls have their own concurrency limit,
    independent of how many sandboxes run), which refuses new calls once the run stops."""

    def __init__(self, inner: ChatModel, slots: threading.Semaphore, stop: threading.Event):
        self.inner, self.slots, self.stop, self.name = inner, slots, stop, inner.name

    def chat(self, messages, tools=None, params=None, **kwargs):
        if self.stop.is_set():
            raise ModelError("the run was interrupted")
        with self.slots:
            return self.inner.chat(messages, tools, params, **kwargs)

    def config(self):
        return self.inner.config()


class ModelPool:
    """Hands each attempt a model. Stateless clients (openai, hf) are loaded once and shared;
    a scripted model is stateful, so each attempt gets a fresh one."""

    def __init__(self, spec: str | None, concurrency: int | None = None, stop: threading.Event | None = None):
        self.spec = spec
        self.slots = threading.Semaphore(concurrency or 1_000_000)
        self.stop = stop or threading.Event()
        self._shared: ChatModel | None = None
        self._lock = threading.Lock()

    def get(self) -> ChatModel | None:
        if self.spec is None:
            return None
        if self.spec.startswith("scripted:"):
            return _Limited(registry.load_model(self.spec), self.slots, self.stop)
        with self._lock:
            if self._shared is None:
                self._shared = registry.load_model(self.spec)
        return _Limited(self._shared, self.slots, self.stop)


def agent_config(config: RunConfig) -> AgentConfig:
    return AgentConfig(max_steps=config.max_steps, timeout_s=config.timeout_s, max_tokens=config.max_tokens,
                       tools=config.tools, system_prompt=config.system_prompt,
                       compact_tools=bool(config.compact_tools),
                       sampling=SamplingParams(temperature=config.temperature, max_tokens=config.turn_tokens,
                                               seed=config.seed))


def run_attempt(task: Task, sample: int, config: RunConfig, model: ChatModel | None,
                judge: ChatModel | None = None, judge_cache: Any = None,
                limits: SandboxLimits | None = None) -> Trajectory:
    """One attempt, never raising: an infrastructure failure comes back as an infra_error.
    `limits`: its sandboxes' (a run's memory group among them)."""
    try:
        agent = registry.make_agent(config.agent, model, agent_config(config))
        timeout = {"timeout_s": config.verify_timeout_s} if config.verify_timeout_s else {}
        return rollout(task, agent, sample=sample, backend=config.sandbox, aggregation=config.aggregation,
                       limits=limits, judge=judge, judge_votes=config.judge_votes, judge_cache=judge_cache, **timeout)
    except (ClawGymError, OSError) as exc:
        return Trajectory(task_id=task.id, sample=sample, status="infra_error", stop_reason="agent_crash",
                          error=f"{type(exc).__name__}: {exc}")


def ray_attempt(task_json: str, sample: int, config_json: str, cache_dir: str) -> str:
    """Runs on a Ray worker: the same attempt, returned as JSON for the driver to store."""
    from clawgym.verify import JudgeCache

    config = RunConfig.model_validate_json(config_json)
    model = registry.load_model(config.model) if config.model and registry.needs_model(config.agent) else None
    judge = registry.load_model(config.judge_model) if config.judge_model else None
    return run_attempt(Task.model_validate_json(task_json), sample, config, model, judge,
                       JudgeCache(cache_dir)).model_dump_json()


class RunJob:
    """What an executor needs from a run: start an attempt, run it here, finish it; and `stop`,
    set when the run is being stopped (models refuse new calls from then on)."""

    def __init__(self, tasks: list[Task], config: RunConfig, store: RunStore, emit: Progress,
                 model_concurrency: int | None, limits: SandboxLimits | None = None):
        from clawgym.verify import JudgeCache

        self.limits = limits
        self.tasks = {t.id: t for t in tasks}
        self.config, self.store, self.emit = config, store, listener(emit)
        self.stop = threading.Event()
        self.cache_dir = str(store.folder / "judge_cache")
        self.judge_cache = JudgeCache(self.cache_dir)
        self.models = ModelPool(config.model if registry.needs_model(config.agent) else None,
                                model_concurrency, self.stop)
        self.judges = ModelPool(config.judge_model, model_concurrency, self.stop)

    def start(self, key: tuple[str, int]) -> int:
        tries = self.store.start(*key)
        self.emit(AttemptRunning(task_id=key[0], sample=key[1]))
        return tries

    def attempt(self, key: tuple[str, int]) -> Trajectory:
        task_id, sample = key
        try:
            model, judge = self.models.get(), self.judges.get()
        except ClawGymError as exc:
            return Trajectory(task_id=task_id, sample=sample, status="infra_error", stop_reason="model_error",
                              error=str(exc))
        return run_attempt(self.tasks[task_id], sample, self.config, model, judge, self.judge_cache, self.limits)

    def finish(self, key: tuple[str, int], traj: Trajectory, tries: int) -> bool:
        """Store a result, or put it back for another try; True when it is final."""
        return self.finish_many([(key, traj, tries)])[0]

    def finish_many(self, done: list[tuple[tuple[str, int], Trajectory, int]]) -> list[bool]:
        """`finish` for the results an executor has at once, the final ones stored together (one
        group commit: `RunStore.record_many`); True for each that is final."""
        final: list[Trajectory] = []
        out: list[bool] = []
        for _, traj, tries in done:
            if traj.status == "infra_error" and tries < self.config.max_tries:
                self.store.retry_later(traj.task_id, traj.sample, traj.error or "infrastructure error")
                self.emit(AttemptRetry(task_id=traj.task_id, sample=traj.sample, error=traj.error))
                out.append(False)
            else:
                final.append(traj)
                out.append(True)
        self.store.record_many(final)
        for traj in final:
            self.emit(AttemptDone(traj=traj))
        return out


def execute(tasks: list[Task], config: RunConfig, out: str | Path, *, concurrency: int = 4,
            model_concurrency: int | None = None, executor: str = "local", ray_address: str | None = None,
            force: bool = False, progress: Progress | None = None, check: bool = True,
            memory_budget_bytes: int | None = None) -> RunStore:
    """Run every pending attempt of the run in `out` (new or resumed) and return its store,
    still open (its writer's lock held) for the caller to read and close.

    All the run's sandboxes share one memory budget (`memory_budget_bytes`, default
    `default_memory_budget()`: 3/4 of this machine's memory), as root with the local executor:
    an attempt that pushes them over it is stopped as the agent's failure, with the reason, and
    the others go on (each sandbox keeps its own cap too).

    The configuration is checked first (`check_run`, unless `check=False`), before anything is
    created. Raises RunInterrupted on Ctrl-C (what was in flight is pending again),
    RunStoreError when the folder cannot be written, RunLocked when another process writes it.
    """
    if check:
        check_run(tasks, config, executor=executor)
    runner = registry.make_executor(executor, concurrency=concurrency, address=ray_address)
    store = RunStore(out)
    try:
        store.init(config, {t.id: t.category for t in tasks}, force=force)
    except BaseException:  # refused (another configuration) or unwritable: change nothing more
        store.close()
        raise
    try:
        emit = listener(progress)
        pending = store.pending()
        emit(RunStarted(total=len(config.task_ids) * config.samples, pending=len(pending), rows=store.rows()))
        group = MemoryGroup.create(f"run-{os.getpid()}-{uuid.uuid4().hex[:8]}",
                                   memory_budget_bytes or default_memory_budget()) if executor == "local" else None
        try:
            limits = SandboxLimits(memory_group=group.name) if group is not None else None
            runner.run(RunJob(tasks, config, store, emit, model_concurrency, limits), pending)
        finally:
            if group is not None:
                group.remove()
        emit(RunEnded(rows=store.rows()))
        return store
    except BaseException as exc:
        try:
            store.interrupt_running()
        except ClawGymError:
            pass  # the disk is full: the rows stay `running`, which a resume also runs again
        left, total = len(store.pending()), len(store.rows())
        store.close()
        if isinstance(exc, KeyboardInterrupt):
            raise RunInterrupted(Path(out), left, total) from None
        raise
