"""Code fixing with tests: a small module with bugged functions, a visible unittest file, and
hidden cases the checks run against the fixed module.

The check runs the agent's module, so it runs it where no expected value is reachable: the
check keeps its key in memory, sends the module only the inputs, and runs it confined
(`ISOLATE`). Beside the hidden cases drawn at build time it draws more at check time (seeded by
a salt the agent never sees and the module's own bytes, so the score is deterministic) and
computes their expected values with the reference implementations it carries."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any, Callable

from clawgym.synth.families._base import ISOLATE, Built, Family, bullets, pick_phrase, script

# name, signature, docstring, correct body, bugged body, case generator (the source of `lambda r: args`)
Spec = tuple[str, str, str, str, str, str]

_W = ["Hello", "big", "World", "data", "x", "Net", "Zeta", "api"]

LIBRARY: list[Spec] = [
    ("clamp", "x, lo, hi", "Return x limited to the range [lo, hi].",
     "    return max(lo, min(x, hi))\n", "    return min(lo, max(x, hi))\n",
     "lambda r: [r.randint(-50, 150), 0, 100]"),
    ("slugify", "text", "Lower-case text, turn every run of non-alphanumeric characters into one '-', and strip "
     "'-' from both ends.",
     "    return re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')\n",
     "    return re.sub(r'[^a-z0-9]+', '-', text.lower())\n",
     "lambda r: [r.choice([' ', '!', '']) + ' '.join(r.sample(_W, 3)) + r.choice(['!', ' ', '?'])]"),
    ("chunk", "items, size", "Split the list items into consecutive lists of length size (the last may be shorter).",
     "    return [items[i:i + size] for i in range(0, len(items), size)]\n",
     "    return [items[i:i + size] for i in range(0, len(items) - size, size)]\n",
     "lambda r: [list(range(r.randint(1, 11))), r.randint(2, 4)]"),
    ("count_words", "text", "Return the number of words in text (words are separated by any whitespace).",
     "    return len(text.split())\n", "    return len(text.split(' '))\n",
     r"lambda r: ['  '.join(r.sample(_W, r.randint(1, 4))) + r.choice(['\n', ' ', '  x'])]"),
    ("running_total", "values", "Return the list of cumulative sums of values.",
     "    out, total = [], 0\n    for v in values:\n        total += v\n        out.append(total)\n    return out\n",
     "    out, total = [], values[0] if values else 0\n    for v in values:\n        total += v\n        out.append(total)\n    return out\n",
     "lambda r: [[r.randint(-5, 20) for _ in range(r.randint(1, 6))]]"),
    ("is_leap", "year", "Return True if year is a leap year in the Gregorian calendar.",
     "    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n",
     "    return year % 4 == 0 and year % 100 != 0\n",
     "lambda r: [r.choice([1900, 2000, 2024, 2023, 2100, 2400, 1996, r.randint(1800, 2400)])]"),
    ("dedupe", "items", "Return items without repeats, keeping the first occurrence of each, in their original order.",
     "    seen, out = set(), []\n    for x in items:\n        if x not in seen:\n            seen.add(x)\n            out.append(x)\n    return out\n",
     "    return sorted(set(items))\n",
     "lambda r: [[r.randint(0, 6) for _ in range(r.randint(2, 8))]]"),
    ("percent", "part, whole", "Return part as a percentage of whole, rounded to 1 decimal.",
     "    return round(100 * part / whole, 1)\n", "    return round(100 * part // whole, 1)\n",
     "lambda r: [r.randint(1, 99), r.choice([3, 7, 8, 12, 40])]"),
    ("initials", "name", "Return the upper-case initials of every word in name, joined with '.', ending with '.'.",
     "    return ''.join(w[0].upper() + '.' for w in name.split())\n",
     "    return '.'.join(w[0].upper() for w in name.split())\n",
     "lambda r: [' '.join(r.sample(['ada', 'Grace', 'alan', 'Edsger', 'barbara', 'linus'], r.randint(1, 3)))]"),
    ("median", "values", "Return the median of a non-empty list of numbers (the mean of the two middle values "
     "for an even count).",
     "    s = sorted(values)\n    n = len(s)\n    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2\n",
     "    s = sorted(values)\n    return s[len(s) // 2]\n",
     "lambda r: [[r.randint(0, 50) for _ in range(r.randint(1, 7))]]"),
]


def gen(spec: Spec) -> Callable[[random.Random], list]:
    """A spec's case generator (the check carries the same source, to draw cases itself)."""
    return eval(spec[5], {"_W": _W})  # noqa: S307 - our own constant source


def _source(specs: list[Spec], bugged: set[str]) -> str:
    parts = ['"""Small helpers used across the project."""\nimport re\n']
    for name, sig, doc, good, bad, _ in specs:
        parts.append(f'\n\ndef {name}({sig}):\n    """{doc}"""\n{bad if name in bugged else good}')
    return "".join(parts)


def _run(source: str, specs: list[Spec], cases: dict[str, list]) -> dict[str, list]:
    ns: dict[str, Any] = {}
    exec(compile(source, "<family>", "exec"), ns)  # noqa: S102 - our own generated source
    return {name: [json.loads(json.dumps(ns[name](*args))) for args in cases[name]] for name, *_ in specs}


