"""Helpers for the family property tests: materialise tasks, run reference solutions and checks
in batches with /usr/bin/python3, and build the probe workspaces (noop, placeholders, mutations)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from clawgym.tasks import Task
from clawgym.verify import default_python

BATCH = Path(__file__).with_name("_batch.py")


def write_files(root: Path, files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for p, d in files.items():
        dest = root / p
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(d)
    return root


def read_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_batch(jobs: list[dict]) -> list[dict]:
    if not jobs:
        return []
    r = subprocess.run([default_python(), "-B", str(BATCH)], input=json.dumps(jobs), capture_output=True,
                       text=True, timeout=900, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout)


def score(checks: dict) -> float:
    return sum(checks.values()) / len(checks)


class Materialised:
    """A task on disk: checks/, solution/, and its reference workspace once solved."""

    def __init__(self, task: Task, root: Path):
        self.task, self.root = task, root
        self.initial = {f.path: f.data for f in task.workspace}
        write_files(root / "checks", {f.path: f.data for f in task.checks})
        write_files(root / "solution", {f.path: f.data for f in task.solution})
        self.ref_ws = write_files(root / "ref", self.initial)
        self.reference: dict[str, bytes] = {}
        self.variants: dict[str, Path] = {}

    def solve_job(self) -> dict:
        return {"solve": str(self.root / "solution" / "solve.py"), "cwd": str(self.ref_ws)}

    def outputs(self) -> list[str]:
        return sorted(p for p, d in self.reference.items() if self.initial.get(p) != d)

    def add_variant(self, name: str, files: dict[str, bytes]) -> None:
        safe = "".join(c if c.isalnum() else "_" for c in name)
        self.variants[name] = write_files(self.root / "v" / f"{len(self.variants)}_{safe}", files)

    def grade_jobs(self) -> list[tuple[str, dict]]:
        check = str(self.root / "checks" / "check.py")
        return [(name, {"check": check, "ws": str(ws)}) for name, ws in self.variants.items()]


def placeholders(outputs: list[str]) -> dict[str, dict[str, bytes]]:
    return {
        "empty": {p: b"" for p in outputs},
        "empty_json": {p: b"{}" if p.endswith(".json") else b"" for p in outputs},
        "one_word": {p: b"placeholder\n" for p in outputs},
    }


__all__ = ["Materialised", "placeholders", "read_files", "run_batch", "score", "write_files", "sys"]
