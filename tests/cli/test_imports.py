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
