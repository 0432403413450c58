"""Checks for starter-backup-script: the expected file set is recomputed from input/project/, the
archive made in the workspace is inspected, and the script is run again on a fresh copy."""
import hashlib
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


# -- the inputs the user asked to keep --------------------------------------------------------------
#: SHA-256 of each input as the task ships it. The instruction asks for them to be left as they
#: were, so a right answer that deletes, empties or edits any of them keeps only TAMPER_FACTOR of
#: its score (a reward that ignores them teaches an agent that destroying the user's files is free).
KEPT = {
    "input/project/README.md":
        "58f4dc6cb6d19db3b84f16b2e3de8e89d6ce71e98457f12d0faf2b59930ce9b1",
    "input/project/cache/thumbnails.bin":
        "36603704a81ec200acfe816b7f89b3b0986c7bc8c2c95a9d986290c01befab94",
    "input/project/cache.tmp":
        "a27110a155b1dd079db5ea8fee149a2b80019f48b359a7852f281a7720fe15a8",
    "input/project/data/planting plan 2024.txt":
        "a327273a92313f4292117f42e36f2b84d4db0c87cba7528dfc209bdf1c2417d8",
    "input/project/data/records.csv":
        "272ffd08aca461082e3d72e6329d44dc768460b9fa42ca8e61960eef2fd50944",
    "input/project/docs/guide.md":
        "868610dea8e1ebbb1e43e0fbad5360d4612383132353db260193eb495b3d2438",
    "input/project/docs/template.txt":
        "886c03f96b181000489572aed8c1f4122f02791a02a2b085fb47a585f364658b",
    "input/project/logs/README.txt":
        "9be4f1f980ae8d85ec8430a801318206cff68faba21b827509fb7a43b2344583",
    "input/project/logs/server.log":
        "400bb05beb1faa39c56588b82cf30fac9a3e88291409ca64e5e4c3dcd89583da",
    "input/project/node_modules/leftpad/index.js":
        "df6070e2a59bf8895553b4c45e903ebd93609e1f81140061f47dafa843262d57",
    "input/project/node_modules/leftpad/package.json":
        "4213f08484c7a644d995facc97bafb3b68c3a7fc14033a735ecb79e91050ad9f",
    "input/project/src/app.py":
        "6e26ce1c38b6b92ac15cbd3d1fccc499d1c19f3092d405f728274788c782c2bc",
    "input/project/src/cache/tile_0_0.bin":
        "242e66c710e5f47312da6407d5bb4739040bf42d3c26d1c00a1d5a04bc0e1d5e",
    "input/project/src/cache_notes.md":
        "0f4b8c031c3a0325cc24d1fb43d007b75d20bc1607b9f24c1cfd0bd138d0d605",
    "input/project/src/node_modules/tiny/index.js":
        "96909e1dce85ca534fd8881f6c8369a8a87e06df5a4bf81ef44a72db195b0704",
    "input/project/src/utils/helpers.py":
        "8e626e034658c808cb93bc3d1c341622a7c7e3c27e7e706e8cf28ba66c2da441",
    "input/project/src/utils/helpers.py.tmp":
        "f65e61b2c1bcb8ef8458efd2f87527698592d3da645561984f668f0a72c432fb",
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
    return gate_inputs(out, intact)


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
