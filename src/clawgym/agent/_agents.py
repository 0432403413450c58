"""Agents behind one interface: `llm` (the loop), `oracle` (the reference solution), `noop`."""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from clawgym.agent._tools import ToolBox
from clawgym.agent._trajectory import StepRecord, Trajectory
from clawgym.models import ChatModel, ContextLengthError, ModelError, SamplingParams, Usage
from clawgym.sandbox import Sandbox
from clawgym.tasks import Task, TaskFile
from clawgym.verify import run_solution, solution_entry

Event = Callable[[str, dict[str, Any]], None]

SYSTEM_PROMPT = """You are a personal assistant running inside OpenClaw, working on the user's computer.

Your workspace is {mount}: it holds the user's files, and every relative path resolves against it.
Tools:
- read(path, offset, limit): read a text file.
- write(path, content): create or overwrite a file (parent folders are created).
- edit(path, old_string, new_string, replace_all): replace exact text in a file.
- exec(command, workdir, timeout, background): run a bash command in the workspace.
- apply_patch(input): change several files at once with a '*** Begin Patch' patch.
- process(action, sessionId): list, poll, log, write to or kill background commands.

Work step by step: inspect the inputs, do the work with the tools, and check your outputs.
There is no network. When the task is complete, reply with a short summary and no tool call."""


class AgentConfig(BaseModel):
    """Budgets and sampling for the llm agent. Task limits fill what is left as None."""

    max_steps: int | None = Field(default=None, ge=1, description="Most model turns (default 30).")
    timeout_s: float | None = Field(default=None, gt=0, description="Agent wall time (default 600 s).")
    max_tokens: int | None = Field(default=None, ge=1, description="Total tokens, all turns (none by default).")
    context_tokens: int | None = Field(default=None, ge=1, description="Stop when a prompt grows past this.")
    max_malformed: int = Field(default=3, ge=0, description="Malformed tool calls tolerated before stopping.")
    exec_timeout_s: float = Field(default=120.0, gt=0, description="Default timeout of one exec.")
    sampling: SamplingParams = Field(default_factory=SamplingParams)
    system_prompt: str | None = None


class Agent(ABC):
    name: str = "agent"

    @abstractmethod
    def run(self, task: Task, sandbox: Sandbox, traj: Trajectory, on_event: Event | None = None) -> None:
        """Act in the sandbox, filling `traj` as it goes. Raises only for infrastructure failures."""

    def config(self) -> dict[str, Any]:
        return {"name": self.name}


class NoopAgent(Agent):
    name = "noop"

    def run(self, task, sandbox, traj, on_event=None) -> None:
        traj.messages = [{"role": "user", "content": task.instruction}]
        traj.stop_reason = "noop"


class OracleAgent(Agent):
    """Runs the task's reference solution (solve.sh or solve.py) in the workspace."""

    name = "oracle"

    def run(self, task, sandbox, traj, on_event=None) -> None:
        traj.messages = [{"role": "user", "content": task.instruction}]
        entry = solution_entry(task)
        if entry is None:
            traj.status, traj.error, traj.stop_reason = "agent_error", "task has no solution/solve.sh or solve.py", "agent_crash"
            return
        r = run_solution(task, sandbox)
        runner = "bash" if entry == "solve.sh" else "python3"
        call = {"id": "call_oracle", "type": "function",
                "function": {"name": "exec", "arguments": json.dumps({"command": f"{runner} solution/{entry}"})}}
        traj.messages += [{"role": "assistant", "content": None, "tool_calls": [call]},
                          {"role": "tool", "tool_call_id": "call_oracle",
                           "content": (r.stdout + r.stderr)[-4000:] + f"[exit code {r.exit_code}]"}]
        traj.stop_reason = "solution_done"
        if not r.ok:
            traj.status, traj.error = "agent_error", f"solution exited {r.exit_code}{' (timed out)' if r.timed_out else ''}"


