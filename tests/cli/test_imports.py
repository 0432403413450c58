"""No module imports another package's private module: each package's public face is its
__init__, so its insides can change without breaking the others."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "clawgym"


def _own_package(path: Path) -> str:
    """`cli` for src/clawgym/cli/_tasks.py; '' for a top-level module such as clawgym/errors.py."""
    parts = path.relative_to(SRC).parts
    return parts[0] if len(parts) > 1 else ""


def _private_imports(source: str, own: str, where: str) -> list[str]:
    """Every `clawgym.X._y` (or `from clawgym.X import _y` naming a module) imported by code of
    package `own` from a package X other than it."""
    found = []
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names
                                       if a.name.startswith("_") and _is_module(f"{node.module}.{a.name}")]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            if parts[0] != "clawgym" or len(parts) < 2:
                continue
            private = next((p for p in parts[1:] if p.startswith("_")), None)
            package = parts[1] if not parts[1].startswith("_") else ""
            if private is not None and package != own:
                found.append(f"{where}:{node.lineno} imports {target}")
    return found


def _is_module(dotted: str) -> bool:
    rel = Path(*dotted.split(".")[1:])
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


# Known exceptions, each waiting on a change (empty: none).
PENDING: set[str] = set()


def test_no_module_imports_another_packages_private_module():
    found = [p for path in sorted(SRC.rglob("*.py"))
             for p in _private_imports(path.read_text(encoding="utf-8"), _own_package(path),
                                       str(path.relative_to(SRC.parent)))]
    problems = [p for p in found if p.split(":")[0] + " imports " + p.split(" imports ")[1] not in PENDING]
    assert not problems, "import the package's public name instead:\n" + "\n".join(problems)
    stale = PENDING - {p.split(":")[0] + " imports " + p.split(" imports ")[1] for p in found}
    assert not stale, f"fixed: remove from PENDING: {stale}"


def test_the_walker_sees_a_violation():
    """The check itself works: a private import across packages is caught, one within is not."""
    source = ("from clawgym.models._openai import OpenAIModel\nfrom clawgym.cli._common import app\n"
              "from clawgym.verify import _qa\nimport clawgym.tasks._lint\nfrom clawgym.errors import Problem\n")
    found = _private_imports(source, "cli", "probe.py")
    assert [f.split(" imports ")[1] for f in found] == ["clawgym.models._openai", "clawgym.verify._qa",
                                                          "clawgym.tasks._lint"]


# The one-way order of the packages (DESIGN.md): a package may import only packages of its own
# rank or below. synth, train and bench share a rank (train's demo draws synth's families).
RANK = {"tasks": 0, "starter": 0, "sandbox": 1, "models": 2, "verify": 3, "agent": 4, "runs": 5,
        "synth": 6, "train": 6, "bench": 6, "cli": 7}
# Top-level modules that may import any package: the package root, `python -m clawgym`, and the
# registry (names to lazily imported implementations of every layer). Every other top-level
# module (errors, jsonl, settings, files, stats, dedup, pages, events) is the floor: no package.
ABOVE_ALL = {"__init__", "__main__", "registry"}


def _imported_packages(source: str, where: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [node.module]
        else:
            continue
        found += [(node.lineno, t.split(".")[1]) for t in targets
                  if t.startswith("clawgym.") and t.split(".")[1] in RANK]
    return found


def _layering_problems(source: str, own: str, where: str) -> list[str]:
    if own in ABOVE_ALL:
        return []
    return [f"{where}:{line} ({own or 'top-level'}) imports clawgym.{dep}"
            for line, dep in _imported_packages(source, where)
            if own not in RANK or RANK[dep] > RANK[own]]


def test_packages_import_only_downward():
    """Dependencies point one way, lazily imported ones too (a function-level import is still a
    dependency); the shared helpers sit below every package."""
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).parts
        own = parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")
        problems += _layering_problems(path.read_text(encoding="utf-8"), own, str(path.relative_to(SRC.parent)))
    assert not problems, "an import against the package order:\n" + "\n".join(problems)


def test_the_layering_walker_sees_a_violation():
    source = "from clawgym.runs import RunStore\nfrom clawgym.tasks import Task\ndef f():\n    import clawgym.cli\n"
    assert [p.split(" imports ")[1] for p in _layering_problems(source, "verify", "probe.py")] == \
        ["clawgym.runs", "clawgym.cli"]
    assert _layering_problems(source, "cli", "probe.py") == []
    assert [p.split(" imports ")[1] for p in _layering_problems("import clawgym.tasks\n", "stats", "p.py")] == \
        ["clawgym.tasks"]


# Configuration is read once, at the entry point (clawgym.settings, called by the CLI); no module
# below the CLI reads the environment. The exceptions hand the environment to a child process or
# are one: each is named with the reason, and a stale entry fails too.
ENVIRON_OK = {
    "clawgym/settings.py": "the one reader",
    "clawgym/sandbox/_server.py": "the sandbox's own server, a separate program: its environment is the "
                                 "session the parent built (CLAWGYM_WS, the agent's exec env)",
    "clawgym/sandbox/_docker.py": "the Docker CLI child gets the Docker client's own variables (DOCKER_HOST...)",
    "clawgym/agent/_openclaw_install.py": "the install check's child process gets PATH",
    "clawgym/train/_grpo.py": "sets TRL's own switch (TRL_EXPERIMENTAL_SILENCE) for TRL, reads nothing",
}


def _environ_reads(source: str, where: str) -> list[str]:
    """Every `os.environ` / `os.getenv` / `environ` / `getenv` use (imports from os included)."""
    found = []
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                and node.attr in ("environ", "environb", "getenv", "getenvb"):
            found.append(f"{where}:{node.lineno} os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and \
                any(a.name in ("environ", "environb", "getenv", "getenvb") for a in node.names):
            found.append(f"{where}:{node.lineno} from os import ...")
    return found


def test_no_module_below_the_cli_reads_the_environment():
    reads: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = str(path.relative_to(SRC.parent))
        if rel.startswith("clawgym/cli/"):
            continue
        for r in _environ_reads(path.read_text(encoding="utf-8"), rel):
            reads.setdefault(rel, []).append(r)
    problems = [r for rel, rs in reads.items() if rel not in ENVIRON_OK for r in rs]
    assert not problems, ("read it through clawgym.settings.Settings (a field documented in the README) and take "
                          "an argument that overrides it:\n" + "\n".join(problems))
    stale = set(ENVIRON_OK) - set(reads)
    assert not stale, f"no longer reads the environment: remove from ENVIRON_OK: {stale}"


def test_the_environ_walker_sees_a_read():
    source = ("import os\nfrom os import getenv\nx = os.environ.get('A')\ny = os.getenv('B')\n"
              "code = 'os.environ[\"C\"]'  # inside a string: a program run elsewhere\n")
    assert sorted(r.split(" ", 1)[1] for r in _environ_reads(source, "p.py")) == \
        ["from os import ...", "os.environ", "os.getenv"]
