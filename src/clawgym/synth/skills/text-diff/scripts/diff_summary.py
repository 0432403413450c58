#!/usr/bin/env python3
"""Unified diff and change summary of two files or two folders."""
import argparse
import difflib
import json
import os


def lines(p):
    with open(p, encoding="utf-8", errors="replace") as fh:
        return fh.readlines()


def diff(a, b, la, lb, n):
    return list(difflib.unified_diff(a, b, fromfile=la, tofile=lb, n=n))


def counts(d):
    return {"added": sum(1 for l in d if l.startswith("+") and not l.startswith("+++")),
            "removed": sum(1 for l in d if l.startswith("-") and not l.startswith("---")),
            "changed_hunks": sum(1 for l in d if l.startswith("@@"))}


def files(root):
    out = set()
    for r, ds, fs in os.walk(root):
        ds[:] = [d for d in ds if not d.startswith(".")]
        out |= {os.path.relpath(os.path.join(r, f), root) for f in fs}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("old"); ap.add_argument("new"); ap.add_argument("--unified", type=int, default=3)
    ap.add_argument("--diff-out"); ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if os.path.isdir(a.old):
        fo, fn = files(a.old), files(a.new)
        full, per, modified, unchanged = [], {}, [], []
        for p in sorted(fo & fn):
            d = diff(lines(os.path.join(a.old, p)), lines(os.path.join(a.new, p)), "a/" + p, "b/" + p, a.unified)
            if d:
                modified.append(p)
                per[p] = counts(d)
                full += d
            else:
                unchanged.append(p)
        summary = {"added": sorted(fn - fo), "removed": sorted(fo - fn), "modified": modified,
                   "unchanged": unchanged, "changes": per}
    else:
        full = diff(lines(a.old), lines(a.new), "a/" + a.old, "b/" + a.new, a.unified)
        summary = {**counts(full), "identical": not full}
    if a.diff_out:
        open(a.diff_out, "w", encoding="utf-8").writelines(full)
    print(json.dumps(summary, indent=2) if a.json else "".join(full), end="\n" if a.json else "")


if __name__ == "__main__":
    main()
