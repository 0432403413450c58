"""Runs: many attempts at once, a crash-safe store, executors, summaries and reports."""

from clawgym.runs._config import RunConfig
from clawgym.runs._events import AttemptDone, AttemptRetry, AttemptRunning, RunEnded, RunEvent, RunStarted, run_event
from clawgym.runs._executors import LocalExecutor, RayExecutor
from clawgym.runs._plan import (STARTER_DEFAULTS, RunSetupError, check_run, make_config, run_folder, select_tasks,
                                starter_source)
from clawgym.runs._report import render_png, summarize, summary_tables, write_report
from clawgym.runs._run import ModelPool, Progress, RunInterrupted, RunJob, default_memory_budget, execute, run_attempt
from clawgym.runs._store import FINAL_STATES, AttemptRow, ConfigMismatch, RunLocked, RunStore, RunStoreError

__all__ = ["FINAL_STATES", "STARTER_DEFAULTS", "AttemptRow", "ConfigMismatch", "LocalExecutor", "ModelPool", "RayExecutor",
           "RunConfig", "RunInterrupted", "RunJob", "RunLocked", "RunSetupError", "RunStore", "RunStoreError",
           "check_run", "default_memory_budget", "execute", "make_config", "run_attempt", "run_folder", "select_tasks", "starter_source", "summarize",
           "summary_tables", "render_png", "write_report",
           "AttemptDone", "AttemptRetry", "AttemptRunning", "Progress", "RunEnded", "RunEvent", "RunStarted", "run_event"]
