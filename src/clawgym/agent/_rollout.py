"""One rollout: a sandbox session from the task, the agent, then verification in a fresh sandbox
of its own that receives the final workspace as the session's export (a tar stream), once every
agent process has stopped. No host process opens a path inside the agent's workspace."""

from __future__ import annotations

import time
from typing import Any

from clawgym.agent._agents import Agent, Event
from clawgym.agent._trajectory import Trajectory, digest, workspace_diff
from clawgym.errors import ClawGymError
from clawgym.sandbox import OperationError, Sandbox, SandboxLimitExceeded, SandboxLimits, create_sandbox
from clawgym.tasks import Task
from clawgym.verify import Aggregation, VerifyResult
from clawgym.verify import verify as verify_workspace


def rollout(task: Task, agent: Agent, *, sample: int = 0, backend: str = "bwrap",
            limits: SandboxLimits | None = None, aggregation: Aggregation = "default",
            on_event: Event | None = None, verify: bool = True, **verify_kwargs: Any) -> Trajectory:
    """Run one attempt and return its trajectory. Agent and model failures are recorded in the
    trajectory (status and error), never raised; only a sandbox that cannot be made raises.

    A sandbox limit the agent breaks (memory, processes, disk) ends the rollout as the agent's
    failure with the reason; its workspace is still verified when the session survived."""
    traj = Trajectory(task_id=task.id, sample=sample, agent=agent.config())
    start = time.monotonic()
    with create_sandbox(backend, files=task.workspace, mount_path=task.mount_path, limits=limits) as sb:
        try:
            agent.run(task, sb, traj, on_event)
        except SandboxLimitExceeded as exc:
            traj.status, traj.error, traj.stop_reason = "agent_error", str(exc), "sandbox_limit"
        except ClawGymError as exc:  # sandbox trouble mid-run: the infrastructure's fault
            traj.status, traj.error, traj.stop_reason = "infra_error", f"{type(exc).__name__}: {exc}", "agent_crash"
        except Exception as exc:  # a bug in an agent: recorded, and the run goes on
            traj.status, traj.error, traj.stop_reason = "agent_error", f"{type(exc).__name__}: {exc}", "agent_crash"
        traj.agent_s = time.monotonic() - start
        sb.deadline = None  # the agent's budget is spent; stopping and export have their own bounds
        try:
            sb.kill_all()  # nothing the agent left running may touch the files from here on
            if _filled(sb):  # the agent's doing: an honest 0, never a verifier error
                traj.status, traj.stop_reason = "agent_error", "sandbox_limit"
                traj.error = (f"the agent filled its workspace to the size cap ({sb.limits.workspace_bytes} bytes): "
                              "not verified, scored 0")
                return traj
            archive = sb.export()
        except OperationError as exc:  # the export refused what the agent left (a file flood, ...)
            if verify:
                traj.verification = VerifyResult(task_id=task.id, status="verifier_error", score=0.0,
                                                 aggregation=aggregation, error=f"the final workspace was refused: {exc}")
            return traj
        except ClawGymError as exc:
            if traj.status == "done":
                limit = isinstance(exc, SandboxLimitExceeded)
                traj.status = "agent_error" if limit else "infra_error"
                traj.stop_reason = "sandbox_limit" if limit else traj.stop_reason
                traj.error = f"the final workspace could not be read: {exc}"
            if verify:
                traj.verification = VerifyResult(task_id=task.id, status="verifier_error", score=0.0,
                                                 aggregation=aggregation, error=f"no workspace to verify: {exc}")
            return traj
    with archive:
        traj.diff = workspace_diff(task.workspace, digest(archive))
        if verify:
            archive.seek(0)
            t = time.monotonic()
            verify_kwargs.setdefault("limits", SandboxLimits(workspace_bytes=sb.limits.workspace_bytes,
                                                             memory_group=sb.limits.memory_group))
            traj.verification = verify_workspace(task, archive=archive, aggregation=aggregation, backend=backend,
                                                 transcript=traj.messages, final_message=traj.final_message,
                                                 **verify_kwargs)
            traj.verify_s = time.monotonic() - t
    return traj


FULL_BYTES = 1 << 20  # a workspace with less than this left was filled to its cap


def _filled(sb: Sandbox) -> bool:
    """Whether the agent filled its workspace to the size cap (writes past it failed with "No
    space left on device"). Only a capped mount can be full; a backend without one never is."""
    free = sb.workspace_free_bytes()
    return free is not None and free < FULL_BYTES
