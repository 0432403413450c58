"""What every procedural family shares: the `Family` record, the check harness, the solution
runner, and `make_task`, which turns (family, seed, difficulty, knobs) into a native `Task`.

A family is pure data plus two functions: `build(rng, knobs)` draws one instance (instruction,
workspace, expected values, solver parameters) from a `random.Random`, and `mutate(files, exp)`
damages a reference output in the family's own ways (used by the property tests). The check
script is one source text per family (`check_body`, wrapped in `HARNESS`); the instance's expected
values go to `checks/expected.json`, which the agent never sees.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any, Callable

from clawgym.tasks import Grading, Limits, Provenance, Rubric, Task, TaskFile

DIFFICULTIES = ("easy", "medium", "hard")

HARNESS_HEAD = '''"""Checks for a procedurally generated ClawGym task (family: {name}).

Written once for the family; this instance's expected values are in expected.json beside this
file. Every check gives partial credit in [0, 1]; all are 0 unless the gate holds (the output
exists and is at least partly right), so an untouched workspace scores 0.
Run as `python3 check.py WORKSPACE` or call grade(transcript, workspace_path).
"""
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXP = json.loads((Path(__file__).resolve().parent / "expected.json").read_text(encoding="utf-8"))


def read(ws, rel):
    return (ws / rel).read_bytes()


def text(ws, rel):
    return (ws / rel).read_text(encoding="utf-8")


def sha(data):
    return hashlib.sha256(data).hexdigest()


def has(ws, rel, digest):
    p = ws / rel
    return p.is_file() and not p.is_symlink() and sha(p.read_bytes()) == digest


def frac(flags):
    flags = list(flags)
    return sum(1.0 for f in flags if f) / len(flags) if flags else 1.0


def csv_rows(ws, rel):
    raw = text(ws, rel)
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(raw)) if r and any(c.strip() for c in r)]


def load_json(ws, rel):
    return json.loads(text(ws, rel))


def files_under(ws, rel):
    root = ws / rel
    if not root.is_dir():
        return set()
    return {str(p.relative_to(ws)).replace(os.sep, "/") for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def money(v):
    return "%.2f" % v

'''

HARNESS_TAIL = '''

def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        ok = bool(gate(ws, EXP))
    except Exception:
        ok = False
    out = {}
    for name, fn in CHECKS.items():
        value = 0.0
        if ok:
            try:
                value = float(fn(ws, EXP))
            except Exception:
                value = 0.0
        out[name] = max(0.0, min(1.0, value))
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
'''

SOLVE_SH = """#!/usr/bin/env bash
# Reference solution: run from the workspace root. solve.py reads what the instruction states
# from params.json beside it and works from the workspace's files.
set -euo pipefail
exec python3 -B "$(dirname "$0")/solve.py"
"""

SOLVE_HEAD = '''"""Reference solution for a procedurally generated task (family: {name})."""
import csv
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

P = json.loads((Path(__file__).resolve().parent / "params.json").read_text(encoding="utf-8"))

'''


@dataclass
class Built:
    """One drawn instance, before it becomes a Task."""

    instruction: str
    workspace: dict[str, bytes | str]
    expected: dict[str, Any]
    params: dict[str, Any]
    template: int = 0
    executable: tuple[str, ...] = ()
    #: ClawGym's llm_rubric (DESIGN.md's schema) where the output is prose, and the (code, rubric)
    #: weights that say what the score is made of; None: code checks alone.
    rubric: dict[str, Any] | None = None
    weights: tuple[float, float] | None = None


@dataclass(frozen=True)
class Family:
    name: str
    category: str
    subcategory: str
    title: str
    description: str
    knobs: dict[str, tuple[Any, Any, Any]]  # knob -> (easy, medium, hard)
    build: Callable[[random.Random, dict[str, Any]], Built]
    check_body: str
    solver: str
    mutate: Callable[[dict[str, bytes], dict[str, Any]], dict[str, dict[str, bytes | None]]]
    tags: tuple[str, ...] = ()
    max_steps: int = 30
    extra: dict[str, Any] = field(default_factory=dict)

    def knob_values(self, difficulty: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        i = DIFFICULTIES.index(difficulty)
        values = {k: v[i] for k, v in self.knobs.items()}
        for k, v in (overrides or {}).items():
            if k not in values:
                raise ValueError(f"family {self.name!r} has no knob {k!r}; its knobs are {', '.join(self.knobs)}")
            values[k] = type(values[k])(v) if not isinstance(values[k], bool) else _boolish(v)
        return values

    def check_source(self) -> str:
        return HARNESS_HEAD.replace("{name}", self.name) + self.check_body.strip("\n") + "\n" + HARNESS_TAIL

    def solve_source(self) -> str:
        return SOLVE_HEAD.replace("{name}", self.name) + self.solver.strip("\n") + "\n"


def _boolish(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "on")
    return bool(v)


def _data(v: bytes | str) -> bytes:
    return v if isinstance(v, bytes) else v.encode("utf-8")


def dumps(obj: Any) -> str:
    """The one JSON spelling used in every generated file: stable, readable, ends in a newline."""
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def task_id(family: str, seed: int, difficulty: str | None, overrides: dict[str, Any] | None) -> str:
    tid = f"fam-{family.replace('_', '-')}-{seed}"
    if difficulty is not None:
        tid += f"-{difficulty}"
    if overrides:
        h = hashlib.sha256(json.dumps(overrides, sort_keys=True, default=str).encode()).hexdigest()[:8]
        tid += f"-k{h}"
    return tid


def make_task(family: Family, seed: int, difficulty: str | None = None, knobs: dict[str, Any] | None = None,
              split: str | None = None) -> Task:
    """Draw one task. Everything derives from random.Random(f"{family}:{seed}"): the same family,
    seed, difficulty and knobs give a byte-identical task. With no difficulty the seed picks one
    (the id then has no difficulty suffix)."""
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}")
    rng = random.Random(f"{family.name}:{seed}")
    drawn = rng.choice(DIFFICULTIES)
    level = difficulty or drawn
    values = family.knob_values(level, knobs)
    built = family.build(rng, values)
    execs = set(built.executable)
    workspace = [TaskFile(path=p, data=_data(d), executable=p in execs) for p, d in built.workspace.items()]
    checks = [TaskFile(path="check.py", data=family.check_source().encode()),
              TaskFile(path="expected.json", data=dumps(built.expected).encode())]
    solution = [TaskFile(path="solve.sh", data=SOLVE_SH.encode(), executable=True),
                TaskFile(path="solve.py", data=family.solve_source().encode()),
                TaskFile(path="params.json", data=dumps(built.params).encode())]
    meta = {"family": family.name, "seed": seed, "difficulty": level, "knobs": values,
            "template": built.template}
    if split is not None:
        meta["split"] = split
    return Task(
        id=task_id(family.name, seed, difficulty, knobs), instruction=built.instruction,
        title=family.title, category=family.category, subcategory=family.subcategory, difficulty=level,
        tags=["procedural", f"family:{family.name}", *family.tags],
        limits=Limits(max_steps=family.max_steps + 10 * DIFFICULTIES.index(level), verify_timeout_s=60),
        provenance=Provenance(route="family", generator=family.name, seed=seed),
        metadata=meta, workspace=workspace, checks=checks, solution=solution,
        rubric=Rubric.model_validate(built.rubric) if built.rubric else None,
        grading=Grading(code_weight=built.weights[0], rubric_weight=built.weights[1]) if built.weights else Grading())


# ---------------------------------------------------------------------------------------------
# small shared vocabulary for the generators

FIRST_NAMES = ["Ada", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Jude", "Kaito",
               "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor",
               "Wen", "Ximena", "Yusuf", "Zoe"]
LAST_NAMES = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Kowalski", "Reyes",
              "Fischer", "Nguyen", "Brennan", "Costa", "Ivanova", "Mensah", "Patel", "Larsen", "Ruiz"]
WORDS = ["alpha", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "indigo", "juniper", "kelp",
         "lumen", "maple", "nova", "onyx", "pebble", "quartz", "raven", "sierra", "tundra", "umber", "violet",
         "willow", "zephyr", "amber", "basalt", "coral", "dune", "echo", "flint"]


def pick_phrase(rng: random.Random, options: list[str]) -> tuple[int, str]:
    i = rng.randrange(len(options))
    return i, options[i]


def bullets(rng: random.Random, items: list[str], shuffle: bool = True) -> str:
    items = list(items)
    if shuffle:
        rng.shuffle(items)
    return "\n".join(f"- {x}" for x in items)


def unique_words(rng: random.Random, n: int, pool: list[str] = WORDS) -> list[str]:
    out = rng.sample(pool, min(n, len(pool)))
    i = 2
    while len(out) < n:
        out += [f"{w}{i}" for w in rng.sample(pool, min(n - len(out), len(pool)))]
        i += 1
    return out
