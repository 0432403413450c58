#!/usr/bin/env python3
"""Select, filter, project and sort JSON / JSONL records."""
import argparse
import json
import operator

OPS = {"==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge, "<": operator.lt,
       "<=": operator.le, "contains": lambda a, b: b in a if a is not None else False}


def get(obj, path):
    for part in path.split(".") if path else []:
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


def value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("file")
    ap.add_argument("--path", default="")
    ap.add_argument("--where", nargs=3, action="append", default=[], metavar=("FIELD", "OP", "VALUE"))
    ap.add_argument("--select")
    ap.add_argument("--sort")
    ap.add_argument("--desc", action="store_true")
    ap.add_argument("--count", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    with open(a.file, encoding="utf-8") as fh:
        if a.file.endswith(".jsonl"):
            records = [json.loads(line) for line in fh if line.strip()]
        else:
            records = get(json.load(fh), a.path)
    if not isinstance(records, list):
        raise SystemExit(f"{a.file}: {a.path or 'the top level'} is not a list")
    for field, op, raw in a.where:
        want = value(raw)
        records = [r for r in records if (lambda v: v is not None and _safe(OPS[op], v, want))(get(r, field))]
    if a.sort:
        records.sort(key=lambda r: (get(r, a.sort) is None, get(r, a.sort)), reverse=a.desc)
    if a.select:
        fields = a.select.split(",")
        records = [{f: get(r, f) for f in fields} for r in records]
    result = len(records) if a.count else records
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)


def _safe(fn, a, b):
    try:
        return fn(a, b)
    except TypeError:
        return False


if __name__ == "__main__":
    main()
