"""Run tasks x samples x one agent configuration, many attempts at once, into a RunStore."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from clawgym.agent import AgentConfig, Trajectory, make_agent, rollout
from clawgym.errors import ClawGymError
from clawgym.models import ChatModel, SamplingParams, load_model
from clawgym.runs._config import RunConfig
from clawgym.runs._store import RunStore
from clawgym.tasks import Task

Progress = Callable[[str, dict[str, Any]], None]


class _Limited(ChatModel):
    """A shared model behind a semaphore: model calls have their own concurrency limit,
    independent of how many sandboxes run."""

    def __init__(self, inner: ChatModel, slots: threading.Semaphore):
        self.inner, self.slots, self.name = inner, slots, inner.name

    def chat(self, messages, tools=None, params=None):
        with self.slots:
            return self.inner.chat(messages, tools, params)

    def config(self):
        return self.inner.config()


class ModelPool:
    """Hands each attempt a model. Stateless clients (openai, hf) are loaded once and shared;
    a scripted model is stateful, so each attempt gets a fresh one."""

    def __init__(self, spec: str | None, concurrency: int | None = None):
        self.spec = spec
        self.slots = threading.Semaphore(concurrency or 1_000_000)
        self._shared: ChatModel | None = None
        self._lock = threading.Lock()

    def get(self) -> ChatModel | None:
        if self.spec is None:
            return None
        if self.spec.startswith("scripted:"):
            return _Limited(load_model(self.spec), self.slots)
        with self._lock:
            if self._shared is None:
                self._shared = load_model(self.spec)
        return _Limited(self._shared, self.slots)


def agent_config(config: RunConfig) -> AgentConfig:
    return AgentConfig(max_steps=config.max_steps, timeout_s=config.timeout_s, max_tokens=config.max_tokens,
                       sampling=SamplingParams(temperature=config.temperature, max_tokens=config.turn_tokens,
                                               seed=config.seed))


def run_attempt(task: Task, sample: int, config: RunConfig, model: ChatModel | None,
                judge: ChatModel | None = None, judge_cache: Any = None) -> Trajectory:
    """One attempt, never raising: an infrastructure failure comes back as an infra_error."""
    try:
        agent = make_agent(config.agent, model, agent_config(config))
        return rollout(task, agent, sample=sample, backend=config.sandbox, aggregation=config.aggregation,
                       judge=judge, judge_votes=config.judge_votes, judge_cache=judge_cache)
    except (ClawGymError, OSError) as exc:
        return Trajectory(task_id=task.id, sample=sample, status="infra_error", stop_reason="agent_crash",
                          error=f"{type(exc).__name__}: {exc}")


def _ray_attempt(task_json: str, sample: int, config_json: str, cache_dir: str) -> str:
    """Runs on a Ray worker: the same attempt, returned as JSON for the driver to store."""
    from clawgym.verify._rubric import JudgeCache

    config = RunConfig.model_validate_json(config_json)
    model = load_model(config.model) if config.model and config.agent == "llm" else None
    judge = load_model(config.judge_model) if config.judge_model else None
    return run_attempt(Task.model_validate_json(task_json), sample, config, model, judge,
                       JudgeCache(cache_dir)).model_dump_json()


def execute(tasks: list[Task], config: RunConfig, out: str | Path, *, concurrency: int = 4,
            model_concurrency: int | None = None, executor: str = "local", ray_address: str | None = None,
            force: bool = False, progress: Progress | None = None) -> RunStore:
    """Run every pending attempt of the run in `out` (new or resumed) and return its store."""
    by_id = {t.id: t for t in tasks}
    store = RunStore(out)
    store.init(config, {t.id: t.category for t in tasks}, force=force)
    emit = progress or (lambda kind, data: None)
    pending = store.pending()
    emit("start", {"total": len(config.task_ids) * config.samples, "pending": len(pending),
                   "rows": store.rows()})

    def finish(traj: Trajectory, tries: int) -> bool:
        """Store a result, or put it back for another try; True when it is final."""
        if traj.status == "infra_error" and tries < config.max_tries:
            store.retry_later(traj.task_id, traj.sample, traj.error or "infrastructure error")
            emit("retry", {"task_id": traj.task_id, "sample": traj.sample, "error": traj.error})
            return False
        store.record(traj)
        emit("done", {"traj": traj})
        return True

    from clawgym.verify._rubric import JudgeCache

    judge_cache = JudgeCache(Path(out) / "judge_cache")
    if executor == "local":
        pool = ModelPool(config.model if config.agent == "llm" else None, model_concurrency)
        judges = ModelPool(config.judge_model, model_concurrency)

        def work(task_id: str, sample: int) -> tuple[Trajectory, int]:
            tries = store.start(task_id, sample)
            emit("running", {"task_id": task_id, "sample": sample})
            try:
                model, judge = pool.get(), judges.get()
            except ClawGymError as exc:
                return (Trajectory(task_id=task_id, sample=sample, status="infra_error",
                                   stop_reason="model_error", error=str(exc)), tries)
            return run_attempt(by_id[task_id], sample, config, model, judge, judge_cache), tries

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as ex:
            futures: dict[Future, tuple[str, int]] = {ex.submit(work, t, s): (t, s) for t, s in pending}
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for f in done:
                    key = futures.pop(f)
                    traj, tries = f.result()
                    if not finish(traj, tries):
                        time.sleep(min(2.0 ** tries * 0.1, 5.0))
                        futures[ex.submit(work, *key)] = key
    elif executor == "ray":
        _execute_ray(by_id, pending, config, store, concurrency, ray_address, finish, emit,
                     str(judge_cache.folder))
    else:
        raise ValueError(f"unknown executor {executor!r}; choose local or ray")
    emit("end", {"rows": store.rows()})
    return store


def _execute_ray(by_id, pending, config, store, concurrency, ray_address, finish, emit, cache_dir) -> None:
    try:
        import ray
    except ImportError as exc:
        raise ClawGymError("the ray executor needs Ray: pip install 'clawgym[ray]'") from exc
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=ray_address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                 **({} if ray_address else {"num_cpus": max(2, concurrency)}))
    remote = ray.remote(num_cpus=1, max_retries=0)(_ray_attempt)
    config_json = config.model_dump_json()
    queue = list(pending)
    inflight: dict[Any, tuple[str, int, int]] = {}
    try:
        while queue or inflight:
            while queue and len(inflight) < max(1, concurrency):
                task_id, sample = queue.pop(0)
                tries = store.start(task_id, sample)
                emit("running", {"task_id": task_id, "sample": sample})
                ref = remote.remote(by_id[task_id].model_dump_json(), sample, config_json, cache_dir)
                inflight[ref] = (task_id, sample, tries)
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                task_id, sample, tries = inflight.pop(ref)
                try:
                    traj = Trajectory.model_validate_json(ray.get(ref))
                except Exception as exc:  # a worker died: the infrastructure's failure
                    traj = Trajectory(task_id=task_id, sample=sample, status="infra_error",
                                      stop_reason="agent_crash", error=f"ray worker failed: {type(exc).__name__}: {exc}")
                if not finish(traj, tries):
                    queue.append((task_id, sample))
    finally:
        if started_here:
            ray.shutdown()
