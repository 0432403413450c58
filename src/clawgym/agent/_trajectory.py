"""The record of one rollout: exactly what the agent saw and did, and how it scored.

Filled as the rollout goes, so a timeout or crash still leaves everything up to that point.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
import hashlib
import os
import time
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from clawgym.models import Usage
from clawgym.tasks import TaskFile
from clawgym.verify import VerifyResult

StopReason = Literal["final", "max_steps", "timeout", "max_tokens", "context_length",
                     "malformed_tool_calls", "model_error", "agent_crash", "solution_done", "noop"]
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


class FileChange(BaseModel):
    path: str
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
    diff: list[FileChange] = Field(default_factory=list)
    verification: VerifyResult | None = None

    @property
    def score(self) -> float:
        return self.verification.score if self.verification else 0.0


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file under root, contents in memory (symlinks recorded by target text,
    never followed). For trusted workspaces (a reference solution's); use `digest` for agents'."""
    files: dict[str, bytes] = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                files[rel] = b"symlink -> " + os.readlink(full).encode()
            elif full.is_file():
                files[rel] = full.read_bytes()
    return files


@dataclass(frozen=True)
class FileState:
    size: int
    sha256: str
    data: bytes | None  # kept only for small files: enough for a readable diff


def digest(root: Path, keep_bytes: int = _TEXT_LIMIT) -> dict[str, FileState]:
    """Size and hash of every regular file under root, reading in chunks so that an agent's
    gigabyte files never sit in memory; contents are kept only for small files."""
    states: dict[str, FileState] = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                data = b"symlink -> " + os.readlink(full).encode()
                states[rel] = FileState(len(data), _sha(data), data)
                continue
            if not full.is_file():
                continue
            h, size, head = hashlib.sha256(), 0, bytearray()
            with open(full, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
                    size += len(chunk)
                    if len(head) <= keep_bytes:
                        head += chunk[: keep_bytes + 1 - len(head)]
            states[rel] = FileState(size, h.hexdigest(), bytes(head) if size <= keep_bytes else None)
    return states


def workspace_diff(initial: list[TaskFile], final: dict[str, FileState]) -> list[FileChange]:
    before = {f.path: f.data for f in initial}
    changes: list[FileChange] = []
    for path in sorted(set(before) | set(final)):
        old, new = before.get(path), final.get(path)
        if new is None:
            changes.append(FileChange(path=path, change="deleted"))
            continue
        if old is not None and len(old) == new.size and _sha(old) == new.sha256:
            continue
        change = FileChange(path=path, change="added" if old is None else "changed", size=new.size, sha256=new.sha256)
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
