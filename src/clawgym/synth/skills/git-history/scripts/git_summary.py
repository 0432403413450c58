#!/usr/bin/env python3
"""Commit statistics of a local git repository, as JSON."""
import argparse
import json
import subprocess
from collections import Counter


def git(repo, *args):
    r = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)
    if r.returncode != 0:
        if "does not have any commits" in r.stderr:
            return ""
        raise SystemExit(r.stderr.strip())
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("repo")
    ap.add_argument("--since"); ap.add_argument("--until"); ap.add_argument("--top", type=int, default=5)
    a = ap.parse_args()
    rng = ([f"--since={a.since}"] if a.since else []) + ([f"--until={a.until}"] if a.until else [])
    log = git(a.repo, "log", "--reverse", "--no-merges", "--format=@@%an\t%s", "--name-only", *rng)
    authors, files, subjects, commits = Counter(), Counter(), [], 0
    for line in log.splitlines():
        if line.startswith("@@"):
            name, _, subject = line[2:].partition("\t")
            authors[name] += 1
            subjects.append(subject)
            commits += 1
        elif line.strip():
            files[line.strip()] += 1
    print(json.dumps({"commits": commits,
                      "authors": dict(sorted(authors.items(), key=lambda kv: (-kv[1], kv[0]))),
                      "top_files": [{"path": p, "changes": c}
                                    for p, c in sorted(files.items(), key=lambda kv: (-kv[1], kv[0]))[: a.top]],
                      "subjects": subjects}, indent=2))


if __name__ == "__main__":
    main()
