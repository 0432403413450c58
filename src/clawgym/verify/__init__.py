"""Verification: code checks (and, where a task has one, the LLM rubric) after the agent stops;
verifier QA (is a task's verifier worth trusting?)."""

from clawgym.verify._code import (
    PAYLOAD_NAME, default_python, legacy_score, prewarm_verification, verification_limits, verification_session, verify,
    verify_code, verify_many,
)
from clawgym.verify._model import Aggregation, VerifyResult
from clawgym.verify._cheats import ReferenceDiff, reference_diff
from clawgym.verify._qa import (
    CHEAT_PROBES, PROBES, ProbeResult, QAResult, family_of, mutations, qa_many, qa_task, reference_outputs,
)
from clawgym.verify._rubric import JudgeCache, RubricResult, RuleVerdict, judge_rubric
from clawgym.verify._solution import run_solution, solution_entry
from clawgym.verify._transcript import openclaw_session, transcript_summary

__all__ = ["CHEAT_PROBES", "PROBES", "ReferenceDiff", "family_of", "reference_diff", "Aggregation", "JudgeCache", "ProbeResult", "QAResult", "RubricResult", "RuleVerdict",
           "VerifyResult", "default_python", "judge_rubric", "legacy_score", "mutations", "qa_many", "qa_task", "reference_outputs", "run_solution",
           "solution_entry", "verify", "prewarm_verification", "verification_limits", "verification_session",
           "verify_code", "verify_many", "PAYLOAD_NAME", "openclaw_session", "transcript_summary"]
