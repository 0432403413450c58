"""A run's configuration: what makes two runs the same run (and resuming safe)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class RunConfig(BaseModel):
    """Everything that decides what a run computes. Concurrency and the executor are not here:
    they change how fast, not what, so a run may resume with different ones."""

    schema_version: Literal[1] = 1
    tasks: str = Field(description="The task source, as given.")
    task_ids: list[str] = Field(default_factory=list, description="The tasks, in order.")
    agent: str = "llm"
    model: str | None = None
    samples: int = Field(default=1, ge=1)
    max_steps: int | None = None
    timeout_s: float | None = Field(default=None, gt=0, allow_inf_nan=False, description="Agent wall time, seconds.")
    verify_timeout_s: float | None = Field(default=None, gt=0, allow_inf_nan=False,
                                           description="Verifier wall time, seconds (default: the task's).")
    temperature: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    turn_tokens: int | None = Field(default=None, description="Most tokens per model turn.")
    max_tokens: int | None = Field(default=None, description="Total tokens per rollout.")
    seed: int | None = None
    aggregation: Literal["default", "legacy"] = "default"
    sandbox: str = "bwrap"
    judge_model: str | None = Field(default=None, description="Model spec of the rubric judge.")
    judge_votes: int = Field(default=1, ge=1, description="Votes per rubric rule (median).")
    max_tries: int = Field(default=3, ge=1, description="Tries per attempt when the infrastructure fails.")
    tools: list[str] | None = Field(default=None, description="Tools the agent sees (None: all).")
    system_prompt: str | None = Field(default=None, description="The agent's system prompt (None: the default).")
    compact_tools: bool | None = Field(default=None, description="Tools advertised by required parameters only.")

    def differences(self, other: "RunConfig") -> dict[str, tuple[Any, Any]]:
        a, b = self.model_dump(), other.model_dump()
        return {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}
