"""Checks for starter-fix-stats-bug: output/stats_utils.py is run on test data in a confined child
that can reach no expected value, and its results are compared with reference implementations of
the docstrings in input/stats_utils.py."""
import ast
import ctypes
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
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
data = json.loads(sys.stdin.read())
spec = importlib.util.spec_from_file_location("stats_utils_under_test", "stats_utils_under_test.py")
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
cases, errors = data["cases"], data["errors"]
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

# -- running the agent's code where no expected value is reachable -------------------------------
# The module under test runs in a child confined with Landlock to the system folders and a private
# folder holding only the module and a runner, with the test inputs on stdin, a scrubbed
# environment, a timeout and capped output; before it runs, this check deletes its own files if
# they lie inside the graded workspace and makes itself undumpable. (The same harness as the
# procedural code families use; this task folder is static, so the harness is copied in.)
# >>> clawgym/synth/families/scripts/_isolate.py (tests/synth/test_family_sources.py keeps this copy equal)
_LL_CREATE, _LL_ADD, _LL_RESTRICT = 444, 445, 446  # Linux syscall numbers, the same on every arch
_RO_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
_SEALED = []


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock_abi():
    """The kernel's Landlock ABI version, 0 when there is none (or it is blocked)."""
    if platform.system() != "Linux":
        return 0
    try:
        v = _libc().syscall(ctypes.c_long(_LL_CREATE), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
        return int(v) if v > 0 else 0
    except Exception:
        return 0


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _confine(abi, rw_dirs, ro_dirs):
    """In the child, before exec: from here on it may read (and run) only the system folders and
    read/write only its private folder and a few devices; no /proc, no workspace, no keys, and
    (Landlock's ptrace rule) no other process's memory."""
    libc = _libc()
    handled = (1 << 13) - 1
    if abi >= 2:
        handled |= 1 << 13  # REFER
    if abi >= 3:
        handled |= 1 << 14  # TRUNCATE
    file_rights = 1 | 2 | 4 | ((1 << 14) if abi >= 3 else 0)
    attr = ctypes.c_uint64(handled)
    fd = libc.syscall(ctypes.c_long(_LL_CREATE), ctypes.byref(attr), ctypes.c_size_t(8), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    rules = [(d, 1 | 4 | 8) for d in ro_dirs] + [(d, handled) for d in rw_dirs] + [(d, 2 | 4) for d in _DEVICES]
    for path, access in rules:
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if not os.path.isdir(path):
                access &= file_rights
            rule = _PathBeneath(access, pfd)
            if libc.syscall(ctypes.c_long(_LL_ADD), ctypes.c_int(fd), ctypes.c_int(1), ctypes.byref(rule),
                            ctypes.c_uint32(0)) != 0:
                raise OSError(ctypes.get_errno(), "landlock_add_rule " + path)
        finally:
            os.close(pfd)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.syscall(ctypes.c_long(_LL_RESTRICT), ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    os.close(fd)


def seal(ws):
    """Once, before any of the agent's code runs: the key is in memory (EXP); delete every key
    file this check can see inside the graded workspace (`<mount>/reward/`) and make this process
    undumpable, so /proc/<pid>/mem and /proc/<pid>/environ are closed to the same uid."""
    if _SEALED:
        return
    _SEALED.append(True)
    here = Path(__file__).resolve().parent
    try:
        root = ws.resolve()
        inside = root == here or root in here.parents
    except OSError:
        inside = False
    if inside:
        for p in here.iterdir():
            try:
                if p.is_file() or p.is_symlink():
                    p.unlink()
            except OSError:
                pass
    try:
        _libc().prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    except Exception:
        pass


def _ro_dirs(ws):
    """The system folders, plus the Python installation running this check (which may live under
    a home folder, e.g. pyenv's) unless it is in a shared scratch folder or holds the graded
    workspace or this check's own folder."""
    guarded = [Path(__file__).resolve().parent, Path(ws).resolve()]
    out = list(_RO_DIRS)
    for p in {sys.prefix, sys.base_prefix, str(Path(os.path.realpath(sys.executable)).parent.parent)}:
        if not p or p.rstrip("/") in ("", "/root", "/home") or p.startswith(("/tmp", "/run", "/var")):
            continue
        if any(g == Path(p) or Path(p) in g.parents for g in guarded):
            continue
        out.append(p)
    return out


def run_isolated(ws, argv, stdin=b"", files=None, timeout=20, max_output=4 << 20):
    """Run the agent's code: `argv` (`{box}/x` means x in the private folder) in a fresh private
    folder holding `files` (path -> bytes), with only `stdin` as input, a scrubbed environment, a
    timeout, capped output and (where the kernel has Landlock) no access to anything but the
    system and that folder. Returns (exit code, None on timeout; stdout bytes; the private
    folder's files afterwards, path -> bytes)."""
    seal(ws)
    box = Path(tempfile.mkdtemp(prefix="clawgym-run-"))
    outdir = Path(tempfile.mkdtemp(prefix="clawgym-out-"))
    try:
        for rel, data in (files or {}).items():
            dest = box / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        argv = [str(box / a[len("{box}/"):]) if a.startswith("{box}/") else a for a in argv]
        abi = landlock_abi()
        if not abi:
            print("warning: no Landlock on this kernel; the agent's code runs with the key files deleted "
                  "and this check undumpable only", file=sys.stderr)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(box), "LANG": "C.UTF-8", "TMPDIR": str(box)}

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_output, max_output))
            resource.setrlimit(resource.RLIMIT_CPU, (int(timeout) + 1, int(timeout) + 1))
            if abi:
                _confine(abi, [str(box)], _ro_dirs(ws))

        with open(outdir / "stdout", "wb") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.DEVNULL, cwd=box,
                                    env=env, close_fds=True, start_new_session=True, preexec_fn=limit)
            try:
                proc.communicate(stdin, timeout=timeout)
                code = proc.returncode
            except subprocess.TimeoutExpired:
                code = None
            finally:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                proc.wait()
        with open(outdir / "stdout", "rb") as fh:
            data = fh.read(max_output)
        left = {}
        for p in sorted(box.rglob("*")):
            if p.is_file() and not p.is_symlink():
                left[str(p.relative_to(box)).replace(os.sep, "/")] = p.read_bytes()[: 1 << 16]
        return code, data, left
    finally:
        shutil.rmtree(box, ignore_errors=True)
        shutil.rmtree(outdir, ignore_errors=True)