def _build_code(rng: random.Random, k: dict[str, Any]) -> Built:
    specs = rng.sample(LIBRARY, k["functions"])
    bugged = {s[0] for s in rng.sample(specs, k["bugs"])}
    cases = {name: [] for name, *_ in specs}
    good_src = _source(specs, set())
    for spec in specs:
        name, draw = spec[0], gen(spec)
        tries = 0
        while len(cases[name]) < k["cases"] and tries < 200:
            tries += 1
            args = draw(rng)
            if args not in cases[name]:
                cases[name].append(args)
    # every bug must show: add cases until the bugged version disagrees on at least one
    bad_src = _source(specs, bugged)
    want = _run(good_src, specs, cases)
    got = _run(bad_src, specs, cases)
    for name in bugged:
        draw = gen(next(s for s in specs if s[0] == name))
        while want[name] == got[name]:
            cases[name].append(draw(rng))
            want = _run(good_src, specs, cases)
            got = _run(bad_src, specs, cases)
    mod = rng.choice(["textutils", "helpers", "toolbox", "common"])
    src_path, test_path = f"src/{mod}.py", f"tests/test_{mod}.py"
    shown = []
    for name in sorted(bugged):
        for args, w, g in zip(cases[name], want[name], got[name]):
            if w != g:
                shown.append((name, args, w))
                break
    for name, *_ in specs:
        if name not in bugged:
            shown.append((name, cases[name][0], want[name][0]))
    test_lines = ["import sys\nimport unittest\nfrom pathlib import Path\n\n"
                  "sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'src'))\n",
                  f"import {mod}  # noqa: E402\n\n\nclass Test{mod.title()}(unittest.TestCase):\n"]
    for i, (name, args, w) in enumerate(shown):
        test_lines.append(f"    def test_{name}_{i}(self):\n        self.assertEqual({mod}.{name}(*{args!r}), {w!r})\n\n")
    test_lines.append("\nif __name__ == '__main__':\n    unittest.main()\n")
    hidden = {name: [[a, w] for a, w in zip(cases[name], want[name])] for name, *_ in specs}
    t, intro = pick_phrase(rng, [
        f"Some functions in `{src_path}` are buggy; `{test_path}` shows failures. Please fix the module.",
        f"`python3 -m unittest discover -s tests` fails for my project. Fix the bugs in `{src_path}`.",
        f"Could you debug `{src_path}`? Each function should do exactly what its docstring says, and "
        f"`{test_path}` should pass.",
    ])
    rules = [
        f"Edit `{src_path}` in place; do not change `{test_path}`.",
        "Every function must behave exactly as its docstring says, for all inputs, not only the tested ones.",
        "Keep function names and parameters as they are, and do not break the functions that already work.",
        "Standard library only.",
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    test_src = "".join(test_lines)
    exp = {"src": src_path, "test": test_path, "test_sha": hashlib.sha256(test_src.encode()).hexdigest(),
           "bugged": sorted(bugged), "cases": hidden, "salt": "%016x" % rng.getrandbits(64),
           "signatures": {name: [a.strip() for a in sig.split(",")] for name, sig, *_ in specs}}
    fixes = [[bad, good] for name, _s, _d, good, bad, _ in specs if name in bugged]
    return Built(instruction, {src_path: _source(specs, bugged), test_path: test_src}, exp,
                 {"src": src_path, "fixes": fixes}, t, mutable=(src_path,))


#: In the check's text, @RUNNER@ is what its confined child runs (scripts/fix_function_bug_runner.py);
#: @LIB@ and @W@ are the reference implementations and case generators, as JSON.
CODE_CHECK = (ISOLATE + "\n" + script("fix_function_bug_check").replace("@RUNNER@", script("fix_function_bug_runner"))
              .replace("@LIB@", json.dumps({s[0]: [s[1], s[3], s[5]] for s in LIBRARY}))
              .replace("@W@", json.dumps(_W)))

CODE_SOLVE = script("fix_function_bug_solve")


def _mutate_code(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    src = files[e["src"]].decode()
    name = e["bugged"][0]
    out["function_removed"] = {**files, e["src"]: src.replace(f"def {name}(", f"def {name}_old(").encode()}
    first = next(n for n in e["cases"])
    out["signature_changed"] = {**files, e["src"]: src.replace(f"def {first}(", f"def {first}(*args, _=None, **kw):\n    pass\n\n\ndef _{first}(", 1).encode()}
    out["test_edited"] = {**files, e["test"]: files[e["test"]] + b"\n# skip\n"}
    other = [n for n in e["cases"] if n not in e["bugged"]]
    if other:
        out["working_broken"] = {**files, e["src"]: src.replace(f"def {other[0]}(", f"def {other[0]}(*a):\n    return None\n\n\ndef _x_{other[0]}(", 1).encode()}
    return out


CODE_FIX = Family(
    name="fix_function_bug", category="config or code editing", subcategory="code fixing with tests",
    title="Fix the bugged functions of a small Python module",
    description="Bugs injected into helpers with docstrings; a visible failing unittest; hidden cases check fixes.",
    knobs={"functions": (3, 5, 7), "bugs": (1, 2, 3), "cases": (3, 5, 8)},
    build=_build_code, check_body=CODE_CHECK, solver=CODE_SOLVE, mutate=_mutate_code, tags=("python", "debugging"))

FAMILIES = [CODE_FIX]
