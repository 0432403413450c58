"""Automation scripts: write a cleanup script; the checks run it on a copy of the project and on
a hidden tree of the same shape, so a script that hard-codes today's file names fails. Both trees
hold decoys (files and folders named like the junk *other* instances ask to delete), so a script
that deletes every junk name any instance uses fails too. The script runs confined (`ISOLATE`):
it cannot read the hidden tree's answer from the check's files."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from clawgym.synth.families._base import ISOLATE, Built, Family, bullets, pick_phrase, script, unique_words

SOURCE_EXTS = ["py", "md", "txt", "json", "cfg"]
JUNK_EXTS = ["tmp", "log", "pyc", "bak", "swp", "o"]
JUNK_DIRS = ["__pycache__", "build", ".cache", "node_modules"]


def _tree(rng: random.Random, k: dict[str, Any], junk_exts: list[str], junk_dirs: list[str], root: str
          ) -> tuple[dict[str, str], list[str], list[str]]:
    """(files, paths that must go, paths that must stay). Decoys: files with the junk extensions
    and folders with the junk names this instance does *not* ask to delete (they stay)."""
    files: dict[str, str] = {}
    dirs = [root] + [f"{root}/{w}" for w in unique_words(rng, k["depth"])]
    dirs += [f"{d}/{w}" for d, w in zip(dirs[1:], unique_words(rng, k["depth"]))]
    gone, keep = [], []
    names = unique_words(rng, k["files"] * 3)
    for i in range(k["files"]):
        d = rng.choice(dirs)
        p = f"{d}/{names[i]}.{rng.choice(SOURCE_EXTS)}"
        files[p] = f"source {p}\n"
        keep.append(p)
        if rng.random() < 0.6:
            j = f"{d}/{names[i]}.{rng.choice(junk_exts)}"
            files[j] = "junk\n"
            gone.append(j)
    for jd in junk_dirs:
        d = rng.choice(dirs)
        for n in names[k["files"]: k["files"] + 2]:
            p = f"{d}/{jd}/{n}.{rng.choice(['bin', 'txt', 'py'])}"
            files[p] = "generated\n"
            gone.append(p)
    decoy_exts = [x for x in JUNK_EXTS if x not in junk_exts]
    decoy_dirs = [x for x in JUNK_DIRS if x not in junk_dirs]
    for ext in rng.sample(decoy_exts, min(len(decoy_exts), 2)):
        p = f"{rng.choice(dirs)}/{rng.choice(names[: k['files']])}.{ext}"
        files[p] = f"keep me {p}\n"
        keep.append(p)
    for dd in rng.sample(decoy_dirs, 1):
        p = f"{rng.choice(dirs)}/{dd}/{names[-3]}.txt"
        files[p] = f"keep me {p}\n"
        keep.append(p)
    if k["tricky_names"]:
        d = rng.choice(dirs)
        for p in (f"{d}/notes {names[-1]}.{junk_exts[0]}", f"{d}/{names[-2]}.{junk_exts[0]}.keep",
                  f"{d}/{junk_dirs[0]}.md"):
            files[p] = "x\n"
            (gone if p.endswith(junk_exts[0]) else keep).append(p)
    return files, sorted(gone), sorted(keep)


def _build_cleanup(rng: random.Random, k: dict[str, Any]) -> Built:
    junk_exts = rng.sample(JUNK_EXTS, k["junk_types"])
    junk_dirs = rng.sample(JUNK_DIRS, k["junk_dirs"])
    proj = rng.choice(["project", "site", "app"])
    files, gone, keep = _tree(rng, k, junk_exts, junk_dirs, proj)
    hidden, hgone, hkeep = _tree(rng, k, junk_exts, junk_dirs, "tree")
    script = rng.choice(["scripts/cleanup.sh", "tools/clean.sh", "bin/tidy.sh"])
    t, intro = pick_phrase(rng, [
        f"Write me a bash script `{script}` that cleans build junk out of a project folder.",
        f"I keep deleting the same junk by hand in `{proj}/`. Please automate it: write `{script}`.",
        f"Create a reusable cleanup script at `{script}` (I will run it on `{proj}/` and on other projects).",
    ])
    rules = [
        f"It takes one argument, the folder to clean (e.g. `bash {script} {proj}`), and works on any folder, not "
        f"only `{proj}/`.",
        "It deletes, anywhere below that folder, every file whose name ends in "
        + ", ".join(f"`.{e}`" for e in junk_exts) + " and every directory named "
        + ", ".join(f"`{d}`" for d in junk_dirs) + " with all its contents.",
        "Everything else stays exactly as it is (names that merely contain those words are kept; file names may "
        "contain spaces).",
        f"Don't run it on `{proj}/` yet: leave the folder as it is.",
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"script": script, "root": proj, "gone": gone, "keep": keep,
           "hidden": hidden, "hidden_gone": hgone, "hidden_keep": hkeep,
           "files_sha": {p: hashlib.sha256(d.encode()).hexdigest() for p, d in files.items()}}
    return Built(instruction, files, exp, {"script": script, "exts": junk_exts, "dirs": junk_dirs}, t)


CLEANUP_CHECK = ISOLATE + "\n" + script("cleanup_script_check")

CLEANUP_SOLVE = script("cleanup_script_solve")


def _mutate_cleanup(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    s = files[e["script"]].decode()
    out = {}
    out["dirs_not_deleted"] = {**files, e["script"]: "\n".join(ln for ln in s.splitlines() if "-type d" not in ln).encode()}
    out["files_not_deleted"] = {**files, e["script"]: "\n".join(ln for ln in s.splitlines() if "-type f" not in ln).encode()}
    hard = "#!/usr/bin/env bash\n" + "".join(f"rm -f '{p}'\n" for p in e["gone"])
    out["hard_coded_paths"] = {**files, e["script"]: hard.encode()}
    v = dict(files)
    v.pop(e["gone"][0])
    out["ran_on_project"] = v
    return out


CLEANUP = Family(
    name="cleanup_script", category="automation", subcategory="automation scripts",
    title="Write a reusable cleanup script",
    description="A bash script deleting junk files and directories; run by the checks on the project and a hidden tree.",
    knobs={"files": (4, 8, 14), "depth": (1, 2, 3), "junk_types": (1, 2, 3), "junk_dirs": (1, 1, 2),
           "tricky_names": (False, True, True)},
    build=_build_cleanup, check_body=CLEANUP_CHECK, solver=CLEANUP_SOLVE, mutate=_mutate_cleanup,
    tags=("bash", "script"))

FAMILIES = [CLEANUP]
