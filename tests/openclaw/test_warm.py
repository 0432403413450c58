"""Warm OpenClaw sessions (`clawgym.agent._openclaw_warm`): the real OpenClaw, started and warmed
up in a real bubblewrap session before its task exists, then given one rollout.

What must hold: consecutive warm rollouts complete like cold ones, and each sees only its own
workspace, state and model exchanges (nothing of the rollout before it, nor the warm-up's
scratch workspace). Costs three OpenClaw start-ups (one cold rollout, two warm sessions)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from clawgym.agent import rollout
from clawgym.agent._openclaw import OpenClawAgent
from clawgym.agent._openclaw_warm import WarmPool, configure_warm_pool, warm_pool
from clawgym.models import ScriptedModel
from clawgym.tasks import Task, TaskFile
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap

CHECK = b'''import json, os, sys
def grade(transcript, workspace_path):
    return {"looked": os.path.exists(os.path.join(workspace_path, "seen.txt"))}
if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
'''


@pytest.fixture(scope="module")
def install():
    from clawgym.agent._openclaw_install import OpenClawInstallError, find_install
    from clawgym.agent._openclaw_install import install as do_install

    inst = find_install()
    if inst is None:
        try:
            inst = do_install(log=lambda m: None)
        except OpenClawInstallError as exc:
            pytest.skip(f"the pinned OpenClaw cannot be installed here: {exc}")
    return inst


def _look(name: str, secret: str, earlier: list[str]) -> tuple[Task, ScriptedModel]:
    """A task whose workspace holds one secret file, and a model that lists what the session
    holds and searches HOME (OpenClaw's config and state) and /tmp for what earlier rollouts had."""
    # the patterns go base64-encoded: this command itself is kept in the session's own transcript
    def grep(patterns: list[str]) -> str:
        return " ".join(f'-e "$(echo {base64.b64encode(s.encode()).decode()} | base64 -d)"' for s in patterns)

    command = (f"ls -A . > seen.txt; echo WS: $(ls -A .); echo TMP: $(ls -A /tmp); "
               f"echo OWN: $(grep -rlas {grep([secret])} /root /tmp .); "
               f"echo LEAKS: $(grep -rlas {grep(earlier or ['no-earlier-rollout'])} /root /tmp .)")
    task = Task(id=f"warm-{name}", instruction=f"List what you can see ({name}).",
                workspace=[TaskFile(path=f"{name}.txt", data=secret.encode())],
                checks=[TaskFile(path="check.py", data=CHECK)])
    model = ScriptedModel([{"content": None, "tool_calls": [{"name": "exec", "arguments": {"command": command}}]}],
                          final=f"looked ({name})")
    return task, model


def _seen(traj) -> str:
    """What the listing command printed, as OpenClaw returned it to the model."""
    return "\n".join(json.dumps(m.get("content")) for m in traj.messages if m.get("role") == "tool")


def test_consecutive_warm_rollouts_see_only_their_own(install):
    configure_warm_pool(1, warm_after=1)  # warm from the first rollout on (a run waits for a second)
    secrets: list[str] = []
    trajs = []
    for name in ("a", "b", "c"):
        warm_pool().wait_ready()  # the session started after the rollout before: ready, untimed
        secret = f"secret-{name}-{uuid.uuid4().hex}"
        task, model = _look(name, secret, list(secrets))
        traj = rollout(task, OpenClawAgent(model, install=install))
        assert traj.status == "done" and traj.stop_reason == "agent_exit", (name, traj.error)
        assert traj.score == 1.0 and traj.final_message == f"looked ({name})"
        seen = _seen(traj)
        assert f"WS: {name}.txt" in seen, seen  # its own workspace, only (seen.txt is written after ls)
        assert f"./{name}.txt\\nLEAKS:" in seen, seen  # the search finds what is there
        assert seen.rstrip('"').endswith("LEAKS:"), seen  # nothing of an earlier rollout in HOME, /tmp or here
        assert "clawgym-warm" not in seen  # the warm-up's scratch workspace is gone
        assert not any(s in json.dumps(traj.model_requests) for s in secrets)  # the front: its own exchanges
        secrets += [secret, traj.agent["openclaw"]["sessionId"]]
        trajs.append(traj)
    assert [t.agent["warm"] for t in trajs[1:]] == [True, True], [t.agent["warm"] for t in trajs]
    # the same OpenClaw either way: the tools it offers the model
    assert [t["function"]["name"] for t in trajs[0].tools] == [t["function"]["name"] for t in trajs[2].tools]


def test_a_pool_of_size_zero_keeps_nothing_warm():
    started = []
    pool = WarmPool(0)
    assert pool.take("shape", lambda: started.append(1)) is None
    assert started == [] and not pool.wait_ready(0.1)


def test_a_one_off_rollout_starts_no_warm_session():
    def start():
        raise AssertionError("started")

    pool = WarmPool(1, warm_after=2)
    assert pool.take("shape", start) is None
    assert pool.wait_ready(0.1) is False and pool.errors == []


def test_a_forked_child_starts_its_own_pool():
    import os

    parent = warm_pool()
    pid = os.fork()
    if pid == 0:  # the child: never the parent's sessions, which it cannot own
        os._exit(0 if warm_pool() is not parent else 1)
    assert os.waitpid(pid, 0)[1] == 0
