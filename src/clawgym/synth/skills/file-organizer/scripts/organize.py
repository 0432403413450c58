#!/usr/bin/env python3
"""Plan (and apply) moves of files into type or date subfolders; never overwrites."""
import argparse
import json
import os
import re

GROUPS = {"documents": ".pdf .doc .docx .txt .md .odt", "sheets": ".csv .xlsx .xls .tsv .ods",
          "data": ".json .jsonl .xml .yaml .yml", "archives": ".zip .tar .gz .tgz", "code": ".py .sh .js .ts"}
EXT = {e: g for g, exts in GROUPS.items() for e in exts.split()}
DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def target(name, by):
    if by == "type":
        return EXT.get(os.path.splitext(name)[1].lower(), "other")
    m = DATE.search(name)
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return f"{m.group(1)}/{m.group(2)}"
    return "undated"


def free(path, taken):
    base, ext = os.path.splitext(path)
    n, cand = 1, path
    while os.path.exists(cand) or cand in taken:
        n += 1
        cand = f"{base} ({n}){ext}"
    return cand


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder"); ap.add_argument("--by", choices=("type", "date"), required=True)
    ap.add_argument("--dest"); ap.add_argument("--apply", action="store_true"); ap.add_argument("--manifest")
    a = ap.parse_args()
    dest = a.dest or a.folder
    moves, taken = [], set()
    for name in sorted(os.listdir(a.folder)):
        src = os.path.join(a.folder, name)
        if name.startswith(".") or not os.path.isfile(src):
            continue
        to = free(os.path.join(dest, target(name, a.by), name), taken)
        taken.add(to)
        moves.append({"from": os.path.normpath(src), "to": os.path.normpath(to)})
    if a.apply:
        for m in moves:
            os.makedirs(os.path.dirname(m["to"]), exist_ok=True)
            os.rename(m["from"], m["to"])
    text = json.dumps(moves, indent=2)
    if a.manifest:
        with open(a.manifest, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
