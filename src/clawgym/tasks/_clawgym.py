"""ClawGym's own formats: the repository layout and the Hugging Face JSONL record.

Repository layout (ClawGym-Agents `RL/data/clawgym_*`)::

    task_0001/data_entry.json   {task_id, user_query, metadata, input_mount_dir?}
    task_0001/input_files/...   copied into input_mount_dir before the agent starts
    task_0001/reward/check.py   run by reward/reward.sh after the agent stops

HF record (`RUC-AIBOX/ClawGym-Task`): {prompt, hook_code, input_files: [{file_path, content}],
rule, origin_template}; files under `reward/` are the verifier (`reward/test.py` is ClawGym's
name for what the repository layout calls `reward/check.py`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clawgym.tasks._files import LoadOptions, Problems, clean_path, read_text, read_tree, size_ok
from clawgym.tasks._model import DEFAULT_MOUNT_PATH, Provenance, Rubric, Task, TaskFile, content_id
from clawgym.tasks._native import check_task, validation_problems

# ClawGym's reward.sh, byte for byte (every one of its 2,200 repository tasks ships this file).
CANONICAL_REWARD_SH = (
    "#!/usr/bin/env bash\n"
    "set -euo pipefail\n"
    "\n"
    "python3 /root/.openclaw/workspace/reward/check.py /root/.openclaw/workspace | python3 -c "
    "'import json, sys; raw = sys.stdin.read().strip(); data = json.loads(raw); "
    "print(sum(float(v) for v in data.values()) / len(data) if isinstance(data, dict) and data "
    "else float(data) if isinstance(data, (int, float)) else 0.0)'\n"
)
CANONICAL_HOOK = "python3 reward/test.py /root/.openclaw/workspace"
_ID_RE = re.compile(r"^id:\s*(\S+)\s*$", re.MULTILINE)


def _rubric(raw: Any, file: str | Path, fld: str, problems: Problems) -> Rubric | None:
    """ClawGym stores a rubric as an object, a JSON string of one, or a bare list of rules."""
    if raw is None or raw == "" or raw == []:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.add(file, fld, f"rubric is not valid JSON: {exc}")
            return None
    if isinstance(raw, list):
        raw = {"rules": raw}
    try:
        return Rubric.model_validate(raw)
    except ValidationError as exc:
        validation_problems(exc, file, problems, prefix=fld + ".")
        return None


def _build(where: str | Path, problems: Problems, **fields: Any) -> Task:
    try:
        return Task(**fields)
    except ValidationError as exc:
        validation_problems(exc, where, problems)
        problems.raise_if_any()
        raise


def load_repo_task(root: Path, options: LoadOptions | None = None) -> Task:
    """Read one task folder of ClawGym's repository layout."""
    options = options or LoadOptions()
    problems = Problems()
    entry_path = root / "data_entry.json"
    entry: dict[str, Any] = {}
    text = read_text(entry_path, problems)
    if text is not None:
        try:
            entry = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.add(entry_path, "", f"malformed JSON: {exc}")
        if not isinstance(entry, dict):
            problems.add(entry_path, "", "must hold a JSON object")
            entry = {}
    query = entry.get("user_query")
    if text is not None and (not isinstance(query, str) or not query.strip()):
        problems.add(entry_path, "user_query", "missing or empty instruction")
    metadata = entry.get("metadata", {})
    if not isinstance(metadata, dict):
        problems.add(entry_path, "metadata", "must be an object")
        metadata = {}
    mount = entry.get("input_mount_dir") or DEFAULT_MOUNT_PATH
    if not isinstance(mount, str) or not mount.startswith("/"):
        problems.add(entry_path, "input_mount_dir", f"must be an absolute path, got {mount!r}")
        mount = DEFAULT_MOUNT_PATH
    workspace = read_tree(root / "input_files", problems, options)
    checks = read_tree(root / "reward", problems, options)
    if not (root / "reward" / "check.py").is_file():
        problems.add(root / "reward", "check.py", "missing: ClawGym's reward.sh runs reward/check.py")
    rubric = _rubric(metadata.get("rule"), entry_path, "metadata.rule", problems)
    extra = {k: v for k, v in entry.items()
             if k not in ("task_id", "user_query", "metadata", "input_mount_dir")}
    source_id = entry.get("task_id") if isinstance(entry.get("task_id"), str) else None
    task_id = source_id or content_id(query or "", workspace + checks)
    problems.raise_if_any()
    task = _build(entry_path, problems,
        id=task_id, instruction=query, category=metadata.get("category") or None,
        mount_path=mount, workspace=workspace, checks=checks, rubric=rubric,
        metadata={"clawgym": metadata, **({"data_entry": extra} if extra else {})},
        provenance=Provenance(route="import", source_format="clawgym", source_id=source_id),
    )
    task = check_task(task, root, problems, options)
    problems.raise_if_any()
    return task


SPLIT_DIRS = ("RL/data/clawgym_{split}", "data/clawgym_{split}", "clawgym_{split}")


