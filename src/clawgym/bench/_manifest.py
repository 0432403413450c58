"""A named, versioned benchmark: a JSON manifest that pins every task's content hash.

`benchmark.json`: name, version, the tasks (id, sha256 of the task's canonical JSON, category,
difficulty and band when calibrated), and where they came from. A run of the benchmark checks
the hashes first: a task that changed since the manifest was made is a different benchmark.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from clawgym.errors import ClawGymError
from clawgym.files import atomic_write

MANIFEST = "benchmark.json"


class BenchmarkError(ClawGymError):
    """A manifest that cannot be read, or tasks that do not match it."""


def task_hash(task: Any) -> str:
    """sha256 of a task's canonical JSON (files sorted, contents exact): any change to the
    instruction, workspace, checks, rubric, solution or metadata changes it."""
    return hashlib.sha256(task.model_dump_json().encode("utf-8")).hexdigest()


class ManifestTask(BaseModel):
    id: str
    sha256: str
    category: str | None = None
    difficulty: float | None = None
    difficulty_se: float | None = None
    band: str | None = None


class Manifest(BaseModel):
    schema_version: Literal[1] = 1
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str = Field(min_length=1)
    created_at: float = Field(default_factory=time.time)
    description: str = ""
    source: dict[str, Any] = Field(default_factory=dict, description="Pool, calibration, selection, reviews used.")
    tasks: list[ManifestTask]

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def ids(self) -> list[str]:
        return [t.id for t in self.tasks]

    def digest(self) -> str:
        """One hash for the benchmark's contents (task ids and hashes, in order)."""
        h = hashlib.sha256()
        for t in self.tasks:
            h.update(f"{t.id}\0{t.sha256}\n".encode())
        return h.hexdigest()

    def check(self, tasks: Iterable[Any]) -> list[Any]:
        """The manifest's tasks from `tasks`, in manifest order; raises BenchmarkError listing
        every task missing or changed."""
        have = {t.id: t for t in tasks}
        problems, out = [], []
        for mt in self.tasks:
            t = have.get(mt.id)
            if t is None:
                problems.append(f"{mt.id}: missing from the task source")
                continue
            h = task_hash(t)
            if h != mt.sha256:
                problems.append(f"{mt.id}: content changed (pinned {mt.sha256[:12]}, found {h[:12]})")
                continue
            out.append(t)
        if problems:
            raise BenchmarkError(f"{len(problems)} task(s) do not match benchmark {self.ref}:\n  " +
                                 "\n  ".join(problems[:50]) + "\nrun with the tasks the manifest was built from, "
                                 "or build a new version")
        return out

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        if path.is_dir() or not path.suffix:
            path = path / MANIFEST
        return atomic_write(path, self.model_dump_json(indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "Manifest":
        path = Path(path)
        if path.is_dir():
            path = path / MANIFEST
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BenchmarkError(f"no benchmark manifest at {path}; build one with `clawgym bench build`") from None
        except ValueError as exc:
            raise BenchmarkError(f"{path} is not a benchmark manifest: {exc}") from exc


def build_manifest(tasks: Sequence[Any], name: str, version: str, *, selection: Any = None,
                   accepted: set[str] | None = None, calibration: Any = None, description: str = "",
                   source: Mapping[str, Any] | None = None) -> Manifest:
    """Pin `tasks` (in order) as a benchmark. With `selection`, only its kept tasks; with
    `accepted` (from the review store: ids whose current version a human accepted), only those."""
    keep = set(selection.kept) if selection is not None else None
    bands = {d.task_id: d.band for d in selection.decisions} if selection is not None else {}
    cal = calibration.by_id() if calibration is not None else {}
    entries = []
    for t in tasks:
        if keep is not None and t.id not in keep:
            continue
        if accepted is not None and t.id not in accepted:
            continue
        c = cal.get(t.id)
        entries.append(ManifestTask(id=t.id, sha256=task_hash(t), category=t.category,
                                    difficulty=c.difficulty if c else None,
                                    difficulty_se=c.difficulty_se if c else None, band=bands.get(t.id)))
    if not entries:
        raise BenchmarkError("no task left to put in the benchmark (nothing kept, or nothing accepted in review)")
    return Manifest(name=name, version=version, description=description, source=dict(source or {}), tasks=entries)


def import_clawgym_bench(src: str | Path, out: str | Path, *, name: str = "clawgym-bench",
                         version: str | None = None) -> Manifest:
    """Import ClawGym-Bench from a local copy of its released repository (the root, where it
    lives at `RL/data/clawgym_eval`, or that folder itself; ClawGym's repository layout, as
    `clawgym tasks import` reads it) into `out`: the tasks as one JSONL dataset
    (`tasks.jsonl`) and the manifest pinning them (`benchmark.json`). The version defaults to
    the copy's git commit when there is one, else a digest of the tasks."""
    from clawgym.tasks import clawgym_split_dir, load_tasks, save_tasks

    src, out = clawgym_split_dir(src), Path(out)
    tasks = load_tasks(src, "clawgym")
    if version is None:
        version = _git_head(src) or "sha-" + hashlib.sha256("".join(task_hash(t) for t in tasks).encode()).hexdigest()[:12]
    out.mkdir(parents=True, exist_ok=True)
    save_tasks(tasks, out / "tasks.jsonl", "jsonl", overwrite=True)
    man = build_manifest(tasks, name, version, description="ClawGym-Bench, imported from the released repository",
                         source={"imported_from": str(src), "format": "clawgym", "tasks": "tasks.jsonl"})
    man.save(out / MANIFEST)
    return man


def _git_head(path: Path) -> str | None:
    for p in [path, *path.parents]:
        head = p / ".git" / "HEAD"
        if head.is_file():
            ref = head.read_text().strip()
            if ref.startswith("ref: "):
                f = p / ".git" / ref[5:]
                return f.read_text().strip()[:12] if f.is_file() else None
            return ref[:12]
    return None


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))
