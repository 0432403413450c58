"""One rollout: an episode of the environment (`ClawEnv`) played by an agent.

The environment owns the episode's sandbox session and its one finisher: once the agent stops,
every agent process is killed, the final workspace is exported (a tar stream) and verified in a
fresh sandbox of its own; each phase is timed into `trajectory.timing`. An LLM agent steps the
environment; a black-box agent (OpenClaw, the oracle) acts in the session's sandbox and the
episode then ends through the same finisher. No host process opens a path inside the agent's
workspace."""

from __future__ import annotations

from typing import Any

from clawgym.agent._agents import Agent, Event
from clawgym.agent._env import ClawEnv
from clawgym.agent._trajectory import Trajectory
from clawgym.errors import ClawGymError
from clawgym.sandbox import SandboxLimitExceeded, SandboxLimits
from clawgym.tasks import Task
from clawgym.verify import Aggregation


def rollout(task: Task, agent: Agent, *, sample: int = 0, backend: str = "bwrap",
            limits: SandboxLimits | None = None, aggregation: Aggregation = "default",
            on_event: Event | None = None, verify: bool = True, **verify_kwargs: Any) -> Trajectory:
    """Run one attempt and return its trajectory. Agent and model failures are recorded in the
    trajectory (status and error), never raised; only a sandbox that cannot be made raises.

    A sandbox limit the agent breaks (memory, processes, disk) ends the rollout as the agent's
    failure with the reason; its workspace is still verified when the session survived."""
    traj = Trajectory(task_id=task.id, sample=sample, agent=agent.config())
    # a user's agent need not subclass Agent: `run` (and `config`) are enough, as they always were
    env_config = getattr(agent, "env_config", None)
    env = ClawEnv(env_config() if env_config is not None else None, backend=backend, limits=limits,
                  aggregation=aggregation, verify=verify, on_event=on_event, **verify_kwargs)
    episode = getattr(agent, "episode", None) or (lambda e, t, tr: Agent.episode(agent, e, t, tr))
    try:
        try:
            episode(env, task, traj)
        except Exception as exc:
            if env.sandbox is None or env.done:
                raise  # no session was made, or the finisher itself failed: not the agent's doing
            if isinstance(exc, SandboxLimitExceeded):
                env.stop("sandbox_limit", status="agent_error", error=str(exc))
            elif isinstance(exc, ClawGymError):  # sandbox trouble mid-run: the infrastructure's fault
                env.stop("agent_crash", status="infra_error", error=f"{type(exc).__name__}: {exc}")
            else:  # a bug in an agent: recorded, and the run goes on
                env.stop("agent_crash", status="agent_error", error=f"{type(exc).__name__}: {exc}")
        if not env.done:  # a black-box agent stopped by itself: its own stop reason stands
            env.stop(traj.stop_reason or "agent_exit")
    finally:
        env.close()
    return traj
