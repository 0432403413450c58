#!/usr/bin/env python3
"""Level counts, error signatures and timing of text logs, as JSON."""
import argparse
import json
import re
from collections import Counter

LINE = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:[.,]\d+)?Z?\s+(\w+)\s+(?:\[[^\]]*\]\s+)?(.*)$")
ORDER = {"DEBUG": 0, "INFO": 1, "WARN": 2, "WARNING": 2, "ERROR": 3, "CRITICAL": 4, "FATAL": 4}


def signature(msg):
    msg = re.sub(r"(['\"]).*?\1", "<S>", msg)
    msg = re.sub(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{8,}\b|\b[0-9a-f]{8}-[0-9a-f-]{27}\b", "<ID>", msg)
    return re.sub(r"\b\d+(\.\d+)?\b", "<N>", msg).strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("files", nargs="+"); ap.add_argument("--level", default="ERROR")
    ap.add_argument("--top", type=int, default=5)
    a = ap.parse_args()
    floor = ORDER[a.level.upper()]
    levels, sigs, first_seen, minutes = Counter(), Counter(), {}, Counter()
    errors = []
    for path in a.files:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                m = LINE.match(line.rstrip("\n"))
                if not m:
                    continue
                ts, level, msg = m.group(1).replace("T", " "), m.group(2).upper(), m.group(3)
                if level not in ORDER:
                    continue
                level = {"WARNING": "WARN", "FATAL": "CRITICAL"}.get(level, level)
                levels[level] += 1
                minutes[ts[:16]] += 1
                if ORDER[level] >= floor:
                    s = signature(msg)
                    sigs[s] += 1
                    first_seen.setdefault(s, ts)
                    errors.append(ts)
    top = sorted(sigs.items(), key=lambda kv: (-kv[1], first_seen[kv[0]], kv[0]))[: a.top]
    busiest = sorted(minutes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if minutes else None
    print(json.dumps({"levels": dict(sorted(levels.items(), key=lambda kv: ORDER[kv[0]])),
                      "signatures": [{"signature": s, "count": c, "first": first_seen[s]} for s, c in top],
                      "first_error": min(errors) if errors else None, "last_error": max(errors) if errors else None,
                      "busiest_minute": busiest}, indent=2))


if __name__ == "__main__":
    main()
