"""Code review and refactoring: rename a function across a small Python package (imports, module
attribute calls, aliased imports, tests, the README example) without touching look-alike names
or the changelog. Checked on the code's tokens, never by running the agent's code: each file,
with the new name read as the old, must be the same token for token (comments and blank lines
aside) as before."""

from __future__ import annotations

import random
from typing import Any

from clawgym.synth.families._assets import COMMON_CHECK, noise, png, request, sha
from clawgym.synth.families._base import Built, Family, pick_phrase, script

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


RENAME_CHECK = COMMON_CHECK + "\n" + script("rename_function_check")

RENAME_SOLVE = script("rename_function_solve")


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
