"""Verification: code checks (and, where a task has one, the LLM rubric) after the agent stops."""

from clawgym.verify._code import default_python, legacy_score, verify, verify_code, verify_many
from clawgym.verify._model import Aggregation, VerifyResult

__all__ = ["Aggregation", "VerifyResult", "default_python", "legacy_score", "verify", "verify_code", "verify_many"]
