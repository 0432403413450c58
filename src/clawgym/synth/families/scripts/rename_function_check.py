"""The checks of the family `rename_function`: its check.py is the head, `_common.py`, this text and
the tail (`_check_head.py`, `_check_tail.py`)."""

# ruff: noqa: E731

import io
import re

from clawgym.synth.families.scripts._check_head import files_under, frac, text
from clawgym.synth.families.scripts._common import c_nothing_else_touched, intact

# --- the script's text starts below; the lines above are for linters only ---
import ast as _ast
import tokenize as _tok


def code_tokens(src, new=None, old=None):
    """The program's tokens, comments and blank lines left out, `new` read as `old`: the same
    sequence means the same code, differing only by the rename (and by comments or blank lines)."""
    skip = (_tok.COMMENT, _tok.NL, _tok.ENCODING)
    out = []
    for t in _tok.generate_tokens(io.StringIO(src).readline):
        if t.type in skip:
            continue
        if t.type in (_tok.INDENT, _tok.DEDENT, _tok.NEWLINE, _tok.ENDMARKER):
            out.append((t.type,))
        else:
            out.append((t.type, old if t.type == _tok.NAME and t.string == new else t.string))
    return out


def same_program(ws, e, p):
    try:
        now = text(ws, p)
        _ast.parse(now)
        return code_tokens(now, e["new"], e["old"]) == code_tokens(e["py"][p])
    except Exception:
        return False


def identifiers(ws, p):
    tree = _ast.parse(text(ws, p))
    out = set()
    for node in _ast.walk(tree):
        for field in ("id", "attr", "name", "asname", "arg"):
            v = getattr(node, field, None)
            if isinstance(v, str):
                out.add(v)
    return out


def gate(ws, e):
    ids = identifiers(ws, e["core"])
    return intact(ws, e, e["inputs"]) and e["new"] in ids and e["old"] not in ids


def c_same_programs(ws, e):
    return frac(same_program(ws, e, p) for p in e["py"])


def c_old_name_gone(ws, e):
    return all(e["old"] not in identifiers(ws, p) for p in e["py"])


def c_readme(ws, e):
    t = text(ws, "README.md")
    word = lambda n: re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", t) is not None
    return word(e["new"]) and not word(e["old"])


def c_no_new_files(ws, e):
    """A rename adds no module (caches left by running the tests aside)."""
    code = {p for top in ("src", "tests") for p in files_under(ws, top)
            if "__pycache__" not in p and ".pytest_cache" not in p and not p.endswith(".pyc")}
    return code == {p for p in e["py"] if p.startswith(("src/", "tests/"))}


CHECKS = {"same_programs_with_new_name": c_same_programs, "old_name_gone": c_old_name_gone,
          "readme_example_updated": c_readme, "no_new_files": c_no_new_files,
          "nothing_else_touched": c_nothing_else_touched}
CORE = ["same_programs_with_new_name", "old_name_gone"]
