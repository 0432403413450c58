"""ClawGym's native formats: a task folder (Harbor-like) and one-task-per-line JSONL."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from clawgym.tasks._files import (
    LoadOptions, Problems, check_unique, clean_path, read_text, read_tree, size_ok, write_tree,
)
from clawgym.tasks._model import Rubric, Task, TaskFile

TOML_SECTIONS = ("limits", "grading", "provenance")
_FILE_LISTS = ("workspace", "checks", "solution")


def validation_problems(exc: ValidationError, file: str | Path, problems: Problems, prefix: str = "") -> None:
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"])
        problems.add(file, prefix + loc, err["msg"])


def check_task(task: Task, file: str | Path, problems: Problems, options: LoadOptions) -> Task:
    """Checks every source's tasks share: safe unique paths, size caps, a text check script."""
    updates: dict[str, list[TaskFile]] = {}
    for name in _FILE_LISTS:
        cleaned = []
        for i, f in enumerate(getattr(task, name)):
            path = clean_path(f.path, file, f"{name}[{i}].path", problems)
            if path is not None and size_ok(f.data, file, f"{name}/{path}", problems, options):
                cleaned.append(f if path == f.path else f.model_copy(update={"path": path}))
        check_unique(cleaned, file, name, problems)
        updates[name] = cleaned
    if not task.instruction.strip():
        problems.add(file, "instruction", "instruction is empty")
    for f in updates["checks"]:
        if f.path.endswith(".py"):
            try:
                f.text
            except UnicodeDecodeError:
                problems.add(file, f"checks/{f.path}", "check script is not valid UTF-8")
    return task.model_copy(update=updates)


def _toml_dict(task: Task) -> dict[str, Any]:
    data = task.model_dump(mode="json", exclude={"instruction", "rubric", *_FILE_LISTS, "metadata"},
                           exclude_none=True)
    for section in TOML_SECTIONS:
        if not data.get(section):
            data.pop(section, None)
    if task.metadata:
        try:
            tomli_w.dumps({"metadata": task.metadata})
            data["metadata"] = task.metadata
        except (TypeError, ValueError):  # e.g. null values, which TOML cannot hold
            data["metadata_json"] = json.dumps(task.metadata, ensure_ascii=False, sort_keys=True)
    return data


def save_folder(task: Task, dest: Path) -> None:
    """Write one task folder into dest (which the caller has made empty)."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "task.toml").write_text(tomli_w.dumps(_toml_dict(task)), encoding="utf-8")
    (dest / "instruction.md").write_text(task.instruction, encoding="utf-8")
    for name in _FILE_LISTS:
        (dest / name).mkdir(exist_ok=True) if name == "workspace" else None
        write_tree(dest / name, getattr(task, name))
    if task.rubric is not None:
        (dest / "rubric.json").write_text(
            json.dumps(task.rubric.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8")


def load_folder(root: Path, options: LoadOptions | None = None) -> Task:
    """Read one native task folder; raise TaskSpecError listing every problem."""
    options = options or LoadOptions()
    problems = Problems()
    toml_path = root / "task.toml"
    meta: dict[str, Any] = {}
    text = read_text(toml_path, problems)
    if text is not None:
        try:
            meta = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            problems.add(toml_path, "", f"malformed TOML: {exc}")
    if "metadata_json" in meta:
        try:
            meta["metadata"] = json.loads(meta.pop("metadata_json"))
        except (TypeError, json.JSONDecodeError) as exc:
            problems.add(toml_path, "metadata_json", f"malformed JSON: {exc}")
    instruction = read_text(root / "instruction.md", problems, "instruction")
    rubric = None
    rubric_path = root / "rubric.json"
    if rubric_path.exists():
        raw = read_text(rubric_path, problems)
        if raw is not None:
            try:
                rubric = Rubric.model_validate(json.loads(raw))
            except json.JSONDecodeError as exc:
                problems.add(rubric_path, "", f"malformed JSON: {exc}")
            except ValidationError as exc:
                validation_problems(exc, rubric_path, problems)
    files = {name: read_tree(root / name, problems, options) for name in _FILE_LISTS}
    meta.setdefault("id", root.name)
    try:
        task = Task.model_validate({**meta, "instruction": instruction or "", "rubric": rubric, **files})
    except ValidationError as exc:
        validation_problems(exc, toml_path, problems)
        problems.raise_if_any()
        raise  # unreachable: a ValidationError always has errors
    task = check_task(task, root, problems, options)
    problems.raise_if_any()
    return task


def dump_jsonl_line(task: Task) -> str:
    return json.dumps(task.model_dump(mode="json", exclude_defaults=True) | {"id": task.id},
                      ensure_ascii=False)


def load_jsonl(path: Path, options: LoadOptions | None = None) -> list[Task]:
    """Read a native JSONL dataset; every bad line is reported with its line number."""
    options = options or LoadOptions()
    problems = Problems()
    tasks: list[Task] = []
    raw = read_text(path, problems)
    for lineno, line in enumerate((raw or "").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            task = Task.model_validate_json(line)
        except ValidationError as exc:
            validation_problems(exc, where, problems)
            continue
        before = len(problems)
        task = check_task(task, where, problems, options)
        if len(problems) == before:
            tasks.append(task)
    problems.raise_if_any(tasks)
    return tasks
