#!/usr/bin/env python3
"""Per-column statistics or grouped totals of a CSV file, as JSON."""
import argparse
import csv
import json
import sys


def num(x):
    try:
        return float(x)
    except ValueError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("file")
    ap.add_argument("--group-by")
    ap.add_argument("--value")
    ap.add_argument("--delimiter", default=",")
    ap.add_argument("--out")
    a = ap.parse_args()
    with open(a.file, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=a.delimiter))
    if a.group_by:
        if not a.value:
            sys.exit("--group-by needs --value")
        groups = {}
        for r in rows:
            v = num((r.get(a.value) or "").strip())
            if v is None:
                continue
            g = groups.setdefault(r[a.group_by], {"key": r[a.group_by], "total": 0.0, "count": 0})
            g["total"] += v
            g["count"] += 1
        out = {"rows": len(rows), "groups": sorted(({**g, "total": round(g["total"], 2)} for g in groups.values()),
                                                   key=lambda g: (-g["total"], g["key"]))}
    else:
        cols = {}
        for c in (rows[0].keys() if rows else []):
            vals = [(r.get(c) or "").strip() for r in rows]
            nums = [num(v) for v in vals if v]
            if nums and all(x is not None for x in nums):
                cols[c] = {"count": len(nums), "sum": round(sum(nums), 2), "mean": round(sum(nums) / len(nums), 2),
                           "min": min(nums), "max": max(nums)}
        out = {"rows": len(rows), "columns": cols}
    text = json.dumps(out, indent=2)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
