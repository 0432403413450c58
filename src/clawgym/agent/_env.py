"""The environment API: one Gymnasium-like interface over a sandbox session, shared by the LLM
agent loop, evaluators and trainers.

    env = ClawEnv(EnvConfig(max_steps=20))
    obs = env.reset(task, seed=0)                   # system + user messages, tool schemas
    while True:
        reply = model.chat(obs.openai_messages(), obs.tools)          # or any policy
        tool_msgs, reward, terminated, truncated, info = env.step(reply)
        if terminated or truncated:
            break                                    # reward = the verifier's score
        ...
    env.close()

`step` takes the assistant turn as a `ModelResponse`, an `AssistantMessage`, an OpenAI-format
dict, or raw completion text in our format (`<tool_call>{json}</tool_call>`); it runs the tool
calls in the sandbox and returns their results as `ToolMessage`s. `terminated` means the agent
finished (a reply with no tool call that ended by itself); `truncated` means a budget ended the
episode (steps, wall time, tokens, context, malformed calls, or a turn cut off at its token limit
without a tool call: `max_tokens`, never `final`) or something failed (`info["stop_reason"]`).
The system prompt lists only the tools the episode enables (`{tools}` in a custom prompt). The reward is
0 until the episode ends; then, for an environment that owns its sandbox, the one finisher
(`_finish`) stops every agent process, exports the final workspace and verifies it in a fresh
sandbox, and the reward is the verifier's score. Everything is recorded in `env.trajectory`,
with the seconds of each phase (set-up, agent, export, verification) in `trajectory.timing`.

`rollout()` is a loop over this environment: an LLM agent steps it; a black-box agent (OpenClaw,
the oracle) gets the episode's sandbox from `begin()` and the episode ends with `stop()`, through
the same finisher. An environment can also be attached to a sandbox someone else owns
(`reset(task, sandbox=sb, trajectory=traj)`): nothing is verified or closed then.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, NamedTuple

from pydantic import BaseModel, Field

from clawgym.agent._messages import (
    AssistantMessage, ChatMessage, SystemMessage, ToolMessage, UserMessage, from_openai, parse_message,
)
from clawgym.agent._tools import TOOL_SCHEMAS, ToolBox
from clawgym.agent._trajectory import StepRecord, StopReason, Trajectory, digest, workspace_diff
from clawgym.errors import ClawGymError
from clawgym.models import ModelResponse, ToolCall, Usage
from clawgym.sandbox import (
    OperationError, Sandbox, SandboxLimitExceeded, SandboxLimits, create_sandbox, sandbox_class,
)
from clawgym.settings import DEFAULT_MAX_STEPS, DEFAULT_TIMEOUT_S
from clawgym.tasks import Task
from clawgym.verify import Aggregation, VerifyResult, prewarm_verification
from clawgym.verify import verify as verify_workspace

Event = Callable[[str, dict[str, Any]], None]

SYSTEM_PROMPT = """You are a personal assistant running inside OpenClaw, working on the user's computer.

Your workspace is {mount}: it holds the user's files, and every relative path resolves against it.
Tools:
{tools}

