"""Verification: code checks (and, where a task has one, the LLM rubric) after the agent stops;
verifier QA (is a task's verifier worth trusting?)."""

from clawgym.verify._code import PAYLOAD_NAME, default_python, legacy_score, verify, verify_code, verify_many
from clawgym.verify._model import Aggregation, VerifyResult
from clawgym.verify._qa import PROBES, ProbeResult, QAResult, mutations, qa_many, qa_task
from clawgym.verify._rubric import JudgeCache, RubricResult, RuleVerdict, judge_rubric
from clawgym.verify._solution import run_solution, solution_entry
from clawgym.verify._transcript import openclaw_session, transcript_summary

__all__ = ["PROBES", "Aggregation", "JudgeCache", "ProbeResult", "QAResult", "RubricResult", "RuleVerdict",
           "VerifyResult", "default_python", "judge_rubric", "legacy_score", "mutations", "qa_many", "qa_task", "run_solution",
           "solution_entry", "verify",
           "verify_code", "verify_many", "PAYLOAD_NAME", "openclaw_session", "transcript_summary"]
