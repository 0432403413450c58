"""Checks for starter-backup-script: the expected file set is recomputed from input/project/, the
archive made in the workspace is inspected, and the script is run again on a fresh copy."""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

EXCLUDED_DIRS = {"node_modules", "cache"}


def included(src):
    out = {}
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d not in EXCLUDED_DIRS]
        for name in filenames:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink() and not name.endswith((".tmp", ".log")):
                out[p.relative_to(src).as_posix()] = p.read_bytes()
    return out


def expected(ws):
    files = included(ws / "input" / "project")
    if not files:
        raise ValueError("no input files")
    return files


def archive_files(path):
    with tarfile.open(path, "r:gz") as tar:
        return {m.name.removeprefix("./"): tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def manifest_ok(path, files):
    return path.read_text(encoding="utf-8").splitlines() == sorted(files, key=lambda s: s.encode())


def c_members(ws, files):
    got = archive_files(ws / "output" / "backups" / "project-backup.tar.gz")
    return set(got) == {f"project/{k}" for k in files}


def c_contents(ws, files):
    got = archive_files(ws / "output" / "backups" / "project-backup.tar.gz")
    return sum(got.get(f"project/{k}") == v for k, v in files.items()) / len(files)


def c_manifest(ws, files):
    return manifest_ok(ws / "output" / "backups" / "project-backup.manifest.txt", files)


_RERUN = {}
_TMPDIRS = []


def make_tmp(prefix):
    d = Path(tempfile.mkdtemp(prefix=prefix))
    _TMPDIRS.append(d)
    return d


def rerun(ws, files):
    """Run the script on a copy named differently, given with a trailing slash, into a new folder."""
    if "result" in _RERUN:
        return _RERUN["result"]
    script = ws / "output" / "backup.sh"
    if not script.read_text(encoding="utf-8").strip():
        raise ValueError("empty script")
    tmp = make_tmp("backup-check-")
    shutil.copytree(ws / "input" / "project", tmp / "garden-2024")
    r = subprocess.run(["bash", str(script), str(tmp / "garden-2024") + "/", str(tmp / "out" / "nested")],
                       capture_output=True, text=True, timeout=60, cwd=tmp)
    dest = tmp / "out" / "nested"
    _RERUN["result"] = (r, tmp, dest)
    return _RERUN["result"]


def c_rerun(ws, files):
    r, tmp, dest = rerun(ws, files)
    got = archive_files(dest / "garden-2024-backup.tar.gz")
    return (r.returncode == 0 and got == {f"garden-2024/{k}": v for k, v in files.items()}
            and manifest_ok(dest / "garden-2024-backup.manifest.txt", files))


def c_prints_path(ws, files):
    r, tmp, dest = rerun(ws, files)
    lines = [l.strip() for l in r.stdout.splitlines() if l.strip()]
    want = (dest / "garden-2024-backup.tar.gz").resolve()
    return bool(lines) and want.is_file() and (tmp / lines[-1]).resolve() == want


def c_bad_source(ws, files):
    if not c_rerun(ws, files):  # a script that does nothing also "creates nothing"
        return False
    tmp = make_tmp("backup-check-bad-")
    (tmp / "a-file.txt").write_text("not a directory\n")
    r1 = subprocess.run(["bash", str(ws / "output" / "backup.sh"), str(tmp / "missing"), str(tmp / "d1")],
                        capture_output=True, text=True, timeout=30, cwd=tmp)
    r2 = subprocess.run(["bash", str(ws / "output" / "backup.sh"), str(tmp / "a-file.txt"), str(tmp / "d2")],
                        capture_output=True, text=True, timeout=30, cwd=tmp)
    (tmp / "src").mkdir()
    (tmp / "src" / "f.txt").write_text("x\n")
    r3 = subprocess.run(["bash", str(ws / "output" / "backup.sh"), str(tmp / "src")],
                        capture_output=True, text=True, timeout=30, cwd=tmp)
    return (r1.returncode == 2 and r2.returncode == 2 and r3.returncode == 2
            and r1.stderr.strip() != "" and r3.stderr.strip() != ""
            and not (tmp / "d1").exists() and not (tmp / "d2").exists()
            and sorted(p.name for p in tmp.iterdir()) == ["a-file.txt", "src"]
            and [p.name for p in (tmp / "src").iterdir()] == ["f.txt"])


CHECKS = {"archive_members": c_members, "archive_contents": c_contents, "manifest": c_manifest,
          "script_reruns_on_other_project": c_rerun, "prints_archive_path": c_prints_path,
          "bad_source_exits_2": c_bad_source}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        files = expected(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, files)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    for d in _TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