Work step by step: inspect the inputs, do the work with the tools, and check your outputs.
There is no network. When the task is complete, reply with a short summary and no tool call."""

TERMINATING: frozenset[str] = frozenset({"final"})

# One line per tool in the system prompt; only the tools an episode enables are listed (a tool
# the prompt advertises but the episode refuses is a malformed call the model was invited to make).
TOOL_LINES: dict[str, str] = {
    "read": "- read(path, offset, limit): read a text file.",
    "write": "- write(path, content): create or overwrite a file (parent folders are created).",
    "edit": "- edit(path, old_string, new_string, replace_all): replace exact text in a file.",
    "exec": "- exec(command, workdir, timeout, background): run a bash command in the workspace.",
    "apply_patch": "- apply_patch(input): change several files at once with a '*** Begin Patch' patch.",
    "process": "- process(action, sessionId): list, poll, log, write to or kill background commands.",
}


def tool_lines(schemas: list[dict[str, Any]]) -> str:
    """The system prompt's tool list for these schemas (a tool without a line of ours gets one
    from its schema: name, parameters, description)."""
    lines = []
    for t in schemas:
        fn = t.get("function", t)
        name = fn.get("name", "")
        if name in TOOL_LINES:
            lines.append(TOOL_LINES[name])
        else:
            params = ", ".join((fn.get("parameters") or {}).get("properties") or {})
            lines.append(f"- {name}({params}): {fn.get('description', '').strip()}".rstrip(": "))
    return "\n".join(lines)


class EnvConfig(BaseModel):
    """Budgets of one episode. Task limits fill what is left as None."""

    max_steps: int | None = Field(default=None, ge=1, description="Most model turns (default 30).")
    timeout_s: float | None = Field(default=None, gt=0, description="Agent wall time (default 600 s).")
    max_tokens: int | None = Field(default=None, ge=1, description="Total tokens, all turns (none by default).")
    context_tokens: int | None = Field(default=None, ge=1, description="Stop when a prompt grows past this.")
    max_malformed: int = Field(default=3, ge=0, description="Malformed tool calls tolerated before stopping.")
    exec_timeout_s: float = Field(default=120.0, gt=0, description="Default timeout of one exec.")
    system_prompt: str | None = Field(default=None, description=(
        "The system prompt (default SYSTEM_PROMPT); `{mount}` becomes the workspace path and `{tools}` "
        "the list of the enabled tools."))
    tools: list[str] | None = Field(default=None, description=(
        "Expose only these tools (e.g. read, write, exec: a shorter prompt for small models); None: all."))
    compact_tools: bool = Field(default=False, description=(
        "Advertise each tool by its required parameters only, without descriptions: a prompt a few "
        "hundred tokens shorter for small models (the tools themselves accept the same arguments)."))


class Observation(BaseModel):
    """What the policy sees at the start: the conversation so far and the tools it may call."""

    task_id: str
    messages: list[ChatMessage]
    tools: list[dict[str, Any]]

    def openai_messages(self) -> list[dict[str, Any]]:
        return [m.openai() for m in self.messages]


class StepResult(NamedTuple):
    """Gymnasium's 5-tuple: unpack it as `msgs, reward, terminated, truncated, info = env.step(a)`."""

    messages: list[ToolMessage]
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]


class EnvError(ClawGymError):
    """The environment was used out of order (step before reset, after the end, ...)."""


def compact_schema(tool: dict[str, Any]) -> dict[str, Any]:
    """A tool schema cut to its name and required parameters (types kept, descriptions dropped)."""
    fn = tool["function"]
    params = fn.get("parameters") or {}
    required = list(params.get("required") or [])
    props = {k: {"type": v.get("type", "string")} for k, v in (params.get("properties") or {}).items()
             if k in required or (fn["name"] == "edit" and k in ("old_string", "new_string"))}
    return {"type": "function", "function": {"name": fn["name"], "parameters": {
        "type": "object", "properties": props, "required": list(props)}}}


