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


# -- one episode core: the Env protocol, its checker, one finisher, phase timings ------------------

def test_clawenv_passes_check_env():
    from clawgym.agent import Env, check_env

    env = ClawEnv(EnvConfig(max_steps=5))
    assert isinstance(env, Env)
    check_env(env, _task())
    assert env.sandbox is None  # left closed


class _Lenient(ClawEnv):
    """Breaks one rule: a step after the end answers instead of raising."""

    def step(self, action, **kw):
        if self.done:
            return self._end("final", [])
        return super().step(action, **kw)


class _Sticky(ClawEnv):
    """Breaks another: a second close raises."""

    def close(self):
        if getattr(self, "_closed_once", False) and self.sandbox is None and self.done:
            raise RuntimeError("already closed")
        self._closed_once = self.done
        super().close()


@pytest.mark.parametrize("env, rule", [(_Lenient, "step\\(\\) after the end must raise EnvError"),
                                       (_Sticky, "already closed")])
def test_check_env_names_the_broken_rule(env, rule):
    from clawgym.agent import EnvCheckError, check_env

    with pytest.raises((EnvCheckError, RuntimeError), match=rule):
        check_env(env(EnvConfig(max_steps=5)), _task())


class _Crashing:
    """A black-box agent that writes the answer and then crashes (a bug of its own)."""

    name = "crasher"

    def config(self):
        return {"name": self.name}

    def env_config(self):
        return None

    def episode(self, env, task, traj):
        sb = env.begin(task, traj.sample, trajectory=traj)
        sb.write_file(f"{sb.path}/out.txt", b"HELLO")
        raise RuntimeError("agent bug")


def test_rollout_ends_every_agent_through_the_one_finisher_with_phase_timings():
    from clawgym.agent import NoopAgent

    llm = rollout(_task(), LLMAgent(ScriptedModel([{"content": "", "tool_calls": [
        {"id": "c0", "name": "write", "arguments": {"path": "out.txt", "content": "HELLO"}}]}]),
        AgentConfig(max_steps=5)))
    noop = rollout(_task(), NoopAgent())
    crashed = rollout(_task(), _Crashing())
    for traj in (llm, noop, crashed):
        t = traj.timing
        assert t.setup_s > 0 and t.agent_s > 0 and t.export_s > 0 and t.verify_s > 0, (traj.agent, t)
        assert traj.agent_s == t.agent_s and traj.verify_s == t.verify_s
    assert (llm.stop_reason, llm.status, llm.score) == ("final", "done", 1.0)
    assert (noop.stop_reason, noop.status, noop.score) == ("noop", "done", 0.0)
    # the agent's crash is recorded as its own, and what it left is still verified
    assert (crashed.stop_reason, crashed.status) == ("agent_crash", "agent_error")
    assert "RuntimeError: agent bug" in crashed.error and crashed.score == 1.0
    assert [d.path for d in crashed.diff] == ["out.txt"]


def test_timings_are_kept_without_verification():
    traj = rollout(_task(), LLMAgent(ScriptedModel([{"content": "Done."}])), verify=False)
    assert traj.verification is None and traj.timing.verify_s is None and traj.timing.export_s is not None


class _DuckAgent:
    """A user's agent that does not subclass Agent: `run` and `config` are all it has."""

    def config(self):
        return {"name": "duck"}

    def run(self, task, sandbox, traj, on_event=None):
        sandbox.write_file(f"{sandbox.path}/out.txt", b"HELLO")
        traj.stop_reason = "agent_exit"


def test_a_duck_typed_agent_still_rolls_out():
    traj = rollout(_task(), _DuckAgent())
    assert (traj.stop_reason, traj.status, traj.score) == ("agent_exit", "done", 1.0)
    assert traj.timing.setup_s is not None and traj.timing.verify_s is not None
