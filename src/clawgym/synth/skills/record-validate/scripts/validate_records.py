#!/usr/bin/env python3
"""Validate records against a small JSON schema; list every violation."""
import argparse
import csv
import json
import re
import sys


def load(path):
    if path.endswith(".jsonl"):
        return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    if path.endswith(".json"):
        return json.load(open(path, encoding="utf-8"))
    rows = list(csv.DictReader(open(path, newline="", encoding="utf-8")))
    return [{k: conv(v) for k, v in r.items() if v != ""} for r in rows]


def conv(v):
    if v in ("true", "false"):
        return v == "true"
    for t in (int, float):
        try:
            return t(v)
        except ValueError:
            pass
    return v


def check(value, rule):
    t = rule.get("type")
    ok = {"string": lambda v: isinstance(v, str), "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
          "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          "boolean": lambda v: isinstance(v, bool)}
    if t and not ok[t](value):
        return f"expected {t}, got {type(value).__name__}"
    if "enum" in rule and value not in rule["enum"]:
        return f"{value!r} is not one of {rule['enum']}"
    if "min" in rule and isinstance(value, (int, float)) and value < rule["min"]:
        return f"{value} is below {rule['min']}"
    if "max" in rule and isinstance(value, (int, float)) and value > rule["max"]:
        return f"{value} is above {rule['max']}"
    if "pattern" in rule and isinstance(value, str) and not re.search(rule["pattern"], value):
        return f"{value!r} does not match {rule['pattern']}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data"); ap.add_argument("schema"); ap.add_argument("--out")
    a = ap.parse_args()
    records, schema = load(a.data), json.load(open(a.schema, encoding="utf-8"))
    errors, seen = [], {}
    for i, rec in enumerate(records):
        for name, rule in sorted(schema.get("fields", {}).items()):
            if name not in rec or rec[name] is None:
                if rule.get("required"):
                    errors.append({"record": i, "field": name, "error": "missing"})
                continue
            e = check(rec[name], rule)
            if e:
                errors.append({"record": i, "field": name, "error": e})
        key = schema.get("key")
        if key and key in rec:
            if rec[key] in seen:
                errors.append({"record": i, "field": key, "error": f"duplicate of record {seen[rec[key]]}"})
            else:
                seen[rec[key]] = i
    errors.sort(key=lambda e: (e["record"], e["field"]))
    bad = {e["record"] for e in errors}
    text = json.dumps({"records": len(records), "valid": len(records) - len(bad), "errors": errors}, indent=2)
    if a.out:
        open(a.out, "w", encoding="utf-8").write(text + "\n")
    print(text)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
