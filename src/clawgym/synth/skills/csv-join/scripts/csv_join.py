#!/usr/bin/env python3
"""Inner/left/anti join of two CSV files on a key."""
import argparse
import csv
import json


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        r = csv.DictReader(fh)
        return r.fieldnames or [], list(r)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("left"); ap.add_argument("right"); ap.add_argument("--on", required=True)
    ap.add_argument("--right-on"); ap.add_argument("--how", choices=("inner", "left", "anti"), default="inner")
    ap.add_argument("--ignore-case", action="store_true"); ap.add_argument("--out", required=True)
    ap.add_argument("--report")
    a = ap.parse_args()
    rkey = a.right_on or a.on
    lf, lrows = read(a.left)
    rf, rrows = read(a.right)
    norm = (lambda k: (k or "").strip().lower()) if a.ignore_case else (lambda k: (k or "").strip())
    index, dups = {}, set()
    for r in rrows:
        k = norm(r.get(rkey))
        if k in index:
            dups.add(k)
        else:
            index[k] = r
    extra = [c for c in rf if c != rkey]
    names = {c: (c + "_right" if c in lf else c) for c in extra}
    fields = lf if a.how == "anti" else lf + [names[c] for c in extra]
    out, matched = [], set()
    for l in lrows:
        k = norm(l.get(a.on))
        r = index.get(k)
        if r is not None:
            matched.add(k)
        if a.how == "anti":
            if r is None:
                out.append(l)
        elif r is not None or a.how == "left":
            out.append({**l, **{names[c]: (r or {}).get(c, "") for c in extra}})
    with open(a.out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    lkeys = {norm(l.get(a.on)) for l in lrows}
    report = {"left_rows": len(lrows), "right_rows": len(rrows), "matched": len([l for l in lrows if norm(l.get(a.on)) in index]),
              "unmatched_left": sorted(lkeys - set(index)), "unmatched_right": sorted(set(index) - lkeys),
              "duplicate_right_keys": sorted(dups)}
    if a.report:
        open(a.report, "w", encoding="utf-8").write(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
