"""The environment protocol (`Env`) and its conformance check (`check_env`, as Gymnasium's).

Why a protocol: trainers and evaluators drive an episode through a handful of calls, and more
than one thing implements them: `ClawEnv` over a local sandbox session, the Ray-backed env of
`clawgym.train.RayEnvs` that forwards them to an actor, a user's own. `run_episode` (GRPO) and
the LLM agent loop need only this much. Why a checker: the calls can be present and their
meaning still wrong (a step after the end that does not raise, `terminated` and `truncated`
both set, a close that fails the second time); `check_env(env, task)` plays two short episodes
through the real thing and says which rule was broken. Meant for tests and for CI of a new env.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable

from clawgym.agent._env import EnvError, Observation, StepResult
from clawgym.agent._messages import SystemMessage, ToolMessage, UserMessage
from clawgym.agent._trajectory import Trajectory
from clawgym.errors import ClawGymError
from clawgym.tasks import Task


@runtime_checkable
class Env(Protocol):
    """One episode at a time over a sandbox session (see `ClawEnv` for the full semantics).

    reset(task, seed) -> Observation (the system and user messages, the tool schemas);
    step(assistant turn) -> StepResult, Gymnasium's 5-tuple (tool messages, reward, terminated,
    truncated, info); stop(reason) ends the episode from outside a step (truncated); close()
    frees the session and may be called any number of times. `messages` is the conversation so
    far (OpenAI format), `time_left_s` the episode's wall time left, `trajectory` its record.
    """

    @property
    def messages(self) -> list[dict[str, Any]]: ...

    @property
    def time_left_s(self) -> float: ...

    @property
    def trajectory(self) -> Trajectory | None: ...

    def reset(self, task: Task, seed: int | None = None) -> Observation: ...

    def step(self, action: Any) -> StepResult: ...

    def stop(self, reason: Any) -> StepResult: ...

    def close(self) -> None: ...


class EnvCheckError(ClawGymError):
    """An environment broke a rule of the `Env` protocol; the message says which and what came back."""


def _expect(cond: bool, rule: str) -> None:
    if not cond:
        raise EnvCheckError(f"env check failed: {rule}")


def _raises_env_error(call: Any, what: str) -> None:
    try:
        call()
    except EnvError:
        return
    except Exception as exc:
        raise EnvCheckError(f"env check failed: {what} must raise EnvError, it raised {type(exc).__name__}: {exc}")
    raise EnvCheckError(f"env check failed: {what} must raise EnvError, it returned")


def _check_result(res: Any, where: str) -> StepResult:
    _expect(isinstance(res, tuple) and len(res) == 5, f"{where} must return the 5-tuple (messages, reward, "
                                                      f"terminated, truncated, info), got {type(res).__name__}")
    msgs, reward, terminated, truncated, info = res
    _expect(isinstance(msgs, list) and all(isinstance(m, ToolMessage) for m in msgs),
            f"{where}: the messages must be a list of ToolMessage")
    _expect(isinstance(reward, float), f"{where}: the reward must be a float, got {type(reward).__name__}")
    _expect(isinstance(terminated, bool) and isinstance(truncated, bool), f"{where}: terminated/truncated must be bools")
    _expect(isinstance(info, dict) and "stop_reason" in info, f"{where}: info must be a dict with a stop_reason")
    _expect(not (terminated and truncated), f"{where}: an episode ends terminated or truncated, never both")
    ended = terminated or truncated
    _expect((info["stop_reason"] is not None) == ended,
            f"{where}: info['stop_reason'] must be set exactly when the episode ends (got {info['stop_reason']!r}, "
            f"terminated={terminated}, truncated={truncated})")
    if not ended:
        _expect(reward == 0.0, f"{where}: the reward is 0 until the episode ends, got {reward}")
    else:
        _expect(0.0 <= reward <= 1.0, f"{where}: the final reward must lie in [0, 1], got {reward}")
    return StepResult(msgs, reward, terminated, truncated, info)


def _tool_turn(obs: Observation, task: Task) -> dict[str, Any]:
    """An assistant turn calling one of the offered tools: `read` of a workspace file when
    offered, else the first tool with no arguments (an error result is still a tool message)."""
    names = [t.get("function", t).get("name") for t in obs.tools]
    if "read" in names and task.workspace:
        name, args = "read", {"path": task.workspace[0].path}
    else:
        name, args = names[0], {}
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_check", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]}


def check_env(env: Env, task: Task) -> None:
    """Play two short episodes of `task` through `env` and raise `EnvCheckError` at the first
    broken rule: step before reset raises EnvError; reset returns the system and user messages
    and the tool schemas; a tool turn returns its tool message and does not end the episode; a
    final answer ends it as terminated, `stop` as truncated, each with a reward in [0, 1]; a step
    after the end raises EnvError; the trajectory is kept with its phase timings; close is
    idempotent. `env` is left closed. Costs two sandbox sessions (and their verifications)."""
    _expect(isinstance(env, Env), f"{type(env).__name__} lacks part of the Env protocol "
                                  "(messages, time_left_s, trajectory, reset, step, stop, close)")
    _raises_env_error(lambda: env.step({"role": "assistant", "content": "hi"}), "step() before reset()")
    try:
        obs = env.reset(task, seed=0)
        _expect(isinstance(obs, Observation), f"reset() must return an Observation, got {type(obs).__name__}")
        _expect(len(obs.messages) >= 2 and isinstance(obs.messages[0], SystemMessage)
                and isinstance(obs.messages[-1], UserMessage), "reset(): the messages are the system prompt, then the user's")
        _expect(obs.messages[-1].content == task.instruction, "reset(): the user message is the task's instruction")
        _expect(bool(obs.tools) and all(isinstance(t, dict) and t.get("function", t).get("name") for t in obs.tools),
                "reset(): tools must be a non-empty list of tool schemas with names")
        _expect(env.messages == obs.openai_messages(), "reset(): env.messages must be the observation's messages")
        _expect(env.time_left_s > 0, "reset(): the episode starts with wall time left")
        n = len(env.messages)
        res = _check_result(env.step(_tool_turn(obs, task)), "step(tool call)")
        _expect(not (res.terminated or res.truncated) or res.info["stop_reason"] in ("max_steps", "max_tokens"),
                f"step(tool call) ended the episode ({res.info['stop_reason']}) with budgets left")
        if not (res.terminated or res.truncated):
            _expect(len(res.messages) == 1 and res.messages[0].tool_call_id == "call_check",
                    "step(tool call): one tool message answering the call's id")
            _expect(len(env.messages) == n + 2, "step(tool call): the conversation grows by the turn and its result")
            res = _check_result(env.step({"role": "assistant", "content": "Done."}), "step(final answer)")
            _expect(res.terminated and res.info["stop_reason"] == "final",
                    "a final answer (no tool call) ends the episode as terminated, stop_reason 'final'")
        _raises_env_error(lambda: env.step({"role": "assistant", "content": "again"}), "step() after the end")
        traj = env.trajectory
        _expect(isinstance(traj, Trajectory) and traj.task_id == task.id, "the trajectory of the episode is kept")
        assert traj is not None
        t = traj.timing
        _expect(t.setup_s is not None and t.agent_s is not None and t.export_s is not None,
                f"the trajectory times every phase it ran (set-up, agent, export), got {t.model_dump()}")
        _expect((t.verify_s is not None) == (traj.verification is not None),
                "a verified episode times its verification")

        obs = env.reset(task, seed=1)
        _expect(env.trajectory is not None and env.trajectory.id != traj.id, "reset() starts a new trajectory")
        res = _check_result(env.stop("max_steps"), "stop()")
        _expect(res.truncated and not res.terminated and res.info["stop_reason"] == "max_steps",
                "stop(reason) ends the episode as truncated with that reason")
        _raises_env_error(lambda: env.step({"role": "assistant", "content": "again"}), "step() after stop()")
    finally:
        env.close()
    env.close()  # idempotent


__all__ = ["Env", "EnvCheckError", "check_env"]