def clawgym_split_dir(src: str | Path, split: str = "eval") -> Path:
    """The folder of task folders for `src`: itself when it holds ClawGym task folders (or is
    one), else the split's folder inside a copy of the released repository (ClawGym-Agents keeps
    the benchmark at `RL/data/clawgym_eval`, the training tasks at `RL/data/clawgym_train`); the
    repository's `RL/` or `RL/data/` folder works too. Raises TaskSpecError saying where it looked."""
    from clawgym.errors import Problem, TaskSpecError

    src = Path(src)
    if not src.is_dir():
        raise TaskSpecError(Problem(str(src), "", "does not exist or is not a folder"))
    if (src / "data_entry.json").is_file() or any((p / "data_entry.json").is_file() for p in src.iterdir()
                                                  if p.is_dir()):
        return src
    tried = [src / d.format(split=split) for d in SPLIT_DIRS]
    for cand in tried:
        if cand.is_dir():
            return cand
    raise TaskSpecError(Problem(str(src), "", "no ClawGym task folders (data_entry.json) here, and none of "
                                + ", ".join(str(t.relative_to(src)) for t in tried)
                                + ": give the root of a ClawGym-Agents copy or the task folder itself"))


def load_hf_record(record: Any, where: str, options: LoadOptions | None = None) -> Task:
    """Convert one ClawGym Hugging Face record (already JSON-decoded)."""
    options = options or LoadOptions()
    problems = Problems()
    if not isinstance(record, dict):
        problems.add(where, "", "record must be a JSON object")
        problems.raise_if_any()
    prompt = record.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        problems.add(where, "prompt", "missing or empty instruction")
    raw_files = record.get("input_files")
    if isinstance(raw_files, str):  # some exports stringify the list
        try:
            raw_files = json.loads(raw_files)
        except json.JSONDecodeError as exc:
            problems.add(where, "input_files", f"not valid JSON: {exc}")
            raw_files = []
    if not isinstance(raw_files, list):
        problems.add(where, "input_files", "must be a list of {file_path, content}")
        raw_files = []
    workspace: list[TaskFile] = []
    checks: list[TaskFile] = []
    for i, item in enumerate(raw_files):
        fld = f"input_files[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            problems.add(where, fld, "must be an object with string file_path and content")
            continue
        path = clean_path(item.get("file_path"), where, fld + ".file_path", problems)
        data = item["content"].encode("utf-8")
        if path is None or not size_ok(data, where, f"{fld} ({path})", problems, options):
            continue
        if path.startswith("reward/"):
            name = path.removeprefix("reward/")
            checks.append(TaskFile(path="check.py" if name == "test.py" else name, data=data))
        else:
            workspace.append(TaskFile(path=path, data=data))
    if raw_files and not any(f.path == "check.py" for f in checks):
        problems.add(where, "input_files", "no reward/test.py (the verifier) among the files")
    template = record.get("origin_template")
    match = _ID_RE.search(template) if isinstance(template, str) else None
    source_id = match.group(1) if match else None
    rubric = _rubric(record.get("rule"), where, "rule", problems)
    problems.raise_if_any()
    extra = {k: v for k, v in record.items() if k not in ("prompt", "input_files", "rule")}
    task = _build(where, problems,
        id=source_id or content_id(prompt, workspace + checks), instruction=prompt,
        category=record.get("category") if isinstance(record.get("category"), str) else None,
        workspace=workspace, checks=checks, rubric=rubric, metadata={"clawgym_hf": extra},
        provenance=Provenance(route="import", source_format="clawgym-hf", source_id=source_id),
    )
    task = check_task(task, where, problems, options)
    problems.raise_if_any()
    return task


def load_hf_jsonl(path: Path, options: LoadOptions | None = None) -> list[Task]:
    problems = Problems()
    tasks: list[Task] = []
    raw = read_text(path, problems)
    from clawgym.errors import TaskSpecError

    for lineno, line in enumerate((raw or "").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            tasks.append(load_hf_record(json.loads(line), where, options))
        except json.JSONDecodeError as exc:
            problems.add(where, "", f"malformed JSON: {exc}")
        except TaskSpecError as exc:
            problems.extend(exc.problems)
    problems.raise_if_any(tasks)
    return tasks


def data_entry(task: Task) -> dict[str, Any]:
    metadata = dict(task.metadata.get("clawgym") or {"category": task.category or "",
                                                     "grading_type": "automated"})
    if task.rubric is not None and "rule" not in metadata:
        metadata["rule"] = task.rubric.model_dump(mode="json")
    entry = {"task_id": task.id, "user_query": task.instruction, "metadata": metadata,
             "input_mount_dir": task.mount_path}
    entry.update(task.metadata.get("data_entry") or {})
    return entry


def save_repo_task(task: Task, dest: Path) -> None:
    """Write one task in ClawGym's repository layout (feeds ClawGym's own RL code as-is)."""
    from clawgym.tasks._files import write_tree

    dest.mkdir(parents=True, exist_ok=True)
    (dest / "data_entry.json").write_text(
        json.dumps(data_entry(task), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (dest / "input_files").mkdir(exist_ok=True)
    write_tree(dest / "input_files", task.workspace)
    checks = [f if f.path != task.grading.check else f.model_copy(update={"path": "check.py"})
              for f in task.checks if f.path != "reward.sh"]
    write_tree(dest / "reward", checks)
    (dest / "reward" / "reward.sh").write_text(CANONICAL_REWARD_SH, encoding="utf-8")
    (dest / "reward" / "reward.sh").chmod(0o755)
