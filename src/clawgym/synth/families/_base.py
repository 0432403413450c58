"""What every procedural family shares: the `Family` record, the check harness, the solution
runner, and `make_task`, which turns (family, seed, difficulty, knobs) into a native `Task`.

A family is pure data plus two functions: `build(rng, knobs)` draws one instance (instruction,
workspace, expected values, solver parameters) from a `random.Random`, and `mutate(files, exp)`
damages a reference output in the family's own ways (used by the property tests). The check
script is one source text per family (`check_body`, wrapped in `HARNESS`); the instance's expected
values go to `checks/expected.json`, which the agent never sees.

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
from typing import Any, Callable

from clawgym.tasks import Grading, Limits, Provenance, Rubric, Task, TaskFile

DIFFICULTIES = ("easy", "medium", "hard")

HARNESS_HEAD = '''"""Checks for a procedurally generated ClawGym task (family: {name}).

Written once for the family; this instance's expected values are in expected.json beside this
file. Every check gives partial credit in [0, 1]; all are 0 unless the gate holds (the output
exists and is at least partly right), so an untouched workspace scores 0. `reward` is the gated
total: the mean of the checks, at most CORE_CAP times the CORE checks' mean unless all of them
hold, and a quarter of that when a file the instruction did not ask to change was changed or
deleted.
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


CORE_CAP = 0.4


def unchanged_frac(ws, e):
    """The share of the files the instruction did not ask to change that are still as they were."""
    return frac(has(ws, p, h) for p, h in e.get("_unchanged", []))

'''

HARNESS_TAIL = '''

def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    intact = unchanged_frac(ws, EXP)  # before any of the agent's code runs
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
    if EXP.get("_unchanged"):
        out["inputs_unchanged"] = intact if ok else 0.0
    core = [out[n] for n in (globals().get("CORE") or CHECKS)]
    core = sum(core) / len(core)
    reward = sum(out.values()) / len(out)
    if core < 1 - 1e-9:  # the work itself is not (all) done: well below a pass, whatever else is right
        reward = min(reward, CORE_CAP * core)
    if out.get("inputs_unchanged", 1.0) < 1 - 1e-9:  # something the user kept was damaged
        reward *= 0.25
    out["reward"] = round(reward, 6)
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
'''

#: Prepended to the checks of families that run the agent's code (a module's functions, a
#: script): the code runs where no expected value is reachable. See `run_isolated` in it.
ISOLATE = r'''
import ctypes
import platform
import resource
import signal

_LL_CREATE, _LL_ADD, _LL_RESTRICT = 444, 445, 446  # Linux syscall numbers, the same on every arch
_RO_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
_SEALED = []


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock_abi():
    """The kernel's Landlock ABI version, 0 when there is none (or it is blocked)."""
    if platform.system() != "Linux":
        return 0
    try:
        v = _libc().syscall(ctypes.c_long(_LL_CREATE), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
        return int(v) if v > 0 else 0
    except Exception:
        return 0


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _confine(abi, rw_dirs, ro_dirs):
    """In the child, before exec: from here on it may read (and run) only the system folders and
    read/write only its private folder and a few devices; no /proc, no workspace, no keys, and
    (Landlock's ptrace rule) no other process's memory."""
    libc = _libc()
    handled = (1 << 13) - 1
    if abi >= 2:
        handled |= 1 << 13  # REFER
    if abi >= 3:
        handled |= 1 << 14  # TRUNCATE
    file_rights = 1 | 2 | 4 | ((1 << 14) if abi >= 3 else 0)
    attr = ctypes.c_uint64(handled)
    fd = libc.syscall(ctypes.c_long(_LL_CREATE), ctypes.byref(attr), ctypes.c_size_t(8), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    rules = [(d, 1 | 4 | 8) for d in ro_dirs] + [(d, handled) for d in rw_dirs] + [(d, 2 | 4) for d in _DEVICES]
    for path, access in rules:
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if not os.path.isdir(path):
                access &= file_rights
            rule = _PathBeneath(access, pfd)
            if libc.syscall(ctypes.c_long(_LL_ADD), ctypes.c_int(fd), ctypes.c_int(1), ctypes.byref(rule),
                            ctypes.c_uint32(0)) != 0:
                raise OSError(ctypes.get_errno(), "landlock_add_rule " + path)
        finally:
            os.close(pfd)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.syscall(ctypes.c_long(_LL_RESTRICT), ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    os.close(fd)


def seal(ws):
    """Once, before any of the agent's code runs: the key is in memory (EXP); delete every key
    file this check can see inside the graded workspace (`<mount>/reward/`) and make this process
    undumpable, so /proc/<pid>/mem and /proc/<pid>/environ are closed to the same uid."""
    if _SEALED:
        return
    _SEALED.append(True)
    here = Path(__file__).resolve().parent
    try:
        root = ws.resolve()
        inside = root == here or root in here.parents
    except OSError:
        inside = False
    if inside:
        for p in here.iterdir():
            try:
                if p.is_file() or p.is_symlink():
                    p.unlink()
            except OSError:
                pass
    try:
        _libc().prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    except Exception:
        pass


def _ro_dirs():
    out = list(_RO_DIRS)
    for p in {sys.prefix, sys.base_prefix, str(Path(os.path.realpath(sys.executable)).parent.parent)}:
        if p and p != "/" and not p.startswith(("/tmp", "/root", "/run", "/var", "/home")):
            out.append(p)
    return out


def run_isolated(ws, argv, stdin=b"", files=None, timeout=20, max_output=4 << 20):
    """Run the agent's code: `argv` (`{box}/x` means x in the private folder) in a fresh private
    folder holding `files` (path -> bytes), with only `stdin` as input, a scrubbed environment, a
    timeout, capped output and (where the kernel has Landlock) no access to anything but the
    system and that folder. Returns (exit code, None on timeout; stdout bytes; the private
    folder's files afterwards, path -> bytes)."""
    seal(ws)
    box = Path(tempfile.mkdtemp(prefix="clawgym-run-"))
    outdir = Path(tempfile.mkdtemp(prefix="clawgym-out-"))
    try:
        for rel, data in (files or {}).items():
            dest = box / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        argv = [str(box / a[len("{box}/"):]) if a.startswith("{box}/") else a for a in argv]
        abi = landlock_abi()
        if not abi:
            print("warning: no Landlock on this kernel; the agent's code runs with the key files deleted "
                  "and this check undumpable only", file=sys.stderr)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(box), "LANG": "C.UTF-8", "TMPDIR": str(box)}

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_output, max_output))
            resource.setrlimit(resource.RLIMIT_CPU, (int(timeout) + 1, int(timeout) + 1))
            if abi:
                _confine(abi, [str(box)], _ro_dirs())

        with open(outdir / "stdout", "wb") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.DEVNULL, cwd=box,
                                    env=env, close_fds=True, start_new_session=True, preexec_fn=limit)
            try:
                proc.communicate(stdin, timeout=timeout)
                code = proc.returncode
            except subprocess.TimeoutExpired:
                code = None
            finally:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                proc.wait()
        with open(outdir / "stdout", "rb") as fh:
            data = fh.read(max_output)
        left = {}
        for p in sorted(box.rglob("*")):
            if p.is_file() and not p.is_symlink():
                left[str(p.relative_to(box)).replace(os.sep, "/")] = p.read_bytes()[: 1 << 16]
        return code, data, left
    finally:
        shutil.rmtree(box, ignore_errors=True)
        shutil.rmtree(outdir, ignore_errors=True)
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
