#!/usr/bin/env python3
"""Convert times between IANA zones; working-hour overlaps."""
import argparse
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name):
    if "/" not in name and name != "UTC":
        raise SystemExit(f"{name!r}: use an IANA zone such as Europe/Berlin")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise SystemExit(f"unknown time zone {name!r}")


def fmt(dt):
    off = dt.utcoffset()
    sign = "-" if off < timedelta(0) else "+"
    m = abs(int(off.total_seconds())) // 60
    return f"{dt:%Y-%m-%d %H:%M} (UTC{sign}{m // 60:02d}:{m % 60:02d})"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("convert"); p.add_argument("when"); p.add_argument("--from", dest="src", required=True)
    p.add_argument("--to", action="append", required=True)
    p = sub.add_parser("overlap"); p.add_argument("date"); p.add_argument("--zone", action="append", required=True)
    p.add_argument("--start", type=int, default=9); p.add_argument("--end", type=int, default=17)
    a = ap.parse_args()
    if a.cmd == "convert":
        t = datetime.fromisoformat(a.when).replace(tzinfo=zone(a.src))
        print(json.dumps({z: fmt(t.astimezone(zone(z))) for z in [a.src, *a.to]}, indent=2))
        return
    day = datetime.fromisoformat(a.date).replace(tzinfo=timezone.utc)
    zones = [zone(z) for z in a.zone]
    ok = []
    for m in range(-24 * 60, 48 * 60):
        t = day + timedelta(minutes=m)
        if t.astimezone(timezone.utc).date() != day.date():
            continue
        ok.append(all(a.start * 60 <= (lt := t.astimezone(z)).hour * 60 + lt.minute < a.end * 60 for z in zones))
    spans, start = [], None
    for i, v in enumerate(ok + [False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            spans.append((start, i))
            start = None
    out = []
    for s, e in spans:
        ts, te = day + timedelta(minutes=s), day + timedelta(minutes=e)
        out.append({"utc": f"{ts:%H:%M}-{te:%H:%M}",
                    "local": {n: f"{ts.astimezone(z):%H:%M}-{te.astimezone(z):%H:%M}" for n, z in zip(a.zone, zones)}})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
