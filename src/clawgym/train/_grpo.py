"""GRPO with TRL's `GRPOTrainer`: groups of rollouts in sandbox sessions, the verifier as reward.

    cfg = GRPOTrainConfig.from_toml("grpo.toml")   # or GRPOTrainConfig(tasks="tasks/", model="smollm2")
    result = train_grpo(cfg)                        # -> checkpoint in cfg.output_dir (hf:PATH loads it)

How a step goes. TRL's sampler repeats each task prompt G times (`num_generations`) and hands the
batch to our `rollout_func`. Every rollout is an episode of `ClawEnv` (its own sandbox session,
`reset`/`step`), all of them on threads at once; their model turns are decoded together by the
in-process model's continuous-batching engine, which generates from *token ids*, never from a
re-rendered chat: turn k+1's prompt is exactly turn k's prompt + its completion + the environment's
tokens (tool results and the next turn's header, rendered by the model's chat template). So one
episode is one token sequence:

    prompt_ids      system + user (+ tool schemas) + assistant header   (the first turn's prompt)
    completion_ids  turn 1 | env tokens | turn 2 | env tokens | ... | last turn
    env_mask        1 on the model's tokens, 0 on the environment's (no loss on those)
    logprobs        the sampling logprob of each model token (0.0 on environment tokens)

and the reward is the verifier's score of the final workspace (0 until the episode ends).
TRL turns the rewards into group-relative advantages and updates the policy; the weights the
engine samples from are the trainer's own (the same module), so every step samples from the
current policy.

Truncation is never silent. `max_completion_length` bounds the whole sequence after the prompt
(model and environment tokens): a turn gets at most what is left, and an episode that runs out
of room ends there as `max_tokens` (truncated, verified as it stands). The fraction of episodes
cut by this budget, of turns cut by `max_turn_tokens`, and of episodes ended by any budget are
logged every step (`rollout/...`) beside TRL's own `completions/clipped_ratio`.

Scaling out: rollouts are threads of this process against the trainer's model (the engine
batches them); their sandbox sessions are local `ClawEnv`s, or, with `RayEnvs` (`ray_address`
in the config), `ClawEnv`s inside Ray actors on a cluster: tools and verification run there, only
messages cross the wire, and the policy's batched generation stays in the trainer. The trainer
itself keeps TRL's own distributed launch (accelerate).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgym.agent import ClawEnv, Env, EnvConfig, EnvError, Trajectory
from clawgym.errors import ClawGymError
from clawgym.models import ModelResponse, Usage, parse_text_tool_calls
from clawgym.tasks import Task


class GRPOConfigError(ClawGymError):
    """A GRPO configuration that cannot work (unknown key, bad value, no tasks)."""


@dataclass
class GRPOTrainConfig:
    """Everything `clawgym train grpo` does, as one dataclass (TOML: the same keys)."""

    tasks: str = ""
    """A task folder, a folder of task folders, or a JSONL/Parquet dataset of tasks."""
    model: str = "smollm2"
    """The policy to start from: `hf:PATH` (e.g. an SFT checkpoint) or `smollm2`."""
    output_dir: str = "grpo-out"
    num_generations: int = 4
    """G: rollouts per task per step (the group of the group-relative advantage)."""
    tasks_per_step: int = 1
    """Tasks per optimizer step; a step runs tasks_per_step * G episodes at once."""
    max_steps: int = 10
    learning_rate: float = 1e-6
    beta: float = 0.0
    """KL coefficient against the reference model (0: no reference model is kept)."""
    loss_type: str = "dapo"
    scale_rewards: str = "group"
    temperature: float = 1.0
    top_p: float = 1.0
    max_completion_length: int = 1024
    """Tokens after the prompt for a whole episode, model and environment tokens together."""
    max_turn_tokens: int = 256
    """Tokens of one assistant turn."""
    max_env_steps: int = 6
    """Model turns per episode."""
    episode_timeout_s: float = 300.0
    tools: list[str] | None = field(default_factory=lambda: ["read", "write", "edit", "exec"])
    """The tools the policy sees (fewer tools: a shorter prompt); None: all of them."""
    system_prompt: str | None = None
    compact_tools: bool = False
    """Advertise tools by their required parameters only (EnvConfig.compact_tools): the same
    setting as collection and evaluation used, so the policy sees the prompt it was trained on."""
    backend: str = "bwrap"
    """Sandbox backend of the episodes and of verification."""
    concurrency: int | None = None
    """Episodes at once (default: the whole step's batch)."""
    executor: str = "local"
    """Where the episodes' sandbox sessions run: `local` or `ray` (Ray actors, see RayEnvs)."""
    ray_address: str | None = None
    """The Ray cluster for executor = "ray" (None: ray.init's default)."""
    mask_truncated_completions: bool = False
    """Drop episodes cut by max_completion_length from the loss (TRL's option)."""
    seed: int = 0
    logging_steps: int = 1
    save: bool = True
    device: str = "auto"
    """Where the policy trains and samples: auto (a GPU when one is visible, else cpu), cpu, cuda or cuda:N."""
    bf16: bool | None = None
    """bf16 mixed precision for training and sampling; None: on where the device supports it, off on CPU."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GRPOTrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise GRPOConfigError(f"unknown GRPO setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        try:
            cfg = cls(**data)
        except TypeError as exc:
            raise GRPOConfigError(f"bad GRPO configuration: {exc}") from exc
        cfg.check()
        return cfg

    @classmethod
    def from_toml(cls, path: str | Path) -> "GRPOTrainConfig":
        try:
            with open(path, "rb") as fh:
                return cls.from_dict(tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise GRPOConfigError(f"cannot read the GRPO configuration {path}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def check(self) -> None:
        if self.num_generations < 2:
            raise GRPOConfigError("num_generations must be >= 2: a group of one has no relative advantage")
        if self.tasks_per_step < 1 or self.max_steps < 1:
            raise GRPOConfigError("tasks_per_step and max_steps must be >= 1")
        if self.max_turn_tokens < 1 or self.max_completion_length < self.max_turn_tokens:
            raise GRPOConfigError("need 1 <= max_turn_tokens <= max_completion_length")
        if self.temperature <= 0:
            raise GRPOConfigError("GRPO samples: temperature must be > 0")
        if self.executor not in ("local", "ray"):
            raise GRPOConfigError(f"executor must be local or ray, got {self.executor!r}")
        from clawgym.models import ModelError, check_device_spec

        try:
            check_device_spec(self.device)
        except ModelError as exc:
            raise GRPOConfigError(str(exc)) from exc


# -- one episode as one token sequence ---------------------------------------------------------

@dataclass
class Episode:
    task_id: str
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    reward: float = 0.0
    turns: int = 0
    truncated_turns: int = 0
    """Turns cut by max_turn_tokens (or the episode's remaining room)."""
    budget_truncated: bool = False
    """The episode ran out of max_completion_length."""
    stop_reason: str | None = None
    trajectory: Trajectory | None = None

    def check(self) -> None:
        n = len(self.completion_ids)
        assert len(self.env_mask) == n and len(self.logprobs) == n, "episode arrays out of step"


class EnvTokens:
    """The environment's tokens between two assistant turns, as the model's chat template renders
    them (`ChatRenderer.between_turns`, the renderer inference and SFT use): the end of the
    assistant turn the model did not write itself, the tool results, and the next assistant header."""

    SENTINEL = "\u2063CLAWGYM_TURN\u2063"

    def __init__(self, model: Any, tools: list[dict[str, Any]] | None):
        self.model, self.tools = model, tools
        self.eos_text = {i: model.decode([i], skip_special_tokens=False) for i in model.eos_ids()}

    def text(self, history: list[dict[str, Any]], tool_messages: list[dict[str, Any]],
             completion_ids: list[int]) -> str:
        from clawgym.models import RenderError

        last = completion_ids[-1] if completion_ids else None
        try:
            return self.model.renderer.between_turns(history, tool_messages, self.tools,
                                                     closed_with=self.eos_text.get(last))
        except RenderError as exc:
            raise GRPOConfigError(str(exc)) from exc

    def ids(self, history, tool_messages, completion_ids) -> list[int]:
        return self.model.encode(self.text(history, tool_messages, completion_ids))


def run_episode(model: Any, task: Task, env_config: EnvConfig, *, temperature: float = 1.0, top_p: float = 1.0,
                max_completion_length: int = 1024, max_turn_tokens: int = 256, seed: int | None = None,
                backend: str = "bwrap", sample: int = 0, env: Env | None = None) -> Episode:
    """One episode of `task` in a fresh sandbox session, the policy being `model` (an in-process
    `HFModel`) decoding from token ids. Returns the token-exact record and the verifier's reward.
    `env`: any `Env` (default a local `ClawEnv`; `RayEnvs` gives remote ones); it is closed here."""
    from clawgym.models import GenRequest

    env = env if env is not None else ClawEnv(env_config, backend=backend)
    obs = env.reset(task, seed=sample)
    tools = obs.tools
    try:
        ep = Episode(task_id=task.id, prompt_ids=model.encode_prompt(env.messages, tools))
        envtok = EnvTokens(model, tools)
        context = list(ep.prompt_ids)
        engine = model.engine()
        while True:
            room = max_completion_length - len(ep.completion_ids)
            out = engine.generate(GenRequest(
                prompt_ids=context, max_new_tokens=min(max_turn_tokens, room), temperature=temperature,
                top_p=top_p if top_p < 1 else None, seed=None if seed is None else seed * 1000 + ep.turns,
                deadline=time.monotonic() + max(env.time_left_s, 0.01)))
            ep.turns += 1
            ep.completion_ids += out.token_ids
            ep.env_mask += [1] * len(out.token_ids)
            ep.logprobs += out.logprobs
            context += out.token_ids
            ended = out.finish_reason == "stop"
            ep.truncated_turns += not ended
            content, calls = parse_text_tool_calls(model.decode(out.token_ids))
            resp = ModelResponse(content=content or None, tool_calls=calls,
                                 finish_reason="tool_calls" if calls else out.finish_reason,
                                 usage=Usage(prompt_tokens=len(context) - len(out.token_ids),
                                             completion_tokens=len(out.token_ids)),
                                 token_ids=out.token_ids, logprobs=out.logprobs)
            history = list(env.messages)
            result = env.step(resp)
            if result.terminated or result.truncated:
                break
            extra = envtok.ids(history, [m.openai() for m in result.messages], out.token_ids)
            if len(ep.completion_ids) + len(extra) >= max_completion_length:
                ep.budget_truncated = True  # no room for the tool results and another turn
                result = env.stop("max_tokens")
                break
            ep.completion_ids += extra
            ep.env_mask += [0] * len(extra)
            ep.logprobs += [0.0] * len(extra)
            context += extra
        if not ep.budget_truncated and len(ep.completion_ids) >= max_completion_length:
            ep.budget_truncated = True
        ep.reward = float(result.reward)
        ep.stop_reason = result.info.get("stop_reason")
        ep.trajectory = env.trajectory
        ep.check()
        return ep
    finally:
        env.close()


# -- environments on a Ray cluster ---------------------------------------------------------------

class _EnvActor:
    """A `ClawEnv` inside a Ray actor: the sandbox session lives on the actor's machine."""

    def __init__(self, config: EnvConfig, backend: str):
        self.env = ClawEnv(config, backend=backend)

    def reset(self, task: Task, seed: int | None):
        obs = self.env.reset(task, seed)
        return obs, list(self.env.messages), self.env.time_left_s

    def step(self, action: Any):
        result = self.env.step(action)
        return result, list(self.env.messages), self.env.time_left_s

    def stop(self, reason: str):
        return self.env.stop(reason)  # type: ignore[arg-type]

    def trajectory(self) -> Trajectory | None:
        return self.env.trajectory

    def close(self) -> None:
        self.env.close()


class _RemoteEnv:
    """The `Env` protocol (`clawgym.agent.check_env` holds it to it) forwarded to an actor's
    `ClawEnv`. The environment's own errors (`EnvError`, sandbox errors) come back as raised
    there, not wrapped in Ray's. Closing hands the actor back to its pool, once."""

    def __init__(self, actor: Any, ray: Any, release: Any):
        self.actor, self.ray, self.release = actor, ray, release
        self.messages: list[dict[str, Any]] = []
        self._left, self._at = 0.0, time.monotonic()
        self._traj: Trajectory | None = None

    def _get(self, ref: Any) -> Any:
        try:
            return self.ray.get(ref)
        except Exception as exc:  # a RayTaskError: the actor's own exception is its cause
            cause = getattr(exc, "cause", None)
            if isinstance(cause, ClawGymError):
                raise cause from None
            raise

    def _live(self) -> Any:
        if self.actor is None:
            raise EnvError("this environment is closed (its actor went back to the pool); ask RayEnvs.env() for another")
        return self.actor

    @property
    def time_left_s(self) -> float:
        return self._left - (time.monotonic() - self._at)

    def reset(self, task: Task, seed: int | None = None):
        self._traj = None
        obs, self.messages, self._left = self._get(self._live().reset.remote(task, seed))
        self._at = time.monotonic()
        return obs

    def step(self, action: Any):
        result, self.messages, self._left = self._get(self._live().step.remote(action))
        self._at = time.monotonic()
        self._traj = None
        return result

    def stop(self, reason: str):
        self._traj = None
        return self._get(self._live().stop.remote(reason))

    @property
    def trajectory(self) -> Trajectory | None:
        if self._traj is None and self.actor is not None:
            self._traj = self._get(self.actor.trajectory.remote())
        return self._traj

    def close(self) -> None:
        actor, self.actor = self.actor, None
        if actor is None:
            return
        try:
            self._get(actor.close.remote())
        finally:
            self.release(actor)


class RayEnvs:
    """Episodes' sandbox sessions (tools and verification) as Ray actors, for a user who outgrows
    one machine; the policy and its batched generation stay in the trainer, and only messages
    cross the wire. Actors are pooled and reused across steps. `address`: a Ray cluster (None:
    the one `ray.init` finds or starts)."""

    def __init__(self, address: str | None = None, *, num_cpus: float = 1.0, **init_kwargs: Any):
        try:
            import ray
        except ImportError as exc:
            raise GRPOConfigError("Ray rollouts need ray: pip install 'ray[default]'") from exc
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                     **init_kwargs)
        self._cls = ray.remote(num_cpus=num_cpus, max_restarts=0)(_EnvActor)
        self._idle: dict[tuple[str, str], list[Any]] = {}
        self._lock = threading.Lock()

    def env(self, config: EnvConfig, backend: str) -> _RemoteEnv:
        key = (config.model_dump_json(), backend)
        with self._lock:
            pool = self._idle.setdefault(key, [])
            actor = pool.pop() if pool else self._cls.remote(config, backend)

        def release(a: Any) -> None:
            with self._lock:
                self._idle[key].append(a)

        return _RemoteEnv(actor, self.ray, release)

    def close(self) -> None:
        with self._lock:
            for pool in self._idle.values():
                for actor in pool:
                    self.ray.kill(actor)
            self._idle.clear()


# -- TRL glue ----------------------------------------------------------------------------------

def grpo_dataset(tasks: list[Task]) -> Any:
    """One row per task: the conversational prompt TRL repeats G times (the task id rides in the
    message, since TRL hands `rollout_func` the prompts alone) and the task id as a column."""
    from datasets import Dataset

    return Dataset.from_list([{"prompt": [{"role": "user", "content": t.instruction, "task_id": t.id}],
                               "task_id": t.id} for t in tasks])


def verifier_reward(prompts: list[Any], completions: list[Any], reward: list[float] | None = None,
                    **kwargs: Any) -> list[float]:
    """The reward TRL sees: each episode's verifier score, computed in the rollout."""
    if reward is None:
        raise GRPOConfigError("verifier_reward needs the rollout's `reward` field (use make_rollout_func)")
    return [float(r) for r in reward]


class RolloutFunc:
    """TRL's `rollout_func(prompts, trainer)`: every prompt (TRL already repeated each G times)
    becomes one episode; all run at once on threads, batched by the model's engine."""

    def __init__(self, tasks: dict[str, Task], cfg: GRPOTrainConfig, *, model: Any = None, envs: Any = None):
        self.tasks, self.cfg, self._model = tasks, cfg, model
        self.envs = envs  # None: local ClawEnv sessions; a RayEnvs: sessions on a Ray cluster
        self.env_config = EnvConfig(max_steps=cfg.max_env_steps, timeout_s=cfg.episode_timeout_s,
                                    tools=cfg.tools, system_prompt=cfg.system_prompt, compact_tools=cfg.compact_tools)
        self.episodes: list[Episode] = []  # the last batch (tests and logs read it)
        self.calls = 0
        self._lock = threading.Lock()

    def policy(self, trainer: Any) -> Any:
        """An HFModel over the trainer's own module (shared weights: always the current policy)."""
        from clawgym.models import HFModel

        module = trainer.accelerator.unwrap_model(trainer.model) if trainer is not None else None
        if self._model is None or (module is not None and self._model.model is not module):
            if self._model is not None:
                self._model.close()
            import torch

            # sample in the precision the trainer computes the policy's logprobs in
            autocast = torch.bfloat16 if getattr(trainer.args, "bf16", False) else None
            self._model = HFModel(module, trainer.processing_class, name="policy", autocast=autocast,
                                  max_batch=max(self.cfg.num_generations * self.cfg.tasks_per_step, 1))
        return self._model

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        model = self.policy(trainer)
        ids = [_task_id(p) for p in prompts]
        missing = sorted({i for i in ids if i not in self.tasks})
        if missing:
            raise GRPOConfigError(f"prompts name unknown task(s) {missing}")
        cfg = self.cfg
        base_seed = cfg.seed * 1_000_003 + self.calls * 1009
        self.calls += 1
        engine = model.engine()
        if hasattr(engine, "clear_prefix_cache"):
            engine.clear_prefix_cache()  # the weights changed since the last call: cached KV is stale
        module = model.model
        was_training = module.training
        module.eval()  # no dropout / checkpointing while sampling; the KV cache stays on
        try:
            def one(k: int) -> Episode:
                return run_episode(model, self.tasks[ids[k]], self.env_config, temperature=cfg.temperature,
                                   top_p=cfg.top_p, max_completion_length=cfg.max_completion_length,
                                   max_turn_tokens=cfg.max_turn_tokens, seed=base_seed + k, backend=cfg.backend,
                                   sample=k, env=self.envs.env(self.env_config, cfg.backend) if self.envs else None)

            with ThreadPoolExecutor(max_workers=cfg.concurrency or len(prompts)) as pool:
                episodes = list(pool.map(one, range(len(prompts))))
        finally:
            module.train(was_training)
        self.episodes = episodes
        if trainer is not None:
            mode = "train" if was_training else "eval"
            metrics = trainer._metrics[mode]  # TRL's per-step metric store (logged with its own)
            n = len(episodes)
            metrics["rollout/truncated_by_max_completion_length"].append(sum(e.budget_truncated for e in episodes) / n)
            metrics["rollout/truncated_turns"].append(sum(e.truncated_turns for e in episodes)
                                                      / max(1, sum(e.turns for e in episodes)))
            metrics["rollout/episode_truncated"].append(sum(e.stop_reason != "final" for e in episodes) / n)
            metrics["rollout/turns"].append(sum(e.turns for e in episodes) / n)
            metrics["rollout/env_tokens"].append(sum(e.env_mask.count(0) for e in episodes) / n)
            metrics["rollout/reward"].append(sum(e.reward for e in episodes) / n)
        return {"prompt_ids": [e.prompt_ids for e in episodes],
                "completion_ids": [e.completion_ids for e in episodes],
                "logprobs": [e.logprobs for e in episodes],
                "env_mask": [e.env_mask for e in episodes],
                "reward": [e.reward for e in episodes]}


def _task_id(prompt: Any) -> str:
    if isinstance(prompt, list):
        for m in prompt:
            if isinstance(m, dict) and m.get("task_id"):
                return str(m["task_id"])
    raise GRPOConfigError("a GRPO prompt must carry its task id (build the dataset with grpo_dataset)")


def trl_args(cfg: GRPOTrainConfig, **over: Any) -> Any:
    from trl import GRPOConfig

    from clawgym.train._sft import checkpointing_args, train_device

    dev, bf16_ok = train_device(cfg.device)
    batch = cfg.num_generations * cfg.tasks_per_step
    kw: dict[str, Any] = dict(
        output_dir=cfg.output_dir, max_steps=cfg.max_steps, learning_rate=cfg.learning_rate, beta=cfg.beta,
        loss_type=cfg.loss_type, scale_rewards=cfg.scale_rewards, temperature=cfg.temperature, top_p=cfg.top_p,
        num_generations=cfg.num_generations, per_device_train_batch_size=batch, gradient_accumulation_steps=1,
        max_completion_length=cfg.max_completion_length, mask_truncated_completions=cfg.mask_truncated_completions,
        seed=cfg.seed, logging_steps=cfg.logging_steps, save_strategy="no", report_to="none",
        use_cpu=dev.type == "cpu", bf16=bf16_ok if cfg.bf16 is None else cfg.bf16, disable_tqdm=True,
        remove_unused_columns=False, log_completions=False, **checkpointing_args(GRPOConfig, False),
    )
    kw.update(over)
    return GRPOConfig(**kw)


@dataclass
class GRPOResult:
    output_dir: str
    steps: int
    seconds: float
    log: list[dict[str, Any]] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    """Mean reward per generation step."""


def load_tasks_for(cfg: GRPOTrainConfig) -> list[Task]:
    from clawgym.tasks import load_tasks

    if not cfg.tasks:
        raise GRPOConfigError("no tasks: give --tasks DIR (a task folder, a folder of them, or a JSONL file)")
    tasks = load_tasks(cfg.tasks)
    if not tasks:
        raise GRPOConfigError(f"no tasks found in {cfg.tasks}")
    return tasks


def build_trainer(cfg: GRPOTrainConfig, tasks: list[Task], model: Any, tokenizer: Any,
                  callbacks: list[Any] | None = None, envs: Any = None, **over: Any) -> tuple[Any, RolloutFunc]:
    import os

    from trl import GRPOTrainer

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is "experimental" in TRL
    cfg.check()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    rollout = RolloutFunc({t.id: t for t in tasks}, cfg, envs=envs)
    trainer = GRPOTrainer(model=model, reward_funcs=[verifier_reward], args=trl_args(cfg, **over),
                          train_dataset=grpo_dataset(tasks), processing_class=tokenizer, rollout_func=rollout,
                          callbacks=callbacks)
    return trainer, rollout


def train_grpo(cfg: GRPOTrainConfig, *, tasks: list[Task] | None = None, model: Any = None, tokenizer: Any = None,
               on_log: Any = None) -> GRPOResult:
    """Train the policy with GRPO on `cfg.tasks` and save a checkpoint `hf:OUTPUT_DIR` loads."""
    from transformers import TrainerCallback

    from clawgym.train._sft import load_base, save_checkpoint

    tasks = tasks if tasks is not None else load_tasks_for(cfg)
    if model is None or tokenizer is None:
        from clawgym.train._sft import train_device

        model, tokenizer = load_base(cfg.model, train_device(cfg.device)[0])
    log: list[dict[str, Any]] = []

    class _Log(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):  # noqa: ANN001
            if logs:
                entry = {"step": state.global_step, **logs}
                log.append(entry)
                if on_log is not None:
                    on_log(entry)

    model.train()
    envs = RayEnvs(cfg.ray_address) if cfg.executor == "ray" else None
    trainer, _ = build_trainer(cfg, tasks, model, tokenizer, callbacks=[_Log()], envs=envs)
    t0 = time.monotonic()
    try:
        trainer.train()
    finally:
        if envs is not None:
            envs.close()
    seconds = time.monotonic() - t0
    if cfg.save:
        save_checkpoint(trainer, tokenizer, cfg.output_dir, lora=False)
        Path(cfg.output_dir).mkdir(parents=True, exist_ok=True)
        Path(cfg.output_dir, "clawgym_grpo.json").write_text(json.dumps(
            {"config": cfg.to_dict(), "steps": trainer.state.global_step, "seconds": round(seconds, 3),
             "log": log}, indent=2, default=str) + "\n")
    rewards = [e["reward"] for e in log if "reward" in e]
    return GRPOResult(output_dir=cfg.output_dir, steps=trainer.state.global_step, seconds=seconds, log=log,
                      rewards=rewards)


__all__ = ["Episode", "EnvTokens", "GRPOConfigError", "GRPOResult", "GRPOTrainConfig", "RayEnvs", "RolloutFunc",
           "build_trainer", "grpo_dataset", "run_episode", "train_grpo", "verifier_reward"]
