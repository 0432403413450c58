"""Runs: many attempts at once, a crash-safe store, executors, summaries and reports."""

from clawgym.runs._config import RunConfig
from clawgym.runs._report import summarize, summary_tables, write_report
from clawgym.runs._run import ModelPool, execute, run_attempt
from clawgym.runs._store import AttemptRow, ConfigMismatch, RunStore

__all__ = ["AttemptRow", "ConfigMismatch", "ModelPool", "RunConfig", "RunStore", "execute", "run_attempt",
           "summarize", "summary_tables", "write_report"]
