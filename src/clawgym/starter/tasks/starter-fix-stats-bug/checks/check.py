"""Checks for starter-fix-stats-bug: output/stats_utils.py is run in a child process on test data,
and its results are compared with reference implementations of the docstrings in input/stats_utils.py."""
import ast
import json
import math
import subprocess
import sys
from pathlib import Path

CASES = {
    "mean": [[[1, 2, 3, 4]], [[2.5]], [[10, -4, 7]], [[0.1, 0.2, 0.3]]],
    "median": [[[4, 1, 3, 2]], [[5, 3, 1]], [[7]], [[10, 2]], [[1.5, 9.5, 3.0, 4.0, 8.0, 2.0]], [[3, 3, 1, 9]],
               [[9, 2, 7, 4, 5]], [[10, 30, 20, 50, 40, 70, 60]]],
    "mode": [[[1, 2, 2, 3]], [["b", "a", "a", "b"]], [[5]], [[3, 1, 1, 3, 3]]],
    "percentile": [[[50, 15, 40, 20, 35], 40], [[15, 20, 35, 40, 50], 40], [[3, 1, 2], 0], [[3, 1, 2], 100],
                   [[7], 50], [[10, 20, 30, 40], 75], [[9, 1, 5, 3], 33]],
}
ERROR_CASES = {"mean": [[[]]], "median": [[[]]], "mode": [[[]]], "percentile": [[[], 50], [[1, 2], 101], [[1, 2], -1]]}

RUNNER = r"""
import importlib.util, json, sys
sys.dont_write_bytecode = True
spec = importlib.util.spec_from_file_location("stats_utils_under_test", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
cases, errors = json.loads(sys.argv[2]), json.loads(sys.argv[3])
out = {}
for name, arglists in cases.items():
    res = []
    for args in arglists:
        try:
            res.append(["ok", getattr(mod, name)(*args)])
        except Exception as exc:
            res.append(["err", type(exc).__name__])
    out[name] = res
err_out = {}
for name, arglists in errors.items():
    res = []
    for args in arglists:
        try:
            getattr(mod, name)(*args)
            res.append("no error")
        except Exception as exc:
            res.append(type(exc).__name__)
    err_out[name] = res
print(json.dumps({"cases": out, "errors": err_out}))
"""


def ref(name, args):
    if name == "mean":
        return sum(args[0]) / len(args[0])
    if name == "median":
        x = sorted(args[0])
        n = len(x)
        return x[n // 2] if n % 2 else (x[n // 2 - 1] + x[n // 2]) / 2
    if name == "mode":
        counts = {}
        for v in args[0]:
            counts[v] = counts.get(v, 0) + 1
        return next(v for v in args[0] if counts[v] == max(counts.values()))
    x, p = sorted(args[0]), args[1]
    k = (len(x) - 1) * p / 100
    f = math.floor(k)
    c = min(f + 1, len(x) - 1)
    return x[f] + (x[c] - x[f]) * (k - f)


def same(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def signatures(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name: [a.arg for a in n.args.args] for n in tree.body if isinstance(n, ast.FunctionDef)}


def run(ws):
    target = ws / "output" / "stats_utils.py"
    if not target.read_text(encoding="utf-8").strip():
        raise ValueError("empty module")
    r = subprocess.run([sys.executable, "-I", "-B", "-c", RUNNER, str(target), json.dumps(CASES),
                        json.dumps(ERROR_CASES)], capture_output=True, text=True, timeout=20, cwd="/tmp")
    return json.loads(r.stdout.strip().splitlines()[-1])


def score_fn(results, name):
    got = results["cases"][name]
    want = [ref(name, args) for args in CASES[name]]
    return sum(g[0] == "ok" and same(g[1], w) for g, w in zip(got, want)) / len(want)


def fixed_something(results):
    """Keeping the working parts only counts once a bug is actually fixed (a copy of the input is not a fix)."""
    if not (score_fn(results, "median") == 1 or score_fn(results, "percentile") == 1):
        raise ValueError("nothing fixed")


def c_signatures(ws, results):
    fixed_something(results)
    src = signatures(ws / "input" / "stats_utils.py")
    return bool(src) and signatures(ws / "output" / "stats_utils.py") == src


def c_median(ws, results):
    return score_fn(results, "median")


def c_percentile(ws, results):
    return score_fn(results, "percentile")


def c_mean_mode(ws, results):
    fixed_something(results)
    return (score_fn(results, "mean") + score_fn(results, "mode")) / 2


def c_errors(ws, results):
    fixed_something(results)
    got = results["errors"]
    return all(all(e == "ValueError" for e in got[n]) and len(got[n]) == len(ERROR_CASES[n]) for n in ERROR_CASES)


def c_fixes_md(ws, results):
    text = (ws / "output" / "FIXES.md").read_text(encoding="utf-8")
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("- ") and ":" in line:
            name = line[2:].split(":", 1)[0].strip().strip("`").removesuffix("()")
            if len(line.split(":", 1)[1].split()) >= 3:
                names.add(name)
    # the functions that needed fixing are those whose input version disagrees with the docstring
    src = run_input(ws)
    broken = {n for n in CASES if score_fn(src, n) < 1}
    return bool(broken) and names == broken


def run_input(ws):
    r = subprocess.run([sys.executable, "-I", "-B", "-c", RUNNER, str(ws / "input" / "stats_utils.py"),
                        json.dumps(CASES), json.dumps(ERROR_CASES)], capture_output=True, text=True, timeout=20,
                       cwd="/tmp")
    return json.loads(r.stdout.strip().splitlines()[-1])


CHECKS = {"signatures_kept": c_signatures, "median_fixed": c_median, "percentile_fixed": c_percentile,
          "mean_and_mode_still_work": c_mean_mode, "errors_still_raised": c_errors, "fixes_listed": c_fixes_md}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        results = run(ws)
    except Exception:
        results = None
    out = {}
    for name, fn in CHECKS.items():
        try:
            if results is None and name != "fixes_listed":
                raise ValueError("module did not run")
            v = fn(ws, results)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