class LLMAgent(Agent):
    """The agent loop: a model, OpenClaw's tools, budgets, and a faithful record."""

    name = "llm"

    def __init__(self, model: ChatModel, config: AgentConfig | None = None):
        self.model, self.cfg = model, config or AgentConfig()

    def config(self) -> dict[str, Any]:
        return {"name": self.name, **self.cfg.model_dump(exclude={"sampling", "system_prompt"}, exclude_none=True)}

    def run(self, task, sandbox, traj, on_event=None) -> None:
        emit = on_event or (lambda kind, data: None)
        cfg = self.cfg
        max_steps = cfg.max_steps or task.limits.max_steps or 30
        timeout = cfg.timeout_s or task.limits.timeout_s or 600.0
        max_tokens = cfg.max_tokens or task.limits.max_tokens
        tools = ToolBox(sandbox, exec_timeout_s=cfg.exec_timeout_s)
        system = (cfg.system_prompt or SYSTEM_PROMPT).format(mount=sandbox.path)
        traj.model, traj.sampling, traj.tools = self.model.config(), cfg.sampling.given(), tools.schemas()
        traj.messages = [{"role": "system", "content": system}, {"role": "user", "content": task.instruction}]
        emit("user", {"content": task.instruction})
        start, malformed = time.monotonic(), 0
        sandbox.deadline = start + timeout  # no sandbox call outlives the agent's wall time
        try:
            for index in range(max_steps):
                elapsed = time.monotonic() - start
                if elapsed >= timeout:
                    traj.stop_reason = "timeout"
                    return
                step = StepRecord(index=index, started_s=round(elapsed, 4))
                t0 = time.monotonic()
                try:  # the model gets what is left of the agent's wall time, and no more
                    resp = self.model.chat(traj.messages, tools.schemas(), cfg.sampling,
                                           timeout_s=timeout - elapsed)
                except ModelError as exc:  # unreachable, hung or answering garbage: not the agent's fault
                    traj.stop_reason = "context_length" if isinstance(exc, ContextLengthError) else "model_error"
                    if traj.stop_reason == "model_error":
                        traj.status, traj.error = "infra_error", str(exc)
                    return
                step.model_s = time.monotonic() - t0
                step.usage, step.finish_reason = resp.usage, resp.finish_reason
                step.token_ids, step.logprobs = resp.token_ids, resp.logprobs
                traj.usage = Usage(prompt_tokens=traj.usage.prompt_tokens + resp.usage.prompt_tokens,
                                   completion_tokens=traj.usage.completion_tokens + resp.usage.completion_tokens)
                traj.messages.append(resp.message())
                traj.steps.append(step)
                emit("assistant", {"content": resp.content, "tool_calls": [c.model_dump() for c in resp.tool_calls]})
                if not resp.tool_calls:
                    traj.final_message, traj.stop_reason = resp.content or "", "final"
                    return
                t1 = time.monotonic()
                for call in resp.tool_calls:
                    step.tool_calls.append(call.name)
                    if call.error is not None or call.parsed is None:
                        result_text, is_error = f"Error: malformed tool call: {call.error}", True
                    else:
                        res = tools.call(call.name, call.parsed, time_left_s=timeout - (time.monotonic() - start))
                        result_text, is_error = res.content, res.is_error
                    if is_error:
                        step.errors.append(result_text[:300])
                        if call.error is not None or result_text.startswith(("Error: unknown tool", "Error: bad arguments")):
                            malformed += 1
                    traj.messages.append({"role": "tool", "tool_call_id": call.id, "content": result_text})
                    emit("tool", {"name": call.name, "content": result_text, "is_error": is_error})
                step.tools_s = time.monotonic() - t1
                if malformed > cfg.max_malformed:
                    traj.stop_reason = "malformed_tool_calls"
                    return
                if max_tokens is not None and traj.usage.total >= max_tokens:
                    traj.stop_reason = "max_tokens"
                    return
                if cfg.context_tokens is not None and resp.usage.prompt_tokens >= cfg.context_tokens:
                    traj.stop_reason = "context_length"
                    return
            traj.stop_reason = "max_steps"
        finally:
            tools.close()


def make_agent(name: str, model: ChatModel | None = None, config: AgentConfig | None = None) -> Agent:
    if name == "llm":
        if model is None:
            raise ValueError("the llm agent needs a model (--model)")
        return LLMAgent(model, config)
    if name == "oracle":
        return OracleAgent()
    if name == "noop":
        return NoopAgent()
    raise ValueError(f"unknown agent {name!r}; choose llm, oracle or noop")
