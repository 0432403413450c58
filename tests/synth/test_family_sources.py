"""The families' checks and solvers live as real Python files in `clawgym/synth/families/scripts/`;
these tests keep what a linter sees there honest about what a generated script runs.

- every file has the mark, every file is used, and every family's parts exist;
- each lint-only header imports from a harness part only names that part's script text really
  defines (so "no undefined names" in a file means none in the assembled check.py);
- the assembled scripts compile, carry none of the headers, and need no clawgym;
- the starter task's static copy of the isolation harness is the harness, verbatim.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from clawgym.synth.families import families, generate_task
from clawgym.synth.families._base import SCRIPT_MARK, script

SCRIPTS = resources.files("clawgym.synth.families") / "scripts"
HARNESS = {"_check_head", "_check_tail", "_isolate", "_common", "_solve_head"}
STARTER = (Path(__file__).resolve().parents[2] / "src" / "clawgym" / "starter" / "tasks" / "starter-fix-stats-bug"
           / "checks" / "check.py")


def _files() -> dict[str, str]:
    return {p.name[:-3]: p.read_text(encoding="utf-8") for p in SCRIPTS.iterdir()
            if p.name.endswith(".py") and p.name != "__init__.py"}


def _top_level_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def test_every_file_has_the_mark_and_every_family_its_parts():
    files = _files()
    wanted = HARNESS | {"fix_function_bug_runner"}
    for name in families():
        wanted |= {f"{name}_check", f"{name}_solve"}
    assert set(files) == wanted
    for name, raw in files.items():
        assert raw.count(SCRIPT_MARK) == 1, name


def test_headers_import_only_what_the_harness_defines():
    """A header's `from clawgym.synth.families.scripts._x import a` must name what `_x`'s text
    defines: a name that only the header provided would lint clean here and fail in check.py."""
    for name, raw in _files().items():
        header = raw.partition(SCRIPT_MARK)[0]
        for node in ast.parse(header).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("clawgym.synth.families.scripts."):
                part = node.module.rsplit(".", 1)[1]
                assert part in HARNESS, (name, part)
                missing = {a.name for a in node.names} - _top_level_names(script(part))
                assert not missing, f"{name} imports {sorted(missing)} from {part}, whose text does not define them"


@pytest.mark.parametrize("name", list(families()))
def test_assembled_scripts_compile_without_headers(name):
    fam = families()[name]
    for kind, text in (("check.py", fam.check_source()), ("solve.py", fam.solve_source())):
        compile(text, f"{name}/{kind}", "exec")
        assert SCRIPT_MARK.strip() not in text, (name, kind)
        assert "clawgym.synth" not in text, (name, kind)  # runs where clawgym is not installed
        assert "@RUNNER@" not in text and "@LIB@" not in text, (name, kind)


def test_starter_copy_of_the_isolation_harness_is_the_harness():
    """starter-fix-stats-bug is a static task folder, so its check.py carries a copy of
    scripts/_isolate.py (from its first constant on) between two marker lines; this keeps it one source."""
    shared = script("_isolate")
    shared = shared[shared.index("_LL_CREATE"):]
    text = STARTER.read_text(encoding="utf-8")
    begin = "# >>> clawgym/synth/families/scripts/_isolate.py"
    end = "# <<< clawgym/synth/families/scripts/_isolate.py\n"
    start = text.index("\n", text.index(begin)) + 1
    assert text[start:text.index(end)] == shared
    imported = _top_level_names(text)
    assert {"ctypes", "platform", "resource", "signal", "os", "sys", "shutil", "subprocess", "tempfile",
            "Path"} <= imported


def test_no_control_characters_in_the_scripts():
    """A regex escape in a non-raw string literal once turned into a control character in the
    generated check (`\\b` became a backspace, so a check never matched); the files are plain text."""
    for name, raw in _files().items():
        bad = sorted({hex(ord(c)) for c in raw if ord(c) < 32 and c not in "\n\t"})
        assert not bad, (name, bad)


def test_a_name_answer_that_lists_every_name_is_not_right(tmp_path):
    """handbook_answers: an answer is right only if short enough to be one; a list of names holding
    the right one is not (the `\\b[A-Z][a-z]+` count the backspace had switched off)."""
    task = generate_task("handbook_answers", 4, "easy")
    exp = json.loads(next(f.data for f in task.checks if f.path == "expected.json"))
    (q, _, value, src), = [x for x in exp["questions"] if x[1] == "name"]
    ws, checks = tmp_path / "ws", tmp_path / "checks"
    for base, files in ((ws, task.workspace), (checks, task.checks), (tmp_path / "sol", task.solution)):
        for f in files:
            (base / f.path).parent.mkdir(parents=True, exist_ok=True)
            (base / f.path).write_bytes(f.data)
    subprocess.run(["bash", str(tmp_path / "sol" / "solve.sh")], cwd=ws, check=True)

    def grade() -> dict:
        out = subprocess.run([sys.executable, "-I", str(checks / "check.py"), str(ws)], capture_output=True, text=True,
                             check=True)
        return json.loads(out.stdout)

    assert grade()["answers_right"] == 1.0
    answers = json.loads((ws / exp["out"]).read_text())
    for a in answers:
        if a["question"] == q:
            a["answer"] = f"one of Ada Okafor, Bruno Lindqvist, Chen Moreau, {value} or Emeka Silva"
    (ws / exp["out"]).write_text(json.dumps(answers))
    assert grade()["answers_right"] < 1.0
