"""Verification results: every sub-score kept, and a verifier failure never looks like a 0."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Aggregation = Literal["default", "legacy"]
VerifyStatus = Literal["ok", "verifier_error"]


class VerifyResult(BaseModel):
    """The verdict on one final workspace."""

    schema_version: Literal[1] = 1
    task_id: str
    status: VerifyStatus = Field(description="ok, or verifier_error (crash, timeout, bad output).")
    score: float = Field(description="The total: 0 when status is verifier_error.")
    code_score: float | None = Field(default=None, description="The code checks' score.")
    rubric_score: float | None = Field(default=None, description="The LLM rubric's score, if judged.")
    rubric_status: Literal["none", "not_judged", "judged", "judge_error"] = "none"
    rubric: dict[str, Any] | None = Field(default=None, description="Per-rule verdicts, votes and reasons.")
    checks: dict[str, float] = Field(default_factory=dict, description="Every named sub-score.")
    declared_reward: float | None = Field(default=None, description="The script's own `reward` key.")
    aggregation: Aggregation = "default"
    error: str | None = Field(default=None, description="Why the verifier failed, or a warning.")
    exit_code: int | None = None
    duration_s: float = 0.0
    stderr_tail: str = ""
