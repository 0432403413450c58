"""The record of one rollout: exactly what the agent saw and did, and how it scored.

Filled as the rollout goes, so a timeout or crash still leaves everything up to that point.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import IO, Any, Literal

from pydantic import BaseModel, Field

from clawgym.models import Usage
from clawgym.sandbox import iter_archive
from clawgym.tasks import TaskFile
from clawgym.verify import VerifyResult

StopReason = Literal["final", "max_steps", "timeout", "max_tokens", "context_length",
                     "malformed_tool_calls", "model_error", "agent_crash", "solution_done", "noop",
                     "sandbox_limit", "interrupted", "agent_exit"]
# agent_exit: an external agent (the real OpenClaw) ended its run by itself
Status = Literal["done", "agent_error", "infra_error"]
_TEXT_LIMIT = 64 * 1024


class StepRecord(BaseModel):
    index: int
    started_s: float = Field(description="Seconds since the rollout started.")
    model_s: float = 0.0
    tools_s: float = 0.0
    usage: Usage = Field(default_factory=Usage)
    finish_reason: str | None = None
    tool_calls: list[str] = Field(default_factory=list, description="Names of the tools called.")
    errors: list[str] = Field(default_factory=list, description="Malformed or failed tool calls.")
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None


class Timing(BaseModel):
    """Seconds each phase of an episode took (Harbor's trial timing), filled by the one finisher
    as the phases end: a rollout that fails in one phase still shows what the others cost. None:
    the phase did not run (no verification asked or possible, a sandbox the episode did not own)."""

    setup_s: float | None = Field(default=None, description="Making the sandbox session from the workspace.")
    agent_s: float | None = Field(default=None, description="The agent's episode, model calls and tools included.")
    export_s: float | None = Field(default=None, description="Stopping the agent's processes, exporting the workspace.")
    verify_s: float | None = Field(default=None, description="Verification in a fresh sandbox.")


class FileChange(BaseModel):
    path: str
    path_b64: str | None = Field(default=None, description="The name's raw bytes, when it is not UTF-8.")
    change: Literal["added", "changed", "deleted"]
    size: int = 0
    sha256: str = ""
    content: str | None = Field(default=None, description="New text (added files, up to 64 KiB).")
    diff: str | None = Field(default=None, description="Unified diff (changed text files).")


class Trajectory(BaseModel):
    schema_version: Literal[1] = 1
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    task_id: str
    sample: int = 0
    agent: dict[str, Any] = Field(default_factory=dict)
    model: dict[str, Any] | None = None
    sampling: dict[str, Any] = Field(default_factory=dict)
    tools: list[dict[str, Any]] = Field(default_factory=list)
    messages: list[dict[str, Any]] = Field(default_factory=list)
    steps: list[StepRecord] = Field(default_factory=list)
    stop_reason: StopReason | None = None
    final_message: str = ""
    status: Status = "done"
    error: str | None = None
    usage: Usage = Field(default_factory=Usage)
    started_at: float = Field(default_factory=time.time)
    agent_s: float = 0.0
    verify_s: float = 0.0
    timing: Timing = Field(default_factory=Timing, description="Seconds per phase: set-up, agent, export, verification.")
    diff: list[FileChange] = Field(default_factory=list)
    verification: VerifyResult | None = None
    model_requests: list[dict[str, Any]] = Field(
        default_factory=list, description="External agents: every request sent to the model, as sent, and its answer.")

    @property
    def score(self) -> float:
        return self.verification.score if self.verification else 0.0


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FileState:
    size: int
    sha256: str
    data: bytes | None  # kept only for small files: enough for a readable diff


def digest(archive: IO[bytes], keep_bytes: int = _TEXT_LIMIT) -> dict[str, FileState]:
    """Size and hash of every file in a workspace export (a tar stream from the sandbox), read
    as a stream so that an agent's gigabyte files never sit in memory; contents are kept only
    for small files. Names that are not UTF-8 stay surrogate-escaped."""
    return {name: FileState(size, sha, data) for name, size, data, sha in iter_archive(archive, keep_bytes=keep_bytes)}


def safe_name(name: str) -> tuple[str, str | None]:
    """(printable name, base64 of the raw bytes or None): a name that is not UTF-8 is stored
    readably and losslessly."""
    try:
        name.encode("utf-8")
        return name, None
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "replace"), base64.b64encode(raw).decode()


def workspace_diff(initial: list[TaskFile], final: dict[str, FileState]) -> list[FileChange]:
    before = {f.path: f.data for f in initial}
    changes: list[FileChange] = []
    for path in sorted(set(before) | set(final)):
        old, new = before.get(path), final.get(path)
        shown, raw = safe_name(path)
        if new is None:
            changes.append(FileChange(path=shown, path_b64=raw, change="deleted"))
            continue
        if old is not None and len(old) == new.size and _sha(old) == new.sha256:
            continue
        change = FileChange(path=shown, path_b64=raw, change="added" if old is None else "changed",
                            size=new.size, sha256=new.sha256)
        text = _text(new.data)
        if text is not None and old is None:
            change.content = text
        elif text is not None and (old_text := _text(old)) is not None:
            change.diff = "".join(difflib.unified_diff(old_text.splitlines(keepends=True), text.splitlines(keepends=True),
                                                       f"a/{path}", f"b/{path}"))
        changes.append(change)
    return changes


def _text(data: bytes | None) -> str | None:
    if data is None or len(data) > _TEXT_LIMIT or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
