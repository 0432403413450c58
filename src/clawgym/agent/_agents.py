"""Agents behind one interface: `llm` (the loop), `oracle` (the reference solution), `noop`."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from pydantic import Field

from clawgym.agent._env import SYSTEM_PROMPT, ClawEnv, EnvConfig, Event
from clawgym.agent._trajectory import Trajectory
from clawgym.models import ChatModel, ContextLengthError, ModelError, SamplingParams
from clawgym.sandbox import Sandbox
from clawgym.tasks import Task, TaskFile
from clawgym.verify import run_solution, solution_entry

__all__ = ["SYSTEM_PROMPT", "Agent", "AgentConfig", "Event", "LLMAgent", "NoopAgent", "OracleAgent", "make_agent"]


class AgentConfig(EnvConfig):
    """Budgets and sampling for the llm agent. Task limits fill what is left as None."""

    sampling: SamplingParams = Field(default_factory=SamplingParams)


class Agent(ABC):
    name: str = "agent"

    @abstractmethod
    def run(self, task: Task, sandbox: Sandbox, traj: Trajectory, on_event: Event | None = None) -> None:
        """Act in the sandbox, filling `traj` as it goes. Raises only for infrastructure failures."""

    def config(self) -> dict[str, Any]:
        return {"name": self.name}

    def env_config(self) -> EnvConfig | None:
        """The budgets of the environment `rollout()` plays this agent in (None: the defaults and
        the task's limits). An agent that steps the environment gives its own."""
        return None

    def episode(self, env: ClawEnv, task: Task, traj: Trajectory) -> None:
        """Play one episode of `task` in `env`, filling `traj`; `rollout()` ends it (the one
        finisher: export, verification). This default is a black-box agent's: the episode's
        sandbox session starts (`env.begin`) and `run` acts in it."""
        self.run(task, env.begin(task, traj.sample, trajectory=traj), traj, env.on_event)


class NoopAgent(Agent):
    name = "noop"

    def run(self, task, sandbox, traj, on_event=None) -> None:
        traj.messages = [{"role": "user", "content": task.instruction}]
        traj.stop_reason = "noop"


class OracleAgent(Agent):
    """Runs the task's reference solution (solve.sh or solve.py) in the workspace."""

    name = "oracle"

    def run(self, task, sandbox, traj, on_event=None) -> None:
        traj.messages = [{"role": "user", "content": task.instruction}]
        entry = solution_entry(task)
        if entry is None:
            traj.status, traj.error, traj.stop_reason = "agent_error", "task has no solution/solve.sh or solve.py", "agent_crash"
            return
        r = run_solution(task, sandbox)
        runner = "bash" if entry == "solve.sh" else "python3"
        call = {"id": "call_oracle", "type": "function",
                "function": {"name": "exec", "arguments": json.dumps({"command": f"{runner} solution/{entry}"})}}
        traj.messages += [{"role": "assistant", "content": None, "tool_calls": [call]},
                          {"role": "tool", "tool_call_id": "call_oracle",
                           "content": (r.stdout + r.stderr)[-4000:] + f"[exit code {r.exit_code}]"}]
        traj.stop_reason = "solution_done"
        if not r.ok:
            traj.status, traj.error = "agent_error", f"solution exited {r.exit_code}{' (timed out)' if r.timed_out else ''}"


class LLMAgent(Agent):
    """The agent loop: a model, OpenClaw's tools, budgets, and a faithful record."""

    name = "llm"

    def __init__(self, model: ChatModel, config: AgentConfig | None = None):
        self.model, self.cfg = model, config or AgentConfig()

    def config(self) -> dict[str, Any]:
        return {"name": self.name, **self.cfg.model_dump(exclude={"sampling", "system_prompt"}, exclude_none=True)}

    def env_config(self) -> EnvConfig:
        return self.cfg

    def episode(self, env: ClawEnv, task: Task, traj: Trajectory) -> None:
        """The rollout's episode: `env` makes the sandbox and the conversation, the model steps it."""
        traj.model, traj.sampling = self.model.config(), self.cfg.sampling.given()
        env.reset(task, traj.sample, trajectory=traj)
        self.play(env)

    def run(self, task, sandbox, traj, on_event=None) -> None:
        """The same loop over an environment attached to a sandbox someone else owns (who then
        verifies it): the model answers, the environment runs the tools and keeps the record."""
        env = ClawEnv(self.cfg, on_event=on_event)
        traj.model, traj.sampling = self.model.config(), self.cfg.sampling.given()
        env.reset(task, sandbox=sandbox, trajectory=traj)
        try:
            self.play(env)
        finally:
            env.close()

    def play(self, env: ClawEnv) -> None:
        """Step a reset environment until the episode ends: the model gets what is left of the
        wall time; a model that fails or outgrows its context ends the episode with the reason."""
        cfg = self.cfg
        while True:
            left = env.time_left_s
            if left <= 0:
                env.stop("timeout")
                return
            try:  # the model gets what is left of the agent's wall time, and no more
                resp = self.model.chat(env.messages, env.tool_schemas, cfg.sampling, timeout_s=left)
            except ContextLengthError:
                env.stop("context_length")
                return
            except ModelError as exc:  # unreachable, hung or answering garbage: not the agent's fault
                env.stop("model_error", status="infra_error", error=str(exc))
                return
            result = env.step(resp)
            if result.terminated or result.truncated:
                return


def make_agent(name: str, model: ChatModel | None = None, config: AgentConfig | None = None) -> Agent:
    """An agent by its registered name (llm, oracle, noop, openclaw) or `module:Class`: the one
    registry (`clawgym.registry`) builds it. Raises `RegistryError` (a ValueError) for an unknown
    name, a missing extra, or a model-driven agent without a model."""
    from clawgym import registry

    return registry.make_agent(name, model, config)
