"""Code review and refactoring: rename a function across a small Python package (imports, module
attribute calls, aliased imports, tests, the README example) without touching look-alike names
or the changelog. Checked on the code's tokens, never by running the agent's code: each file,
with the new name read as the old, must be the same token for token (comments and blank lines
aside) as before."""

from __future__ import annotations

import random
from typing import Any

from clawgym.synth.families._assets import COMMON_CHECK, noise, png, request, sha
from clawgym.synth.families._base import Built, Family, pick_phrase

RENAMES = [("calc_total", "compute_order_total", "calc_total_cents"), ("get_user", "fetch_user", "get_users"),
           ("parse_date", "parse_iso_date", "parse_dates"), ("send_mail", "send_email", "send_mail_batch"),
           ("load_cfg", "load_config", "load_cfg_file"), ("fmt_money", "format_money", "fmt_money_short"),
           ("norm_name", "normalise_name", "norm_names")]
PKGS = ["shopkit", "tally", "orderly", "invoicer", "stockroom", "ledgerly"]
MODS = ["orders", "reports", "api", "cli", "export", "emails", "sync", "admin", "jobs", "audit"]


def _build_rename(rng: random.Random, k: dict[str, Any]) -> Built:
    old, new, look = rng.choice(RENAMES)
    pkg = rng.choice(PKGS)
    core = rng.choice(["utils", "helpers", "core", "common"])
    ws: dict[str, bytes | str] = {}
    ws[f"src/{pkg}/__init__.py"] = f'"""{pkg.title()}: small business tools."""\n\n__version__ = "1.{rng.randint(0, 9)}.0"\n'
    ws[f"src/{pkg}/{core}.py"] = (
        f'"""Shared helpers."""\n\n\ndef {old}(value, factor=1):\n'
        f'    """Scale a value; the rest of the package relies on it."""\n'
        f"    return value * factor\n\n\ndef {look}(values):\n    return [{old}(v) for v in values]\n\n\n"
        f"def unrelated(x):\n    {old}_count = 0\n    for _ in range(x):\n        {old}_count += 1\n    return {old}_count\n")
    users = []
    for i, mod in enumerate(rng.sample(MODS, k["modules"])):
        style = i % 4 if k["styles"] else 0
        if style == 0:
            src = (f"from .{core} import {old}\n\n\ndef run(rows):\n    total = 0\n    for r in rows:\n"
                   f"        total += {old}(r, 2)\n    return total\n")
        elif style == 1:
            src = (f"from . import {core}\n\n\ndef handle(payload):\n    return {{'result': {core}.{old}(payload['v'])}}\n")
        elif style == 2:
            src = (f"from .{core} import {old} as scale\n\n\ndef export(rows):\n"
                   f"    return [scale(r) for r in rows]\n")
        else:  # only the look-alike: must not change
            src = (f"from .{core} import {look}\n\n\ndef batch(rows):\n    {old}_seen = len(rows)\n"
                   f"    return {look}(rows), {old}_seen\n")
        ws[f"src/{pkg}/{mod}.py"] = f'"""The {mod} module."""\n' + src
        users.append(mod)
    ws[f"tests/test_{core}.py"] = (f"from {pkg}.{core} import {old}, {look}\n\n\ndef test_scale():\n"
                                   f"    assert {old}(2, 3) == 6\n\n\ndef test_many():\n    assert {look}([1, 2]) == [1, 2]\n")
    ws["README.md"] = (f"# {pkg}\n\nSmall business tools.\n\n## Usage\n\n```python\nfrom {pkg}.{core} import {old}\n\n"
                       f"{old}(10, factor=2)  # 20\n```\n\nFor lists use `{look}`.\n")
    ws["CHANGELOG.md"] = f"# Changelog\n\n## 1.0.0\n\n- Added `{old}` and `{look}`.\n"
    ws["pyproject.toml"] = f'[project]\nname = "{pkg}"\nversion = "1.0.0"\nrequires-python = ">=3.10"\n'
    ws[".gitignore"] = "__pycache__/\n*.pyc\n.venv/\n"
    ws["docs/architecture.png"] = png(rng, 28, 18)
    ws.update(noise(rng, k["noise"], avoid=("src/", "tests/", "docs/")))
    py = {p: d for p, d in ws.items() if p.endswith(".py")}
    changed = sorted(p for p, d in py.items() if isinstance(d, str) and _uses(d, old)) + ["README.md"]
    t, intro = pick_phrase(rng, [
        f"`{old}` is a terrible name. Please rename it to `{new}` throughout the `{pkg}` package.",
        f"Code review feedback: rename `{old}` to `{new}`. Can you do it everywhere it's used?",
        f"Could you refactor `src/{pkg}`: `{old}` should be called `{new}` from now on.",
    ])
    asks = ["Update every import and call, the tests and the README example; no backwards-compatible alias.",
            f"Don't touch other names that merely start with `{old}` (like `{look}`).",
            "The changelog is history: leave it alone."]
    instruction = request(rng, intro, asks)
    exp = {"old": old, "new": new, "core": f"src/{pkg}/{core}.py", "py": py,
           "inputs": ["CHANGELOG.md", "pyproject.toml"] + [p for p in py if p not in changed],
           "keep": {p: sha(d if isinstance(d, bytes) else d.encode()) for p, d in ws.items() if p not in changed}}
    return Built(instruction, ws, exp, {"old": old, "new": new, "files": changed}, t, mutable=tuple(changed))


def _uses(src: str, name: str) -> bool:
    import re

    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", src) is not None


RENAME_CHECK = COMMON_CHECK + '''
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
    word = lambda n: re.search(r"(?<!\\w)" + re.escape(n) + r"(?!\\w)", t) is not None
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
'''

RENAME_SOLVE = '''
pattern = re.compile(r"(?<!\\w)" + re.escape(P["old"]) + r"(?!\\w)")
for p in P["files"]:
    t = Path(p).read_text(encoding="utf-8")
    Path(p).write_text(pattern.sub(P["new"], t), encoding="utf-8")
'''


def _mutate_rename(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out: dict[str, dict[str, bytes]] = {}
    old, new = e["old"].encode(), e["new"].encode()
    user = next(p for p in e["py"] if p != e["core"] and new in files[p])
    out["call_site_missed"] = {**files, user: files[user].replace(new, old)}
    out["look_alike_renamed"] = {**files, e["core"]: files[e["core"]].replace(old, new)}
    out["alias_kept"] = {**files, e["core"]: files[e["core"]] + f"\n{e['old']} = {e['new']}\n".encode()}
    out["changelog_rewritten"] = {**files, "CHANGELOG.md": files["CHANGELOG.md"].replace(old, new)}
    return out


RENAME = Family(
    name="rename_function", category="Software Development", subcategory="code review and refactoring",
    title="Rename a function across a Python package",
    description="Direct, module-attribute and aliased imports, a test, the README example; look-alike names and the "
                "changelog must stay; checked by comparing syntax trees with the new name mapped back.",
    knobs={"modules": (2, 4, 7), "styles": (False, True, True), "noise": (6, 12, 22)},
    build=_build_rename, check_body=RENAME_CHECK, solver=RENAME_SOLVE, mutate=_mutate_rename,
    tags=("python", "refactoring", "code-review"))

FAMILIES = [RENAME]
