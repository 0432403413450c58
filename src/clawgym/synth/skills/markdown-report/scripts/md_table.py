#!/usr/bin/env python3
"""CSV/JSON records to a Markdown table, or a whole report from a JSON spec."""
import argparse
import csv
import json
import os


def load(path):
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def fnum(x):
    try:
        return float(str(x).replace(",", ""))
    except ValueError:
        return None


def table(rows, columns=None, sort=None, desc=False, totals=(), align_numbers=False):
    columns = columns or (list(rows[0].keys()) if rows else [])
    if sort:
        rows = sorted(rows, key=lambda r: (fnum(r.get(sort)) is None, fnum(r.get(sort)) or 0, str(r.get(sort))),
                      reverse=desc)
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    if totals:
        cells.append([("**Total**" if i == 0 else "") if c not in totals else
                      f"**{sum(fnum(r.get(c)) or 0 for r in rows):.2f}**" for i, c in enumerate(columns)])
    numeric = [align_numbers and all(fnum(row[i]) is not None for row in cells[: len(rows)] if row[i])
               for i in range(len(columns))]
    head = "| " + " | ".join(columns) + " |"
    sep = "| " + " | ".join("---:" if n else "---" for n in numeric) + " |"
    return "\n".join([head, sep] + ["| " + " | ".join(row) + " |" for row in cells]) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", nargs="?")
    ap.add_argument("--columns"); ap.add_argument("--sort"); ap.add_argument("--desc", action="store_true")
    ap.add_argument("--total", action="append", default=[]); ap.add_argument("--align-numbers", action="store_true")
    ap.add_argument("--report"); ap.add_argument("--out")
    a = ap.parse_args()
    if a.report:
        with open(a.report, encoding="utf-8") as fh:
            spec = json.load(fh)
        base = os.path.dirname(a.report)
        parts = [f"# {spec['title']}\n"]
        for s in spec.get("sections", []):
            parts.append(f"## {s['heading']}\n")
            if s.get("text"):
                parts.append(s["text"].strip() + "\n")
            if s.get("table"):
                p = s["table"] if os.path.exists(s["table"]) else os.path.join(base, s["table"])
                parts.append(table(load(p)))
        text = "\n".join(parts)
    else:
        if not a.data:
            ap.error("give DATA or --report")
        text = table(load(a.data), a.columns.split(",") if a.columns else None, a.sort, a.desc, a.total,
                     a.align_numbers)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
