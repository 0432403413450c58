"""One rollout: a fresh sandbox from the task, the agent, then verification in a sandbox of its
own once every agent process has stopped."""

from __future__ import annotations

import time
from typing import Any

from clawgym.agent._agents import Agent, Event
from clawgym.agent._trajectory import Trajectory, digest, workspace_diff
from clawgym.errors import ClawGymError
from clawgym.sandbox import SandboxLimits, create_sandbox
from clawgym.tasks import Task
from clawgym.verify import Aggregation
from clawgym.verify import verify as verify_workspace


def rollout(task: Task, agent: Agent, *, sample: int = 0, backend: str = "bwrap",
            limits: SandboxLimits | None = None, aggregation: Aggregation = "default",
            on_event: Event | None = None, verify: bool = True, **verify_kwargs: Any) -> Trajectory:
    """Run one attempt and return its trajectory. Agent and model failures are recorded in the
    trajectory (status and error), never raised; only a sandbox that cannot be made raises."""
    traj = Trajectory(task_id=task.id, sample=sample, agent=agent.config())
    start = time.monotonic()
    with create_sandbox(backend, files=task.workspace, mount_path=task.mount_path, limits=limits) as sb:
        try:
            agent.run(task, sb, traj, on_event)
        except ClawGymError as exc:  # sandbox trouble mid-run: the infrastructure's fault
            traj.status, traj.error, traj.stop_reason = "infra_error", f"{type(exc).__name__}: {exc}", "agent_crash"
        except Exception as exc:  # a bug in an agent: recorded, and the run goes on
            traj.status, traj.error, traj.stop_reason = "agent_error", f"{type(exc).__name__}: {exc}", "agent_crash"
        sb.kill_all()  # nothing the agent left running may touch the files from here on
        traj.agent_s = time.monotonic() - start
        final = digest(sb.host_workspace)
        traj.diff = workspace_diff(task.workspace, final)
        if verify:
            t = time.monotonic()
            traj.verification = verify_workspace(task, sb.host_workspace, aggregation=aggregation, backend=backend,
                                            transcript=traj.messages, final_message=traj.final_message,
                                            **verify_kwargs)
            traj.verify_s = time.monotonic() - t
    return traj
