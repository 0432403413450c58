"""The environment API (`ClawEnv`): reset/step over a real sandbox session, rewards from the
verifier in a fresh sandbox, budgets and stop reasons, typed messages, and the LLM agent as a
loop over it (same record as a rollout)."""

from __future__ import annotations

import json

import pytest

from clawgym.agent import (
    AgentConfig, AssistantMessage, ClawEnv, EnvConfig, EnvError, LLMAgent, ToolMessage, UserMessage, parse_message,
    rollout, run_policy,
)
from clawgym.models import ScriptedModel
from clawgym.tasks import Task, TaskFile
from tests.conftest import requires_bwrap

pytestmark = requires_bwrap

CHECK = """import json, os, sys
ws = sys.argv[1]
p = os.path.join(ws, "out.txt")
ok = os.path.exists(p) and open(p).read().strip() == "HELLO"
print(json.dumps({"out_is_hello": 1.0 if ok else 0.0}))
"""


def _task(max_steps: int | None = None) -> Task:
    t = Task(id="env-t", instruction="Write HELLO into out.txt.", workspace=[TaskFile(path="in.txt", data=b"hello\n")],
             checks=[TaskFile(path="check.py", data=CHECK.encode())])
    if max_steps:
        t.limits.max_steps = max_steps
    return t


def _call(name: str, args: dict, cid: str = "c1") -> dict:
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]}


def test_reset_step_reward_and_record():
    with ClawEnv() as env:
        obs = env.reset(_task(), seed=3)
        assert [m.role for m in obs.messages] == ["system", "user"]
        assert isinstance(obs.messages[1], UserMessage) and obs.messages[1].content == "Write HELLO into out.txt."
        assert {t["function"]["name"] for t in obs.tools} >= {"read", "write", "exec"}
        assert env.sandbox.path in obs.messages[0].content  # the system prompt names the mount
        msgs, reward, term, trunc, info = env.step(_call("read", {"path": "in.txt"}))
        assert (reward, term, trunc, info["stop_reason"]) == (0.0, False, False, None)
        assert isinstance(msgs[0], ToolMessage) and msgs[0].tool_call_id == "c1" and "hello" in msgs[0].content
        # raw completion text in our format is parsed the way in-process models are
        msgs, reward, term, trunc, _ = env.step('ok <tool_call>{"name": "exec", "arguments": '
                                                '{"command": "tr a-z A-Z < in.txt > out.txt"}}</tool_call>')
        assert not msgs[0].is_error and reward == 0.0
        msgs, reward, term, trunc, info = env.step({"role": "assistant", "content": "Done."})
        assert msgs == [] and term and not trunc and info["stop_reason"] == "final"
        assert reward == 1.0 and info["verification"].checks == {"out_is_hello": 1.0}
        traj = env.trajectory
        assert traj.sample == 3 and traj.final_message == "Done." and traj.score == 1.0
        assert [m["role"] for m in traj.messages] == ["system", "user", "assistant", "tool", "assistant", "tool",
                                                      "assistant"]
        assert traj.messages[4]["tool_calls"][0]["function"]["name"] == "exec"
        assert [d.path for d in traj.diff] == ["out.txt"]
        assert len(traj.steps) == 3 and traj.steps[1].tool_calls == ["exec"]
        assert env.sandbox is None  # the session was freed at the end
        with pytest.raises(EnvError):
            env.step({"role": "assistant", "content": "again"})


def test_budgets_truncate_and_still_verify():
    env = ClawEnv()
    env.reset(_task(max_steps=2))
    assert env.step(_call("write", {"path": "out.txt", "content": "HELLO"})).truncated is False
    msgs, reward, term, trunc, info = env.step(_call("read", {"path": "out.txt"}))
    assert trunc and not term and info["stop_reason"] == "max_steps" and reward == 1.0  # the work is scored


def test_malformed_calls_are_counted_and_stop_the_episode():
    env = ClawEnv(EnvConfig(max_malformed=1))
    env.reset(_task())
    r = env.step("<tool_call>{not json</tool_call>")
    assert r.messages[0].is_error and "malformed" in r.messages[0].content and r.info["malformed"] == 1
    r = env.step(_call("nosuch", {}))
    assert r.truncated and r.info["stop_reason"] == "malformed_tool_calls" and r.reward == 0.0
    assert env.trajectory.steps[1].errors[0].startswith("Error: unknown tool")


def test_stop_from_outside_and_token_budget():
    env = ClawEnv(EnvConfig(max_tokens=50))
    env.reset(_task())
    from clawgym.models import ModelResponse, Usage, make_call

    resp = ModelResponse(tool_calls=[make_call("exec", {"command": "echo HELLO > out.txt"})],
                         usage=Usage(prompt_tokens=40, completion_tokens=12), token_ids=[1, 2, 3],
                         logprobs=[-0.1, -0.2, -0.3])
    r = env.step(resp)
    assert r.truncated and r.info["stop_reason"] == "max_tokens" and r.reward == 1.0
    assert env.trajectory.steps[0].token_ids == [1, 2, 3] and env.trajectory.usage.total == 52
    env.reset(_task())
    r = env.stop("model_error", status="infra_error", error="boom")
    assert r.truncated and env.trajectory.status == "infra_error" and env.trajectory.stop_reason == "model_error"
    env.close()


def test_agent_loop_is_the_env_loop_and_matches_rollout():
    script = [{"content": "", "tool_calls": [{"id": "c0", "name": "write",
                                              "arguments": {"path": "out.txt", "content": "HELLO"}}]}]
    traj = rollout(_task(), LLMAgent(ScriptedModel(script), AgentConfig(max_steps=5)))
    assert traj.stop_reason == "final" and traj.score == 1.0
    env_traj = run_policy(ClawEnv(), _task(), lambda msgs, tools: ScriptedModel(script).chat(msgs, tools)
                          if len(msgs) == 2 else {"role": "assistant", "content": "Done."})
    assert env_traj.score == 1.0
    strip = lambda ms: [{k: v for k, v in m.items() if k != "tool_calls"} for m in ms[1:]]  # noqa: E731
    assert strip(env_traj.messages) == strip(traj.messages)  # same conversation (call ids differ)


def test_typed_messages_round_trip():
    raw = [{"role": "system", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "u"}]},
           {"role": "assistant", "content": None, "tool_calls": [
               {"id": "a", "type": "function", "function": {"name": "read", "arguments": {"path": "x"}}}]},
           {"role": "tool", "tool_call_id": "a", "content": "data"}]
    typed = [parse_message(m) for m in raw]
    assert [type(m).__name__ for m in typed] == ["SystemMessage", "UserMessage", "AssistantMessage", "ToolMessage"]
    assert typed[1].text == "u" and typed[2].calls()[0].parsed == {"path": "x"}
    assert typed[1].openai() == raw[1]  # content parts are kept as sent
    assert typed[2].openai()["tool_calls"][0]["function"]["arguments"] == '{"path": "x"}'
    assert typed[3].openai() == raw[3]
    bad = AssistantMessage.from_text("<tool_call>{oops</tool_call>")
    assert bad.calls()[0].error is not None


def test_a_tool_subset_shortens_the_prompt_and_refuses_the_rest():
    env = ClawEnv(EnvConfig(tools=["read", "write", "exec"]))
    obs = env.reset(_task())
    assert [t["function"]["name"] for t in obs.tools] == ["read", "write", "exec"]
    r = env.step(_call("apply_patch", {"input": "x"}))
    assert r.messages[0].is_error and "unknown tool" in r.messages[0].content and r.info["malformed"] == 1
    assert env.trajectory.tools == obs.tools
    env.close()
