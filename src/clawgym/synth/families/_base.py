"""What every procedural family shares: the `Family` record, the check harness, the solution
runner, and `make_task`, which turns (family, seed, difficulty, knobs) into a native `Task`.

A family is pure data plus two functions: `build(rng, knobs)` draws one instance (instruction,
workspace, expected values, solver parameters) from a `random.Random`, and `mutate(files, exp)`
damages a reference output in the family's own ways (used by the property tests). The check
script is one source text per family (`check_body`, between HARNESS_HEAD and HARNESS_TAIL); the
instance's expected values go to `checks/expected.json`, which the agent never sees. Those texts,
and the solvers', are real Python files in `scripts/` (see `script`), linted like the rest.

Scoring is built so that a reward cannot be collected without the work (the harness's `grade`):

- every workspace file the instruction does not ask to change (`Built.mutable` lists those it
  does) is checked unchanged (`inputs_unchanged`); damaging any of them caps the reward at a
  quarter of what it would be;
- each family names its `CORE` checks (the facts that are the work: files moved, bugs fixed,
  totals right); unless all of them hold, the reward is at most 0.4 times their mean, so the
  shell of an answer, or one wrong key fact, is far below a pass;
- the script prints that gated total as `reward` beside its checks;
- checks that run the agent's code (`ISOLATE`) first forget their keys on disk, make themselves
  undumpable and run the code in a Landlock-confined child that can read only the system and a
  private folder, with just the inputs on stdin, a scrubbed environment, a timeout and a cap on
  output.

A family task without a rubric declares code-only weights.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Callable

from clawgym.tasks import Grading, Limits, Provenance, Rubric, Task, TaskFile

DIFFICULTIES = ("easy", "medium", "hard")

#: The line in every file of `scripts/` after which the script's text starts; what is above it (a
#: docstring, the imports of the names the rest of the script defines) is for linters only.
SCRIPT_MARK = "# --- the script's text starts below; the lines above are for linters only ---\n"


@cache
def script(name: str) -> str:
    """The text of `scripts/<name>.py` after `SCRIPT_MARK`, ending in one newline.

    The checks and solvers of the families are real Python files in the package (linted, shipped
    in the wheel); a generated check.py or solve.py is these texts pasted together, so it runs on
    its own, where clawgym is not installed."""
    raw = (resources.files("clawgym.synth.families") / "scripts" / f"{name}.py").read_text(encoding="utf-8")
    _, mark, body = raw.partition(SCRIPT_MARK)
    if not mark:
        raise RuntimeError(f"scripts/{name}.py has no line {SCRIPT_MARK.strip()!r}")
    return body.strip("\n") + "\n"


#: check.py is HARNESS_HEAD, the family's `check_body`, then HARNESS_TAIL (the gated `grade`).
HARNESS_HEAD = script("_check_head") + "\n"
HARNESS_TAIL = "\n\n" + script("_check_tail")

#: Put before the checks of families that run the agent's code (a module's functions, a script):
#: the code runs where no expected value is reachable. See `run_isolated` in it.
ISOLATE = "\n" + script("_isolate")


SOLVE_SH = """#!/usr/bin/env bash
# Reference solution: run from the workspace root. solve.py reads what the instruction states
# from params.json beside it and works from the workspace's files.
set -euo pipefail
exec python3 -B "$(dirname "$0")/solve.py"
"""

#: solve.py is SOLVE_HEAD (imports, the parameters P) and the family's `solver`.
SOLVE_HEAD = script("_solve_head") + "\n"


@dataclass
class Built:
    """One drawn instance, before it becomes a Task."""

    instruction: str
    workspace: dict[str, bytes | str]
    expected: dict[str, Any]
    params: dict[str, Any]
    template: int = 0
    executable: tuple[str, ...] = ()
    #: workspace files the instruction asks to change, move or delete; every other one must be
    #: left exactly as it is (the check's `inputs_unchanged`)
    mutable: tuple[str, ...] = ()
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
    mutable = set(built.mutable)
    unknown = mutable - set(built.workspace)
    if unknown:
        raise RuntimeError(f"family {family.name!r} marks {sorted(unknown)} mutable, but the workspace has no such file")
    expected = {**built.expected, "_unchanged": [[p, hashlib.sha256(_data(d)).hexdigest()]
                                                 for p, d in sorted(built.workspace.items()) if p not in mutable]}
    checks = [TaskFile(path="check.py", data=family.check_source().encode()),
              TaskFile(path="expected.json", data=dumps(expected).encode())]
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
        # no rubric: the checks are the whole score; a family with a rubric says its weights
        grading=Grading(code_weight=built.weights[0], rubric_weight=built.weights[1]) if built.weights
        else Grading(code_weight=1.0, rubric_weight=0.0),
        provenance=Provenance(route="family", generator=family.name, seed=seed),
        metadata=meta, workspace=workspace, checks=checks, solution=solution,
        rubric=Rubric.model_validate(built.rubric) if built.rubric else None)


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


def leave_alone(rng: random.Random, paths: list[str]) -> str:
    """The protected-inputs rule, said as a person would: the inputs stay as they are."""
    names = " and ".join(f"`{p}`" for p in paths) if len(paths) < 3 else "the input files"
    one = len(paths) == 1
    return rng.choice([
        f"Leave {names} as {'it is' if one else 'they are'}.",
        f"Don't modify {names}; I still need {'it' if one else 'them'} unchanged.",
        f"Only read {names}: {'it stays' if one else 'they stay'} exactly as {'it is' if one else 'they are'}.",
    ])


def unique_words(rng: random.Random, n: int, pool: list[str] = WORDS) -> list[str]:
    out = rng.sample(pool, min(n, len(pool)))
    i = 2
    while len(out) < n:
        out += [f"{w}{i}" for w in rng.sample(pool, min(n - len(out), len(pool)))]
        i += 1
    return out