# <<< clawgym/synth/families/scripts/_isolate.py


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


def run_module(ws, path):
    """The module at `path` run on CASES and ERROR_CASES, confined (see run_isolated)."""
    code = path.read_bytes()
    if not code.strip():
        raise ValueError("empty module")
    stdin = json.dumps({"cases": CASES, "errors": ERROR_CASES}).encode()
    _, out, _ = run_isolated(ws, [sys.executable, "-I", "-B", "{box}/runner.py"], stdin=stdin,
                             files={"runner.py": RUNNER.encode(), "stats_utils_under_test.py": code})
    return json.loads(out.decode("utf-8").strip().splitlines()[-1])


def run(ws):
    return run_module(ws, ws / "output" / "stats_utils.py")


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
    return run_module(ws, ws / "input" / "stats_utils.py")


CHECKS = {"signatures_kept": c_signatures, "median_fixed": c_median, "percentile_fixed": c_percentile,
          "mean_and_mode_still_work": c_mean_mode, "errors_still_raised": c_errors, "fixes_listed": c_fixes_md}


# -- the inputs the user asked to keep --------------------------------------------------------------
#: SHA-256 of each input as the task ships it. The instruction asks for them to be left as they
#: were, so a right answer that deletes, empties or edits any of them keeps only TAMPER_FACTOR of
#: its score (a reward that ignores them teaches an agent that destroying the user's files is free).
KEPT = {
    "input/bug_report.md":
        "b85122c506475d1ae7158ac6de2befc2fa81fedba856cfa89fa8e6ed04d38e85",
    "input/stats_utils.py":
        "c8fb494865a28d9f0821a238b4b830de89e095985a166edc3a740948e059404b",
}
TAMPER_FACTOR = 0.25


def inputs_kept(ws):
    """The share of KEPT inputs still byte-for-byte as shipped (read before any agent code runs)."""
    ok = 0
    for rel, digest in KEPT.items():
        try:
            ok += hashlib.sha256((ws / rel).read_bytes()).hexdigest() == digest
        except OSError:
            pass
    return ok / len(KEPT)


def gate_inputs(out, intact):
    """The checks as they are while every input is intact; otherwise each one times TAMPER_FACTOR,
    plus a failed `inputs_kept` check to say why. The score stays the plain mean of the
    checks (no separate `reward`), so ClawGym's reward.sh computes the same gated score."""
    if intact == 1:
        return out
    out = {k: round(float(v) * TAMPER_FACTOR, 6) for k, v in out.items()}
    out["inputs_kept"] = False
    return out


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    intact = inputs_kept(ws)
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
    return gate_inputs(out, intact)


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
