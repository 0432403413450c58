"""Code verification: run a task's checks after the agent stops, in a sandbox of their own.

The checks see a private copy of the final workspace with the task's `checks/` placed at
`<mount>/reward/` (where ClawGym's reward.sh expects them, replacing anything the agent put
there), run with a trusted interpreter by absolute path with `-E -s` (no PATH lookup, no
PYTHON* variables, no user site), so nothing the agent wrote can stand in for the verifier.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from clawgym import settings
from clawgym.errors import ClawGymError
from clawgym.sandbox import OperationError, Sandbox, SandboxLimits, create_sandbox, prewarm_sandbox
from clawgym.tasks import CANONICAL_REWARD_SH, Task, TaskFile
from clawgym.verify._model import Aggregation, VerifyResult
from clawgym.verify._transcript import openclaw_session, transcript_summary

PAYLOAD_NAME = ".openclaw_reward_payload.json"
DEFAULT_VERIFY_TIMEOUT_S = 120.0  # ClawGym's own reward timeout
MAX_READ_BYTES = 1 << 20  # of one file a rubric rule names


def default_python() -> str:
    """The interpreter checks run with: Debian's python3 (what ClawGym's image runs), else ours."""
    chosen = settings.current().verify_python  # CLAWGYM_VERIFY_PYTHON
    if chosen:
        return chosen
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


_ROOM = 16 << 20  # verification's room on top of the workspace's cap, in steps of this


def verification_limits(limits: SandboxLimits | None = None, added_bytes: int = 0) -> SandboxLimits:
    """The limits of a verification session: the agent's, with room for what verification adds
    (checks, payload: `added_bytes`) on top of a workspace filled to its cap, rounded up to a
    step, so that nearly every verification has the same shape and a warm session ready."""
    limits = limits or SandboxLimits()
    room = _ROOM + -(-max(added_bytes, 1) // _ROOM) * _ROOM
    return limits.model_copy(update={"workspace_bytes": limits.workspace_bytes + room})


def prewarm_verification(task: Task, *, backend: str = "bwrap", limits: SandboxLimits | None = None,
                         count: int = 1) -> None:
    """Have `count` verification sessions for this task's shape started in the background now,
    for a verification known to come (a rollout's, while its model still works)."""
    prewarm_sandbox(backend, count, mount_path=task.mount_path, limits=verification_limits(limits))


def verification_session(task: Task, *, backend: str = "bwrap", limits: SandboxLimits | None = None) -> Sandbox:
    """An empty verification session for this task, for `verify(..., session=)` to refill once
    per workspace: many workspaces of one verifier in one session (QA's probes). The caller
    closes it."""
    return create_sandbox(backend, mount_path=task.mount_path, limits=verification_limits(limits))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def numeric_checks(data: Any) -> dict[str, float]:
    if not isinstance(data, dict):
        return {}
    return {k: n for k, v in data.items() if (n := _number(v)) is not None}


def legacy_score(stdout: str) -> float:
    """Exactly what ClawGym's canonical reward.sh prints for this check output (raises where
    reward.sh would fail): the mean of every value, a `reward` key included."""
    raw = stdout.strip()
    data = json.loads(raw)
    return (sum(float(v) for v in data.values()) / len(data) if isinstance(data, dict) and data
            else float(data) if isinstance(data, (int, float)) else 0.0)


def default_score(data: Any) -> tuple[float, float | None]:
    """(score, declared reward): the mean of the checks, or the script's own gated `reward`."""
    n = _number(data)
    if n is not None:
        if not 0 <= n <= 1:
            raise ValueError(f"score {n} is outside [0, 1]")
        return n, None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object of checks or a number, got {type(data).__name__}")
    checks: dict[str, float] = {}
    for key, value in data.items():
        n = _number(value)
        if n is None:
            raise ValueError(f"check {key!r} is {value!r}, not a number or bool")
        if not 0 <= n <= 1:
            raise ValueError(f"check {key!r} is {n}, outside [0, 1]")
        checks[key] = n
    reward = checks.pop("reward", None)
    if reward is not None:
        return reward, reward
    if not checks:
        raise ValueError("the check script returned no checks")
    return sum(checks.values()) / len(checks), None


def _parse_default(stdout: str) -> tuple[Any, str | None]:
    text = stdout.strip()
    try:
        return json.loads(text), None
    except json.JSONDecodeError:
        pass
    for line in reversed(text.splitlines()):  # tolerate debug prints before the JSON
        try:
            return json.loads(line), "ignored non-JSON output before the final JSON line"
        except json.JSONDecodeError:
            continue
    raise ValueError(f"output is not JSON: {text[:200]!r}" if text else "printed nothing")


def verify_code(task: Task, workspace: Path | None = None, *, archive: bytes | IO[bytes] | None = None,
                aggregation: Aggregation = "default",
                backend: str = "bwrap", python: str | None = None, timeout_s: float | None = None,
                transcript: list | None = None, final_message: str = "",
                limits: SandboxLimits | None = None) -> VerifyResult:
    """Score one final workspace with the task's checks: a host folder a user named, or a
    sandbox's export (`archive`, a tar stream); neither: the task's untouched workspace.

    Never raises for a bad verifier: a crash, timeout or unparsable output gives score 0 with
    status `verifier_error` and the reason.
    """
    return _verify_code(task, workspace, archive=archive, aggregation=aggregation, backend=backend, python=python,
                        timeout_s=timeout_s, transcript=transcript, final_message=final_message, limits=limits)[0]


def _verify_code(task: Task, workspace: Path | None = None, *, archive: bytes | IO[bytes] | None = None,
                 aggregation: Aggregation = "default", backend: str = "bwrap", python: str | None = None,
                 timeout_s: float | None = None, transcript: list | None = None, final_message: str = "",
                 limits: SandboxLimits | None = None, session: Sandbox | None = None,
                 read: Sequence[str] = ()) -> tuple[VerifyResult, dict[str, bytes | str]]:
    """verify_code, also reading the files named in `read` (the rubric's) from the same sandbox
    before the checks run: {path: bytes, or a str saying why not}. `session`: a verification
    session of this task (`verification_session`) to refill instead of a session of its own:
    for many workspaces of one verifier that the caller derived itself (QA's probes), never for
    an agent's."""
    start = time.monotonic()
    outputs: dict[str, bytes | str] = {}
    result = VerifyResult(task_id=task.id, status="verifier_error", score=0.0, aggregation=aggregation,
                          rubric_status="not_judged" if task.rubric and task.rubric.rules else "none")
    entry = task.check_file()
    if entry is None:
        result.error = f"task has no check script checks/{task.grading.check}"
        return result, outputs
    reward_files = [TaskFile(path=f"reward/{f.path}", data=f.data, executable=f.executable)
                    for f in task.checks]
    if not any(f.path == "reward.sh" for f in task.checks):
        reward_files.append(TaskFile(path="reward/reward.sh", data=CANONICAL_REWARD_SH.encode()))
    # ClawGym's payload, transcript as OpenClaw's session log (what its checks and PinchBench's read)
    events = openclaw_session(transcript or [])
    payload = {"final_message": final_message, "summary": transcript_summary(events),
               "metadata": task.metadata.get("clawgym", {}), "transcript": events}
    reward_files.append(TaskFile(path=PAYLOAD_NAME, data=json.dumps(payload).encode()))
    timeout = timeout_s or task.limits.verify_timeout_s or DEFAULT_VERIFY_TIMEOUT_S
    if not math.isfinite(timeout) or timeout <= 0:
        result.error = f"verify timeout must be a positive number of seconds, got {timeout!r}"
        return result, outputs
    untouched = workspace is None and archive is None
    limits = session.limits if session is not None else \
        verification_limits(limits, sum(len(f.data) for f in reward_files))
    content = {"workspace": workspace, "archive": archive, "files": task.workspace if untouched else [],
               "replace": ("reward", PAYLOAD_NAME)}
    try:
        if session is not None:
            session.refill(**content)
        with (contextlib.nullcontext(session) if session is not None else
              create_sandbox(backend, mount_path=task.mount_path, limits=limits, **content)) as sb:
            ws = sb.path
            sb.write_files(reward_files)  # first: a rubric rule may name the payload (the transcript)
            for rel in read:
                try:
                    outputs[rel] = sb.read_file(f"{ws}/{rel.lstrip('/')}", max_bytes=MAX_READ_BYTES, confine=True)
                except OperationError as exc:
                    outputs[rel] = f"{rel}: {exc}"
            interpreter = python or default_python()
            script, env = f"{ws}/reward/{task.grading.check}", {"OPENCLAW_REWARD_PAYLOAD": f"{ws}/{PAYLOAD_NAME}"}
            if os.path.realpath(interpreter) == os.path.realpath(sb.python):  # forked from the server
                res = sb.run_python(script, [ws], timeout_s=timeout, env=env)
            else:
                res = sb.exec([interpreter, "-E", "-s", script, ws], timeout_s=timeout, env=env)
    except ClawGymError as exc:
        result.error = f"sandbox failure: {exc}"
        if "No space left on device" in str(exc):
            result.error += (f" (the workspace and checks do not fit the verification sandbox's "
                             f"{limits.workspace_bytes} bytes: give it larger SandboxLimits.workspace_bytes)")
        result.duration_s = time.monotonic() - start
        return result, outputs
    result.exit_code, result.duration_s = res.exit_code, time.monotonic() - start
    result.stderr_tail = res.stderr[-2000:]
    if res.timed_out:
        result.error = f"check script timed out after {timeout:g}s"
        return result, outputs
    if res.stdout_dropped:
        result.error = f"check output over {sb.limits.output_bytes} bytes"
        return result, outputs
    data, note, parse_error = None, None, None
    try:
        data, note = _parse_default(res.stdout)
        result.checks = numeric_checks(data)
    except ValueError as exc:
        parse_error = str(exc)
    if aggregation == "legacy":
        try:
            result.score = legacy_score(res.stdout)
        except Exception as exc:  # reward.sh itself would have failed here
            result.error = f"reward.sh would fail: {type(exc).__name__}: {exc}"
            return result, outputs
        result.status, result.code_score = "ok", result.score
        declared = _number(data.get("reward")) if isinstance(data, dict) else None
        result.declared_reward = declared
        if res.exit_code != 0:
            result.error = (f"check.py exited {res.exit_code} after printing a score (reward.sh prints "
                            "it, but ClawGym's RL harness counts a failed reward.sh as 0.0)")
        return result, outputs
    if res.exit_code != 0:
        result.error = f"check script exited {res.exit_code}: {res.stderr.strip()[-500:] or 'no stderr'}"
        return result, outputs
    if parse_error is not None:
        result.error = parse_error
        return result, outputs
    try:
        score, declared = default_score(data)
    except ValueError as exc:
        result.error = str(exc)
        return result, outputs
    result.status, result.score, result.code_score = "ok", score, score
    result.declared_reward, result.error = declared, note
    return result, outputs


def verify(task: Task, workspace: Path | None = None, *, judge: Any = None, judge_votes: int = 1,
           judge_cache: Any = None, **kwargs: Any) -> VerifyResult:
    """Code checks, then (with a judge, in the default aggregation) the LLM rubric, combined as
    `code_weight * code + rubric_weight * rubric`. Without a judge, or when the judge fails, the
    score is the code score alone and `rubric_status` says why. The rubric's files are read in
    the verification sandbox, from the same copy the checks see."""
    judging = judge is not None and task.rubric is not None and bool(task.rubric.rules) \
        and kwargs.get("aggregation", "default") != "legacy"
    wanted = sorted({r.file_path for r in task.rubric.rules if r.file_path}) if judging and task.rubric else []
    result, outputs = _verify_code(task, workspace, read=wanted, **kwargs)
    if not judging or result.rubric_status == "none":
        return result
    from clawgym.verify._rubric import judge_rubric

    rubric = judge_rubric(task, outputs, judge, votes=judge_votes, cache=judge_cache)
    result.rubric = rubric.model_dump()
    if rubric.status != "judged" or rubric.score is None:
        result.rubric_status = "judge_error"
        note = f"rubric unscored ({rubric.error}); score is the code score alone"
        result.error = f"{result.error}; {note}" if result.error else note
        return result
    result.rubric_status, result.rubric_score = "judged", rubric.score
    if result.status == "ok":
        w_code, w_rubric = task.weights()
        result.score = w_code * (result.code_score or 0.0) + w_rubric * rubric.score
    return result


def verify_many(tasks: Sequence[Task], workspaces: Sequence[Path | None] | None = None, *,
                concurrency: int = 4, on_result=None, **kwargs: Any) -> list[VerifyResult]:
    """Verify many (task, workspace) pairs at once; results come back in input order."""
    workspaces = list(workspaces) if workspaces is not None else [None] * len(tasks)
    if tasks:  # the first sessions started while the threads get going; the pool keeps up after
        prewarm_verification(tasks[0], backend=kwargs.get("backend", "bwrap"), limits=kwargs.get("limits"),
                             count=min(len(tasks), max(1, concurrency)))

    def one(i: int) -> VerifyResult:
        r = verify(tasks[i], workspaces[i], **kwargs)
        if on_result is not None:
            on_result(r)
        return r

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, range(len(tasks))))
