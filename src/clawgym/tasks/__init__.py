"""Tasks: the model, every format ClawGym reads and writes, and validation."""

from clawgym.tasks._clawgym import CANONICAL_REWARD_SH, clawgym_split_dir
from clawgym.tasks._files import LoadOptions
from clawgym.tasks._io import detect_format, load_tasks, save_tasks
from clawgym.tasks._lint import lint_task
from clawgym.tasks._model import (
    DEFAULT_MOUNT_PATH, Grading, Limits, Provenance, Rubric, RubricRule, Task, TaskFile,
)

__all__ = [
    "CANONICAL_REWARD_SH", "DEFAULT_MOUNT_PATH", "Grading", "Limits", "LoadOptions", "Provenance",
    "Rubric", "RubricRule", "Task", "TaskFile", "clawgym_split_dir", "detect_format", "lint_task", "load_tasks", "save_tasks",
]