class ClawEnv:
    """One episode at a time over one sandbox session (see the module docstring)."""

    def __init__(self, config: EnvConfig | None = None, *, backend: str = "bwrap",
                 limits: SandboxLimits | None = None, aggregation: Aggregation = "default",
                 verify: bool = True, on_event: Event | None = None, **verify_kwargs: Any):
        self.config = config or EnvConfig()
        self.backend, self.limits, self.aggregation = backend, limits, aggregation
        self.verify, self.verify_kwargs = verify, verify_kwargs
        self.on_event = on_event
        self.task: Task | None = None
        self._making: Future | None = None  # the session being made while the first model call runs
        self._sandbox: Sandbox | None = None
        self._tools: ToolBox | None = None
        self.trajectory: Trajectory | None = None
        self.reward: float = 0.0
        self.done = False
        self._owned = False
        self._prewarm_due = False  # the verification session is still to be asked for
        self._start = self._last = 0.0
        self._malformed = 0

    # -- the interface ------------------------------------------------------------------------
    def reset(self, task: Task, seed: int | None = None, *, sandbox: Sandbox | None = None,
              trajectory: Trajectory | None = None) -> Observation:
        """Start an episode on `task`: a fresh sandbox session from its workspace (or the given
        `sandbox`, which stays the caller's: not verified, not closed here). `seed` is recorded
        as the trajectory's sample number (tasks are deterministic; sampling seeds belong to the
        policy). Returns the system and user messages and the tool schemas."""
        cfg = self.config
        if sandbox is None and getattr(sandbox_class(self.backend), "at_mount_path", False):
            self._begin_ahead(task, seed, trajectory)  # made while the policy answers the first turn
            path = task.mount_path
        else:
            if sandbox is None:
                sandbox = self.begin(task, seed, trajectory=trajectory)
            else:
                self.close()
                self._open(task, seed, sandbox, trajectory)
            self.tools = ToolBox(sandbox, exec_timeout_s=cfg.exec_timeout_s)
            path = sandbox.path
        traj = self.trajectory
        traj.tools = self.tool_schemas
        system = (cfg.system_prompt or SYSTEM_PROMPT).format(mount=path, tools=tool_lines(traj.tools))
        traj.messages = [{"role": "system", "content": system}, {"role": "user", "content": task.instruction}]
        self._emit("user", {"content": task.instruction})
        self._start = self._last = time.monotonic()
        if sandbox is not None:
            sandbox.deadline = self._start + self.timeout_s  # no sandbox call outlives the agent's wall time
        return Observation(task_id=task.id, messages=[SystemMessage(content=system),
                                                      UserMessage(content=task.instruction)],
                           tools=traj.tools)

    def begin(self, task: Task, seed: int | None = None, *, trajectory: Trajectory | None = None) -> Sandbox:
        """Start an episode's sandbox session alone, for an agent that brings its own conversation
        and tools (OpenClaw, the oracle): a fresh sandbox from the task's workspace (its set-up
        timed), the record and the clock. The agent acts in the returned sandbox; `stop()` ends
        the episode through the same finisher as `step` (export, verification). `reset` is
        `begin` plus the conversation and the tools."""
        self.close()
        traj = trajectory if trajectory is not None else Trajectory(task_id=task.id, sample=seed or 0,
                                                                    agent={"name": "env"})
        t = time.monotonic()
        sandbox = create_sandbox(self.backend, files=task.workspace, mount_path=task.mount_path, limits=self.limits)
        traj.timing.setup_s = time.monotonic() - t
        self._open(task, seed, sandbox, traj)
        self._owned = True
        self._prewarm_verification(task)
        return sandbox

    def _begin_ahead(self, task: Task, seed: int | None, trajectory: Trajectory | None) -> None:
        """`begin`, with the session made in a thread of its own: the policy's first turn needs
        only the instruction and the tool schemas, so it runs while the sandbox starts, and the
        first access to `sandbox` or `tools` (the first tool call, the finisher) waits for it.
        A session that cannot be made raises there, as `begin` would have raised here."""
        self.close()
        traj = trajectory if trajectory is not None else Trajectory(task_id=task.id, sample=seed or 0,
                                                                    agent={"name": "env"})
        made: Future = Future()
        backend, limits = self.backend, self.limits

        def make() -> None:
            t = time.monotonic()
            try:
                sb = create_sandbox(backend, files=task.workspace, mount_path=task.mount_path, limits=limits)
            except BaseException as exc:  # raised where the session is first needed
                made.set_exception(exc)
            else:
                made.set_result((sb, time.monotonic() - t))

        threading.Thread(target=make, name="clawgym-episode-session", daemon=True).start()
        self._open(task, seed, None, traj)  # type: ignore[arg-type]
        self._making, self._owned = made, True
        self._prewarm_due = True  # at the first answer that goes on (see `step`), not now

    def _ready(self) -> None:
        """Wait for the session `_begin_ahead` is making; give it its tools and its deadline."""
        made, self._making = self._making, None
        if made is None:
            return
        try:
            sb, setup_s = made.result()
        except BaseException:
            self._owned = False
            raise
        if self.trajectory is not None:
            self.trajectory.timing.setup_s = setup_s
        self._sandbox, self._tools = sb, ToolBox(sb, exec_timeout_s=self.config.exec_timeout_s)
        sb.deadline = self._start + self.timeout_s

    def _prewarm_verification(self, task: Task) -> None:
        """Have the verification session of this episode started in the background while the
        agent works (the finisher takes it ready), in the shape the finisher will ask for.

        An episode reset ahead (`_begin_ahead`) asks at its first answer with tool calls, not at
        the reset: at the reset, many rollouts' first model calls and the sessions their first tool
        calls need compete for the CPU, and a verification session (~50 ms of CPU to start) is
        not needed before the last answer; an episode whose first answer ends it is verified at
        once, where a prewarm would only start a second session beside the finisher's."""
        self._prewarm_due = False
        if not self.verify:
            return
        own = self.limits or SandboxLimits()
        limits = self.verify_kwargs.get("limits") or SandboxLimits(workspace_bytes=own.workspace_bytes,
                                                                   memory_group=own.memory_group)
        prewarm_verification(task, backend=self.backend, limits=limits)

    @property
    def sandbox(self) -> Sandbox | None:
        """The episode's session (waited for when it is still being made: see `_begin_ahead`)."""
        if self._making is not None:
            self._ready()
        return self._sandbox

    @sandbox.setter
    def sandbox(self, value: Sandbox | None) -> None:
        self._sandbox = value

    @property
    def tools(self) -> ToolBox | None:
        if self._making is not None:
            self._ready()
        return self._tools

    @tools.setter
    def tools(self, value: ToolBox | None) -> None:
        self._tools = value

    def _open(self, task: Task, seed: int | None, sandbox: Sandbox, trajectory: Trajectory | None) -> None:
        cfg = self.config
        self.task, self.reward, self.done, self._malformed = task, 0.0, False, 0
        self._prewarm_due = False
        self.sandbox = sandbox
        self.trajectory = trajectory if trajectory is not None else \
            Trajectory(task_id=task.id, sample=seed or 0, agent={"name": "env"})
        self.max_steps = cfg.max_steps or task.limits.max_steps or DEFAULT_MAX_STEPS
        self.timeout_s = cfg.timeout_s or task.limits.timeout_s or DEFAULT_TIMEOUT_S
        self.max_tokens = cfg.max_tokens or task.limits.max_tokens
        self._start = self._last = time.monotonic()

    def step(self, action: ModelResponse | AssistantMessage | dict[str, Any] | str, *,
             usage: Usage | None = None, token_ids: list[int] | None = None,
             logprobs: list[float] | None = None, finish_reason: str | None = None) -> StepResult:
        """Apply one assistant turn: record it, run its tool calls in the sandbox, check the
        budgets. A `ModelResponse` brings its own usage, token ids and logprobs; for the other
        forms pass them as keywords (usage counts toward `max_tokens` and `context_tokens`)."""
        traj = self._live()
        now = time.monotonic()
        step = StepRecord(index=len(traj.steps), started_s=round(self._last - self._start, 4),
                          model_s=now - self._last)
        if isinstance(action, ModelResponse):
            msg, calls = action.message(), list(action.tool_calls)
            usage = usage or action.usage
            token_ids = token_ids if token_ids is not None else action.token_ids
            logprobs = logprobs if logprobs is not None else action.logprobs
            finish_reason = finish_reason or action.finish_reason
        else:
            typed = AssistantMessage.from_text(action) if isinstance(action, str) else parse_message(action)
            if not isinstance(typed, AssistantMessage):
                raise EnvError(f"step() takes the assistant's turn, got a {typed.role!r} message")
            msg, calls = typed.openai(), typed.calls()
        usage = usage or Usage()
        step.usage, step.finish_reason, step.token_ids, step.logprobs = usage, finish_reason, token_ids, logprobs
        traj.usage = Usage(prompt_tokens=traj.usage.prompt_tokens + usage.prompt_tokens,
                           completion_tokens=traj.usage.completion_tokens + usage.completion_tokens)
        traj.messages.append(msg)
        traj.steps.append(step)
        self._emit("assistant", {"content": msg.get("content"), "tool_calls": [c.model_dump() for c in calls]})
        if not calls and finish_reason == "length":  # cut off by its token limit: not an answer
            return self._end("max_tokens", [])
        if not calls:
            traj.final_message = msg.get("content") or ""
            return self._end("final", [])
        if self._prewarm_due and self.task is not None:
            self._prewarm_verification(self.task)
        out: list[ToolMessage] = []
        t1 = time.monotonic()
        try:
            for call in calls:
                out.append(self._call(call, step))
        except ClawGymError as exc:
            if not self._owned:
                raise  # the sandbox's owner (rollout) records it
            step.tools_s = time.monotonic() - t1
            limit = isinstance(exc, SandboxLimitExceeded)
            traj.status = "agent_error" if limit else "infra_error"
            traj.error = str(exc) if limit else f"{type(exc).__name__}: {exc}"
            return self._end("sandbox_limit" if limit else "agent_crash", out)
        step.tools_s = time.monotonic() - t1
        if self._malformed > self.config.max_malformed:
            return self._end("malformed_tool_calls", out)
        if self.max_tokens is not None and traj.usage.total >= self.max_tokens:
            return self._end("max_tokens", out)
        if self.config.context_tokens is not None and usage.prompt_tokens >= self.config.context_tokens:
            return self._end("context_length", out)
        if len(traj.steps) >= self.max_steps:
            return self._end("max_steps", out)
        if self.time_left_s <= 0:
            return self._end("timeout", out)
        self._last = time.monotonic()
        return StepResult(out, 0.0, False, False, self._info(None))

    def stop(self, reason: StopReason, *, status: str | None = None, error: str | None = None) -> StepResult:
        """End the episode from outside a step: the policy could not answer (`model_error`,
        `context_length`), the wall time ran out before it was asked (`timeout`), ... The
        episode is truncated and (for an owned sandbox) verified as it stands. A black-box agent's
        episode (`begin`) ends here too, with the stop reason the agent recorded."""
        traj = self._live(tools=False)
        if status is not None:
            traj.status = status  # type: ignore[assignment]
            traj.error = error
        return self._end(reason, [])

    def close(self) -> None:
        """Free the session (an owned sandbox is destroyed; an attached one only loses its tools)."""
        if self._making is not None:
            try:
                self._ready()
            except Exception:  # a session that could not be made: nothing to free
                pass
        if self.tools is not None:
            self.tools.close()
            self.tools = None
        if self._owned and self.sandbox is not None:
            self.sandbox.close()
        if self.sandbox is not None and not self._owned:
            self.sandbox = None
        self.sandbox, self._owned = None, False

    def __enter__(self) -> "ClawEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- conveniences ------------------------------------------------------------------------
    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far, in OpenAI format (what a chat model is given next)."""
        return self.trajectory.messages if self.trajectory is not None else []

    def typed_messages(self) -> list[Any]:
        return from_openai(self.messages)

    @property
    def tool_schemas(self) -> list[dict[str, Any]]:
        """The schemas of the tools this episode exposes."""
        if self._making is None and self.tools is None:
            return []
        allowed = self.config.tools
        every = TOOL_SCHEMAS if self._making is not None else self.tools.schemas()  # (not waiting for the session)
        schemas = [t for t in every if allowed is None or t["function"]["name"] in allowed]
        return [compact_schema(t) for t in schemas] if self.config.compact_tools else schemas

    @property
    def time_left_s(self) -> float:
        """Seconds of the episode's wall time left (give it to the model as its timeout)."""
        return self.timeout_s - (time.monotonic() - self._start) if self.task is not None else 0.0

    # -- internals ---------------------------------------------------------------------------
    def _live(self, *, tools: bool = True) -> Trajectory:
        if self.trajectory is None or self.task is None:
            raise EnvError("call reset(task) before step()")
        if self.done:
            raise EnvError(f"the episode has ended ({self.trajectory.stop_reason}); call reset(task) for another")
        if tools and self.tools is None:
            raise EnvError("this episode has no tools to step (it was started with begin(), a black-box agent's, "
                           "or closed): end it with stop(), or start one with reset(task)")
        return self.trajectory

    def _call(self, call: ToolCall, step: StepRecord) -> ToolMessage:
        assert self.tools is not None
        step.tool_calls.append(call.name)
        if call.error is not None or call.parsed is None:
            text, is_error = f"Error: malformed tool call: {call.error}", True
        elif self.config.tools is not None and call.name not in self.config.tools:
            text, is_error = (f"Error: unknown tool {call.name!r}; the tools are {', '.join(self.config.tools)}",
                              True)
        else:
            res = self.tools.call(call.name, call.parsed, time_left_s=self.time_left_s)
            text, is_error = res.content, res.is_error
        if is_error:
            step.errors.append(text[:300])
            if call.error is not None or text.startswith(("Error: unknown tool", "Error: bad arguments")):
                self._malformed += 1
        msg = ToolMessage(tool_call_id=call.id, content=text, name=call.name, is_error=is_error)
        self.trajectory.messages.append(msg.openai())  # type: ignore[union-attr]
        self._emit("tool", {"name": call.name, "content": text, "is_error": is_error})
        return msg

    def _info(self, reason: str | None) -> dict[str, Any]:
        traj = self.trajectory
        assert traj is not None
        info: dict[str, Any] = {"stop_reason": reason, "step": len(traj.steps), "malformed": self._malformed,
                                "usage": traj.usage.model_dump(), "status": traj.status}
        if traj.verification is not None:
            info["verification"] = traj.verification
        return info

    def _end(self, reason: str, out: list[ToolMessage]) -> StepResult:
        traj = self.trajectory
        assert traj is not None
        traj.stop_reason = reason  # type: ignore[assignment]
        self.done = True
        if self._owned:
            self._finish()
        terminated = reason in TERMINATING
        return StepResult(out, self.reward, terminated, not terminated, self._info(reason))

    def _finish(self) -> None:
        """The one finisher of every episode that owns its sandbox (`rollout()` ends here too):
        stop everything the agent left running, export the final workspace, verify it in a fresh
        sandbox of its own, then free the session; each phase timed into `trajectory.timing`.

        A sandbox limit the agent broke ends as the agent's failure; a workspace filled to its size
        cap is an honest 0, never a verifier error; an export that fails is the infrastructure's."""
        traj, task, sb = self.trajectory, self.task, self.sandbox
        assert traj is not None and task is not None and sb is not None
        timing = traj.timing
        traj.agent_s = timing.agent_s = time.monotonic() - self._start
        sb.deadline = None  # the agent's budget is spent; stopping and export have their own bounds
        if self.tools is not None:
            self.tools.close()
            self.tools = None
        limits = sb.limits
        t = time.monotonic()
        try:
            sb.kill_all()  # nothing the agent left running may touch the files from here on
            if _filled(sb):  # the agent's doing: an honest 0, never a verifier error
                traj.status, traj.stop_reason = "agent_error", "sandbox_limit"
                traj.error = (f"the agent filled its workspace to the size cap ({limits.workspace_bytes} bytes): "
                              "not verified, scored 0")
                return
            archive = sb.export()
        except OperationError as exc:  # the export refused what the agent left (a file flood, ...)
            if self.verify:
                traj.verification = VerifyResult(task_id=task.id, status="verifier_error", score=0.0,
                                                 aggregation=self.aggregation,
                                                 error=f"the final workspace was refused: {exc}")
            return
        except ClawGymError as exc:
            if traj.status == "done":
                limit = isinstance(exc, SandboxLimitExceeded)
                traj.status = "agent_error" if limit else "infra_error"
                traj.stop_reason = "sandbox_limit" if limit else traj.stop_reason
                traj.error = f"the final workspace could not be read: {exc}"
            if self.verify:
                traj.verification = VerifyResult(task_id=task.id, status="verifier_error", score=0.0,
                                                 aggregation=self.aggregation, error=f"no workspace to verify: {exc}")
            return
        finally:
            timing.export_s = time.monotonic() - t
            self.close()
        with archive:
            traj.diff = workspace_diff(task.workspace, digest(archive))
            timing.export_s = time.monotonic() - t
            if self.verify:
                archive.seek(0)
                t = time.monotonic()
                kwargs = {"limits": SandboxLimits(workspace_bytes=limits.workspace_bytes,
                                                  memory_group=limits.memory_group), **self.verify_kwargs}
                try:
                    traj.verification = verify_workspace(task, archive=archive, aggregation=self.aggregation,
                                                         backend=self.backend, transcript=traj.messages,
                                                         final_message=traj.final_message, **kwargs)
                finally:
                    traj.verify_s = timing.verify_s = time.monotonic() - t
                self.reward = traj.verification.score

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(kind, data)


FULL_BYTES = 1 << 20  # a workspace with less than this left was filled to its cap


def _filled(sb: Sandbox) -> bool:
    """Whether the agent filled its workspace to the size cap (writes past it failed with "No
    space left on device"). Only a capped mount can be full; a backend without one never is."""
    free = sb.workspace_free_bytes()
    return free is not None and free < FULL_BYTES


def run_policy(env: ClawEnv, task: Task, policy: Callable[[list[dict[str, Any]], list[dict[str, Any]]], Any],
               seed: int | None = None) -> Trajectory:
    """Drive one episode with `policy(messages, tools) -> assistant turn` (any form `step`
    takes) and return the trajectory. The environment is left closed."""
    obs = env.reset(task, seed)
    try:
        while True:
            result = env.step(policy(env.messages, obs.tools))
            if result.terminated or result.truncated:
                break
    finally:
        env.close()
    assert env.trajectory is not None
    return env.trajectory


__all__ = ["SYSTEM_PROMPT", "TOOL_LINES", "tool_lines", "ChatMessage", "ClawEnv", "EnvConfig", "EnvError", "Observation", "StepResult",
           "run_policy"]
