#!/usr/bin/env python3
"""Group files with identical content."""
import argparse
import hashlib
import json
import os


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder"); ap.add_argument("--min-size", type=int, default=1); ap.add_argument("--out")
    a = ap.parse_args()
    by_hash = {}
    for root, dirs, files in os.walk(a.folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            p = os.path.join(root, f)
            if os.path.islink(p) or os.path.getsize(p) < a.min_size:
                continue
            with open(p, "rb") as fh:
                h = hashlib.sha256(fh.read()).hexdigest()
            by_hash.setdefault(h, []).append(os.path.relpath(p, a.folder))
    groups = [{"sha256": h, "size": os.path.getsize(os.path.join(a.folder, fs[0])), "files": sorted(fs)}
              for h, fs in by_hash.items() if len(fs) > 1]
    groups.sort(key=lambda g: (-g["size"] * (len(g["files"]) - 1), g["files"][0]))
    out = {"groups": groups, "wasted_bytes": sum(g["size"] * (len(g["files"]) - 1) for g in groups)}
    text = json.dumps(out, indent=2)
    if a.out:
        open(a.out, "w", encoding="utf-8").write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
