"""The first model call starts while the episode's session is being made; a session that
cannot be made still fails the rollout as before. Real bubblewrap sessions, nothing mocked."""

from __future__ import annotations

import os
import secrets
import time

import pytest

from clawgym.agent import LLMAgent, rollout
from clawgym.errors import SandboxError
from clawgym.models import ScriptedModel
from clawgym.sandbox import SandboxLimits
from clawgym.tasks import Task, TaskFile
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap

CHECK = b"import json, sys, pathlib\nprint(json.dumps({'ok': pathlib.Path(sys.argv[1], 'out.txt').is_file()}))\n"


def _task() -> Task:
    return Task(id="ahead", instruction="Write out.txt.", workspace=[TaskFile(path="in.txt", data=b"x")],
                checks=[TaskFile(path="check.py", data=CHECK)])


class _Timed(ScriptedModel):
    """Scripted, noting when each call was made."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.asked: list[float] = []

    def chat(self, *a, **kw):
        self.asked.append(time.monotonic())
        return super().chat(*a, **kw)


def test_the_first_model_call_runs_while_the_session_is_made():
    # a shape no warm session has (its own workspace cap): the session starts on demand
    limits = SandboxLimits(workspace_bytes=(64 << 20) + secrets.randbelow(1 << 20) * 4096)
    model = _Timed([{"content": "", "tool_calls": [{"id": "c0", "name": "write",
                                                       "arguments": {"path": "out.txt", "content": "hi"}}]}])
    t0 = time.monotonic()
    traj = rollout(_task(), LLMAgent(model), limits=limits)
    assert traj.status == "done" and traj.score == 1.0, traj.error
    setup = traj.timing.setup_s
    assert setup > 0
    assert model.asked[0] < t0 + setup  # asked before the session was ready, not after
    assert traj.messages[0]["role"] == "system" and "/root/.openclaw/workspace" in traj.messages[0]["content"]


@pytest.mark.skipif(os.geteuid() != 0, reason="memory groups need root")
def test_a_session_that_cannot_be_made_still_fails_the_rollout():
    limits = SandboxLimits(memory_group=f"gone-{secrets.token_hex(4)}")  # no such group: the start fails
    with pytest.raises(SandboxError, match="memory group"):
        rollout(_task(), LLMAgent(ScriptedModel(["Done."])), limits=limits)


def test_the_verification_session_is_asked_for_at_the_first_answer_that_goes_on():
    """Not at the reset (where it would compete with the first model calls and the sessions the
    first tool calls need), and not at all when the first answer ends the episode (the finisher
    starts its own at once)."""
    from clawgym.agent import ClawEnv
    from clawgym.sandbox import BwrapSandbox, default_pool
    from clawgym.sandbox._pool import shape_key
    from clawgym.verify._code import verification_limits

    task = _task()
    limits = SandboxLimits(workspace_bytes=(64 << 20) + secrets.randbelow(1 << 20) * 4096)  # shapes of its own
    key = shape_key(BwrapSandbox, {"mount_path": task.mount_path, "limits": verification_limits(limits)})
    pool = default_pool()

    def asked_ahead() -> int:  # verification sessions of this shape asked for ahead, not yet taken
        shape = pool._shapes.get(key)
        return 0 if shape is None else shape.reserved

    write = {"role": "assistant", "content": None, "tool_calls": [{"id": "c0", "type": "function", "function": {
        "name": "write", "arguments": '{"path": "out.txt", "content": "hi"}'}}]}
    with ClawEnv(limits=limits) as env:
        env.reset(task)
        assert asked_ahead() == 0
        env.step(write)
        assert asked_ahead() == 1
        _, reward, terminated, _, _ = env.step("Done.")
        assert terminated and reward == 1.0
    with ClawEnv(limits=limits.model_copy(update={"workspace_bytes": limits.workspace_bytes + 4096})) as env:
        env.reset(task)
        _, reward, terminated, _, _ = env.step("Nothing to do.")  # ends at once: verified, never prewarmed
        assert terminated and reward == 0.0
        key = shape_key(BwrapSandbox, {"mount_path": task.mount_path, "limits": verification_limits(env.limits)})
        assert asked_ahead() == 0
