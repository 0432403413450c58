"""GRPO episodes whose sandbox sessions run in Ray actors: the same token-exact record and the
same verifier reward as local sessions; the policy stays in this process."""

from __future__ import annotations

import pytest

pytest.importorskip("trl")
pytest.importorskip("ray")

from clawgym.agent import EnvConfig  # noqa: E402
from clawgym.train import RayEnvs, run_episode  # noqa: E402
from tests.conftest import requires_bwrap  # noqa: E402
from tests.train.test_grpo import BAD, GOOD, scripted, task, tiny  # noqa: E402,F401  (fixtures)

pytestmark = requires_bwrap


@pytest.fixture(scope="module")
def envs():
    import ray

    started = not ray.is_initialized()
    pool = RayEnvs(None, num_cpus=0.5)
    yield pool
    pool.close()
    if started:
        ray.shutdown()


def test_ray_sessions_give_the_local_record_and_reward(tiny, task, envs):  # noqa: F811
    cfg = EnvConfig(max_steps=4, tools=["read", "write"])
    for text, reward in ((GOOD, 1.0), (BAD, 0.0)):
        local = run_episode(scripted(tiny, {0: [text, "Done."]}), task, cfg, seed=0, max_turn_tokens=64)
        remote = run_episode(scripted(tiny, {0: [text, "Done."]}), task, cfg, seed=0, max_turn_tokens=64,
                             env=envs.env(cfg, "bwrap"))
        assert remote.reward == local.reward == reward
        assert remote.completion_ids == local.completion_ids and remote.env_mask == local.env_mask
        assert remote.prompt_ids == local.prompt_ids and remote.stop_reason == local.stop_reason == "final"
        assert remote.trajectory.verification.score == reward and len(remote.trajectory.steps) == 2
    assert sum(len(p) for p in envs._idle.values()) == 1  # one actor, reused


def test_the_ray_env_passes_check_env(task, envs):  # noqa: F811
    from clawgym.agent import Env, check_env

    env = envs.env(EnvConfig(max_steps=4, tools=["read", "write"]), "bwrap")
    assert isinstance(env, Env)
    check_env(env, task)  # EnvError comes back as itself, not wrapped in Ray's error
    assert sum(len(p) for p in envs._idle.values()) == 1  # closed twice, handed back once
