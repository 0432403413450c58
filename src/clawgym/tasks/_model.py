"""Pydantic models of a task: what crosses every stage of ClawGym.

File contents are kept as bytes so binary workspace files survive; they serialise to JSON as
UTF-8 text when they decode, else as base64, so a JSONL dataset stays readable and exact.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

SCHEMA_VERSION = 1
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
DEFAULT_MOUNT_PATH = "/root/.openclaw/workspace"


class TaskFile(BaseModel):
    """One file of a workspace, checks folder or solution, at a POSIX path relative to its root."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="Relative POSIX path, already checked not to escape its root.")
    data: bytes = Field(description="Exact file contents.")
    executable: bool = Field(default=False, description="Whether the file has its execute bit.")

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    @model_validator(mode="before")
    @classmethod
    def _decode(cls, value: Any) -> Any:
        if isinstance(value, dict) and "data" not in value:
            value = dict(value)
            if "content_b64" in value:
                value["data"] = base64.b64decode(value.pop("content_b64"), validate=True)
            elif "content" in value:
                content = value.pop("content")
                value["data"] = content.encode("utf-8") if isinstance(content, str) else content
        return value

    @model_serializer(mode="plain")
    def _encode(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        try:
            out["content"] = self.data.decode("utf-8")
        except UnicodeDecodeError:
            out["content_b64"] = base64.b64encode(self.data).decode("ascii")
        if self.executable:
            out["executable"] = True
        return out


class Limits(BaseModel):
    """Budgets for one attempt. None means the runner's default applies."""

    model_config = ConfigDict(extra="forbid")

    max_steps: int | None = Field(default=None, ge=1, description="Most agent turns.")
    timeout_s: float | None = Field(default=None, gt=0, description="Agent wall time, seconds.")
    max_tokens: int | None = Field(default=None, ge=1, description="Most tokens, all turns together.")
    verify_timeout_s: float | None = Field(default=None, gt=0, description="Verifier wall time.")


class Grading(BaseModel):
    """How the sub-scores combine: score = code_weight * code + rubric_weight * rubric."""

    model_config = ConfigDict(extra="forbid")

    code_weight: float = Field(default=0.7, ge=0, le=1)
    rubric_weight: float = Field(default=0.3, ge=0, le=1)
    check: str = Field(default="check.py", description="Entry script inside checks/.")


class Provenance(BaseModel):
    """Where a task came from, so any dataset can be traced back and regenerated."""

    model_config = ConfigDict(extra="forbid")

    route: str | None = Field(default=None, description="persona | skills | family | import")
    source_format: str | None = Field(default=None, description="Format it was imported from.")
    source_id: str | None = Field(default=None, description="The id it had in its source.")
    generator: str | None = None
    model: str | None = None
    seed: int | None = None
    prompt_hash: str | None = None


class RubricRule(BaseModel):
    """One judged rule: a name, the output file it reads, and the text of each score band."""

    model_config = ConfigDict(extra="allow")

    name: str
    file_path: str | None = None
    scores: dict[str, str] = Field(default_factory=dict)


class Rubric(BaseModel):
    """ClawGym's LLM rubric schema, kept field for field (unknown fields survive a round trip)."""

    model_config = ConfigDict(extra="allow")

    eval_type: str = "llm_rubric"
    score_options: list[float] = Field(default_factory=lambda: [0, 0.25, 0.5, 0.75, 1])
    eval_input: str = ""
    rules: list[RubricRule] = Field(default_factory=list)


class Task(BaseModel):
    """A verifiable task: instruction, mock workspace, code checks, optional rubric and solution."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    id: str = Field(pattern=ID_PATTERN, max_length=200,
                    description="Stable id: the source's, else a content hash. Also a folder name.")
    instruction: str = Field(min_length=1, description="What the user asks, verbatim.")
    title: str | None = None
    category: str | None = None
    subcategory: str | None = None
    difficulty: str | None = None
    tags: list[str] = Field(default_factory=list)
    persona: str | None = None
    skills: list[str] = Field(default_factory=list)
    mount_path: str = Field(default=DEFAULT_MOUNT_PATH, description="Where the workspace appears.")
    limits: Limits = Field(default_factory=Limits)
    grading: Grading = Field(default_factory=Grading)
    provenance: Provenance = Field(default_factory=Provenance)
    metadata: dict[str, Any] = Field(default_factory=dict, description="Source fields kept as-is.")
    workspace: list[TaskFile] = Field(default_factory=list)
    checks: list[TaskFile] = Field(default_factory=list)
    rubric: Rubric | None = None
    solution: list[TaskFile] = Field(default_factory=list)

    @field_validator("workspace", "checks", "solution")
    @classmethod
    def _sorted(cls, files: list[TaskFile]) -> list[TaskFile]:
        """One canonical order, so a task equals itself whichever format it was read from."""
        return sorted(files, key=lambda f: f.path)

    def check_file(self) -> TaskFile | None:
        """The entry script of the code verifier, if the task has one."""
        return next((f for f in self.checks if f.path == self.grading.check), None)

    def weights(self) -> tuple[float, float]:
        """(code, rubric) weights actually in force: code alone when there is no rubric."""
        if self.rubric is None or not self.rubric.rules:
            return 1.0, 0.0
        total = self.grading.code_weight + self.grading.rubric_weight
        return self.grading.code_weight / total, self.grading.rubric_weight / total


def content_id(instruction: str, files: list[TaskFile]) -> str:
    """A stable id for a task whose source gave none: a hash of what the task is made of."""
    h = hashlib.sha256(instruction.encode("utf-8"))
    for f in sorted(files, key=lambda f: f.path):
        h.update(b"\0" + f.path.encode("utf-8") + b"\0" + hashlib.sha256(f.data).digest())
    return "task-" + h.hexdigest()[:12]
