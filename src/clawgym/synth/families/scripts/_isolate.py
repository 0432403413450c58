"""Run the agent's code where no expected value is reachable: the part of check.py that families
running the agent's code put after the head (see `run_isolated`)."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# --- the script's text starts below; the lines above are for linters only ---
import ctypes
import platform
import resource
import signal

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
