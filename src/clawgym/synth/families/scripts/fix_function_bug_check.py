"""The checks of the family `fix_function_bug`: its check.py is the head, `_isolate.py`, this text and
the tail (`_check_head.py`, `_check_tail.py`)."""

import json
import sys

from clawgym.synth.families.scripts._check_head import frac, has, sha, text
from clawgym.synth.families.scripts._isolate import run_isolated

# --- the script's text starts below; the lines above are for linters only ---
import ast
import random as _random

RUNNER = r"""
@RUNNER@"""

# the reference implementations and case generators of every function the family can ask for
LIB = json.loads(r"""@LIB@""")
_W = json.loads(r"""@W@""")
EXTRA_CASES = 6
_CACHE = {}


def reference(name):
    sig, good, _ = LIB[name]
    ns = {}
    exec(compile("import re\n\n\ndef %s(%s):\n%s" % (name, sig, good), "<reference>", "exec"), ns)
    return ns[name]


def all_cases(e, source):
    # the hidden cases plus EXTRA_CASES per function drawn now (seeded by the salt and the module's
    # bytes: unpredictable, yet the same workspace scores the same), expected values from LIB
    rng = _random.Random(sha((e["salt"] + ":").encode() + source))
    out = {}
    for name, given in e["cases"].items():
        cases = [list(c) for c in given]
        draw, ref, seen = eval(LIB[name][2], {"_W": _W}), reference(name), [c[0] for c in given]
        for _ in range(EXTRA_CASES * 5):
            if len(cases) >= len(given) + EXTRA_CASES:
                break
            args = draw(rng)
            if args not in seen:
                seen.append(args)
                cases.append([args, json.loads(json.dumps(ref(*args)))])
        out[name] = cases
    return out


def results(ws, e):
    key = str(ws)
    if key not in _CACHE:
        target = ws / e["src"]
        source = target.read_bytes()
        if not source.strip():
            raise ValueError("empty module")
        cases = all_cases(e, source)
        files = {"pkg/" + p.name: p.read_bytes() for p in target.parent.iterdir()
                 if p.is_file() and not p.is_symlink() and p.suffix == ".py" and p.stat().st_size < 1 << 20}
        calls = {name: [c[0] for c in cs] for name, cs in cases.items()}  # the inputs, never the answers
        code, out, _ = run_isolated(ws, [sys.executable, "-I", "-B", "-c", RUNNER, "{box}/pkg/" + target.name],
                                    stdin=json.dumps(calls).encode(), files=files, timeout=30)
        got = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
        _CACHE[key] = (cases, got if isinstance(got, dict) else {})
    return _CACHE[key]


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) < 1e-9
    return type(a) is type(b) and a == b


def fn_score(res, name):
    cases, got = res
    mine = got.get(name)
    if not isinstance(mine, list) or len(mine) != len(cases[name]):
        return 0.0
    return frac(same(g, w) for g, (_, w) in zip(mine, cases[name]))


def gate(ws, e):
    _CACHE.clear()
    res = results(ws, e)
    return any(fn_score(res, n) == 1 for n in e["bugged"])


def c_fixed(ws, e):
    res = results(ws, e)
    return frac(fn_score(res, n) == 1 for n in e["bugged"])


def c_cases(ws, e):
    res = results(ws, e)
    return sum(fn_score(res, n) for n in e["bugged"]) / len(e["bugged"])


def c_others(ws, e):
    res = results(ws, e)
    return frac(fn_score(res, n) == 1 for n in e["cases"] if n not in e["bugged"])


def c_signatures(ws, e):
    tree = ast.parse(text(ws, e["src"]))
    got = {n.name: [a.arg for a in n.args.args] for n in tree.body if isinstance(n, ast.FunctionDef)}
    return frac(got.get(n) == s for n, s in e["signatures"].items())


def c_tests_untouched(ws, e):
    return has(ws, e["test"], e["test_sha"])


CHECKS = {"bugs_fixed": c_fixed, "hidden_cases_pass": c_cases, "working_functions_kept": c_others,
          "signatures_kept": c_signatures, "tests_unchanged": c_tests_untouched}
CORE = ("bugs_fixed", "working_functions_kept")
