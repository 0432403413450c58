"""The checks of the family `cleanup_script`: its check.py is the head, `_isolate.py`, this text and
the tail (`_check_head.py`, `_check_tail.py`)."""

import shutil

from clawgym.synth.families.scripts._check_head import frac, has, read, text
from clawgym.synth.families.scripts._isolate import run_isolated

# --- the script's text starts below; the lines above are for linters only ---
_CACHE = {}
SCRIPT = "_script_under_test.sh"


def run_on(ws, script, files):
    """Run the script (confined) on a fresh copy of `files` (path -> text); the files left."""
    root = next(iter(files)).split("/")[0]
    tree = {p: d.encode("utf-8") for p, d in files.items()}
    tree[SCRIPT] = script
    bash = shutil.which("bash") or "/bin/bash"
    code, _, left = run_isolated(ws, [bash, "{box}/" + SCRIPT, root], files=tree, timeout=30)
    return set(left) - {SCRIPT}


def results(ws, e):
    if str(ws) not in _CACHE:
        script = read(ws, e["script"])
        if not script.strip():
            raise ValueError("empty script")
        proj = {p: text(ws, p) for p in e["files_sha"]}
        _CACHE[str(ws)] = (run_on(ws, script, proj), run_on(ws, script, e["hidden"]))
    return _CACHE[str(ws)]


def gate(ws, e):
    _CACHE.clear()
    left, _ = results(ws, e)
    return any(p not in left for p in e["gone"]) and all(p in left for p in e["keep"][:1])


def c_deletes(ws, e):
    left, _ = results(ws, e)
    return frac(p not in left for p in e["gone"])


def c_keeps(ws, e):
    left, _ = results(ws, e)
    return frac(p in left for p in e["keep"])


def c_hidden(ws, e):
    _, left = results(ws, e)
    return left == set(e["hidden_keep"])


def c_untouched(ws, e):
    return all(has(ws, p, h) for p, h in e["files_sha"].items())


CHECKS = {"junk_deleted": c_deletes, "other_files_kept": c_keeps, "works_on_another_tree": c_hidden,
          "project_left_alone": c_untouched}
CORE = ("junk_deleted", "other_files_kept", "works_on_another_tree")
