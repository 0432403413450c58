"""One entry point for every task source: detect the format, load, save atomically."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Literal

from clawgym.errors import Problem, TaskSpecError
from clawgym.tasks._clawgym import load_hf_jsonl, load_repo_task, save_repo_task
from clawgym.tasks._files import LoadOptions, atomic_dir, atomic_file
from clawgym.tasks._harbor import save_harbor_task
from clawgym.tasks._model import ID_PATTERN, Task
from clawgym.tasks._native import dump_jsonl_line, load_folder, load_jsonl, save_folder

SourceFormat = Literal["auto", "native", "jsonl", "clawgym", "clawgym-hf"]
ExportFormat = Literal["native", "jsonl", "clawgym", "harbor"]
_JSONL_SUFFIXES = (".jsonl", ".ndjson")


def detect_format(src: Path) -> str:
    """Name the format of src, or raise TaskSpecError saying what was looked for."""
    src = Path(src)
    if not src.exists():
        raise TaskSpecError(Problem(str(src), "", "does not exist"))
    if src.is_file():
        if src.suffix in _JSONL_SUFFIXES or src.suffix == ".json":
            with src.open("rb") as fh:
                first = next((ln for ln in fh if ln.strip()), b"")
            try:
                record = json.loads(first)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise TaskSpecError(Problem(f"{src}:1", "", f"malformed JSON: {exc}")) from exc
            if isinstance(record, dict) and "prompt" in record and "input_files" in record:
                return "clawgym-hf"
            if isinstance(record, dict) and "instruction" in record:
                return "jsonl"
            raise TaskSpecError(Problem(f"{src}:1", "", "unknown record shape: expected ClawGym HF "
                                        "fields (prompt, input_files) or a native task (instruction)"))
        raise TaskSpecError(Problem(str(src), "", "unknown format: expected a .jsonl file or a folder "
                                    "(use --format to say which)"))
    if (src / "task.toml").is_file():
        return "native"
    if (src / "data_entry.json").is_file():
        return "clawgym"
    children = sorted(p for p in src.iterdir() if p.is_dir())
    if any((p / "task.toml").is_file() for p in children):
        return "native"
    if any((p / "data_entry.json").is_file() for p in children):
        return "clawgym"
    raise TaskSpecError(Problem(str(src), "", "unknown format: no task.toml or data_entry.json here "
                                "or in its sub-folders, and not a JSONL file"))


def _task_dirs(src: Path, marker: str) -> list[Path]:
    if (src / marker).is_file():
        return [src]
    return sorted(p for p in src.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_tasks(src: str | Path, format: SourceFormat = "auto",
               options: LoadOptions | None = None, errors: list[Problem] | None = None) -> list[Task]:
    """Load every task in src. Raises TaskSpecError with every problem in every task, or, when
    `errors` is given, appends the problems there and returns the tasks that loaded."""
    try:
        tasks = _load(Path(src), format, options)
    except TaskSpecError as exc:
        if errors is None:
            raise
        errors.extend(exc.problems)
        return exc.partial
    counts = Counter(t.id for t in tasks)
    dupes = [Problem(str(src), "id", f"duplicate task id {i!r}") for i, n in counts.items() if n > 1]
    if dupes and errors is None:
        raise TaskSpecError(dupes)
    if errors is not None:
        errors.extend(dupes)
    return tasks


def _load(src: Path, format: SourceFormat, options: LoadOptions | None) -> list[Task]:
    fmt = detect_format(src) if format == "auto" else format
    if fmt in ("jsonl", "clawgym-hf") and not src.is_file():
        raise TaskSpecError(Problem(str(src), "", f"format {fmt} needs a JSONL file"))
    if fmt in ("native", "clawgym") and not src.is_dir():
        raise TaskSpecError(Problem(str(src), "", f"format {fmt} needs a folder"))
    if fmt == "jsonl":
        tasks = load_jsonl(src, options)
    elif fmt == "clawgym-hf":
        tasks = load_hf_jsonl(src, options)
    elif fmt in ("native", "clawgym"):
        loader, marker = (load_folder, "task.toml") if fmt == "native" else (load_repo_task, "data_entry.json")
        tasks, problems = [], []
        for d in _task_dirs(src, marker):
            try:
                tasks.append(loader(d, options))
            except TaskSpecError as exc:
                problems.extend(exc.problems)
        if problems:
            raise TaskSpecError(problems, tasks)
    else:
        raise TaskSpecError(Problem(str(src), "", f"unknown format {fmt!r}"))
    return tasks


def save_tasks(tasks: list[Task], dest: str | Path, format: ExportFormat = "native",
               overwrite: bool = False) -> Path:
    """Write tasks to dest; dest appears whole or not at all."""
    dest = Path(dest)
    for t in tasks:  # ids become folder names: never trust one that skipped validation
        if not re.fullmatch(ID_PATTERN, t.id):
            raise ValueError(f"task id {t.id!r} is not a safe folder name ({ID_PATTERN})")
    if format == "jsonl":
        with atomic_file(dest, overwrite) as tmp:
            tmp.write_text("".join(dump_jsonl_line(t) + "\n" for t in tasks), encoding="utf-8")
        return dest
    writer = {"native": save_folder, "clawgym": save_repo_task, "harbor": save_harbor_task}.get(format)
    if writer is None:
        raise ValueError(f"unknown export format {format!r}; choose native, jsonl, clawgym or harbor")
    with atomic_dir(dest, overwrite) as tmp:
        for t in tasks:
            writer(t, tmp / t.id)
    return dest
