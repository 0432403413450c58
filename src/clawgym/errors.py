"""ClawGym's error hierarchy.

Errors are data: each carries enough context (what, where, what to do) for a user to fix the
problem without reading a traceback, and callers classify failures by type, never by message.
"""

from __future__ import annotations

from dataclasses import dataclass


class ClawGymError(Exception):
    """Base class of every error ClawGym raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a task source: the file, the field inside it, and why."""

    file: str
    field: str
    reason: str

    def __str__(self) -> str:
        where = self.file + (f" [{self.field}]" if self.field else "")
        return f"{where}: {self.reason}"


class TaskSpecError(ClawGymError):
    """A task source is invalid. Holds every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem, partial: list | None = None):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.partial = list(partial or [])  # what did load, for tools that report and go on
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid task")


class SandboxError(ClawGymError):
    """A sandbox could not be created or used (an infrastructure failure, not the agent's)."""


class VerifierError(ClawGymError):
    """A verifier crashed, timed out or printed something that is not a score."""
