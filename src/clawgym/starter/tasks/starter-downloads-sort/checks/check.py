"""Checks for starter-downloads-sort: the expected layout is recomputed from input/downloads/."""
import csv
import io
import json
import sys
from pathlib import Path

CATEGORIES = {"images": {"jpg", "jpeg", "png", "gif"}, "documents": {"pdf", "docx", "txt", "md"},
              "data": {"csv", "json", "xlsx"}}
HEADER = ["original", "category", "new_path", "bytes", "duplicate_of"]


def category(name):
    ext = name.rsplit(".", 1)[1].lower() if "." in name.lstrip(".") else ""
    return next((c for c, exts in CATEGORIES.items() if ext in exts), "other")


def expected(ws):
    files = sorted(p for p in (ws / "input" / "downloads").iterdir() if p.is_file())
    files = [p for p in files if p.name not in ("Thumbs.db", "desktop.ini") and not p.name.endswith(".part")]
    if not files:
        raise ValueError("no input files")
    seen, rows, kept = {}, [], {}
    for p in sorted(files, key=lambda p: p.name):
        data = p.read_bytes()
        cat = category(p.name)
        if data in seen:
            rows.append([p.name, cat, "", str(len(data)), seen[data]])
            continue
        seen[data] = p.name
        new = f"output/sorted/{cat}/{p.name.lower().replace(' ', '-')}"
        kept[new] = data
        rows.append([p.name, cat, new, str(len(data)), ""])
    return rows, kept


def read_index(ws):
    text = (ws / "output" / "sorted" / "index.csv").read_text(encoding="utf-8")
    return [r for r in csv.reader(io.StringIO(text)) if r]


def c_copied(ws, rows, kept):
    ok = 0
    for rel, data in kept.items():
        p = ws / rel
        ok += p.is_file() and p.read_bytes() == data
    return ok / len(kept)


def c_no_extra(ws, rows, kept):
    if c_copied(ws, rows, kept) == 0:
        return False
    root = ws / "output" / "sorted"
    present = {p.relative_to(ws).as_posix() for p in root.rglob("*") if p.is_file()}
    return present == set(kept) | {"output/sorted/index.csv"}


def c_header(ws, rows, kept):
    got = read_index(ws)
    return bool(got) and [h.strip() for h in got[0]] == HEADER


def c_rows(ws, rows, kept):
    got = read_index(ws)[1:]
    got = {tuple(c.strip() for c in r) for r in got}
    return sum(tuple(r) in got for r in rows) / len(rows)


def c_order(ws, rows, kept):
    got = [[c.strip() for c in r] for r in read_index(ws)[1:]]
    return got == rows


CHECKS = {"kept_files_copied": c_copied, "no_extra_or_duplicate_copies": c_no_extra,
          "index_header": c_header, "index_rows": c_rows, "index_exact_and_ordered": c_order}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        rows, kept = expected(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, rows, kept)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
