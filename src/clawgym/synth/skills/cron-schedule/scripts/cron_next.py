#!/usr/bin/env python3
"""Next run times of cron expressions; audit a crontab file."""
import argparse
import json
from datetime import datetime, timedelta

NAMES = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
         "nov": 11, "dec": 12, "sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
MACROS = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
          "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"}


def field(text, lo, hi):
    out = set()
    for part in text.lower().split(","):
        step = 1
        if "/" in part:
            part, s = part.split("/", 1)
            step = int(s)
            if step < 1:
                raise ValueError(f"bad step in {text!r}")
        if part == "*":
            a, b = lo, hi
        elif "-" in part:
            x, y = part.split("-", 1)
            a, b = int(NAMES.get(x, x)), int(NAMES.get(y, y))
        else:
            a = int(NAMES.get(part, part))
            b = hi if step > 1 else a
        if not (lo <= a <= hi and lo <= b <= hi and a <= b):
            raise ValueError(f"{text!r} is outside {lo}-{hi}")
        out.update(range(a, b + 1, step))
    return out


def parse(expr):
    expr = MACROS.get(expr.strip(), expr)
    parts = expr.split()
    if len(parts) != 5:
        raise ValueError(f"expected 5 fields, got {len(parts)}")
    sets = [field(p, lo, hi) for p, (lo, hi) in zip(parts, BOUNDS)]
    if 7 in sets[4]:
        sets[4] = (sets[4] - {7}) | {0}
    return sets, parts[2] != "*", parts[4] != "*"


def matches(t, spec):
    (mi, h, dom, mon, dow), dom_r, dow_r = spec
    if t.minute not in mi or t.hour not in h or t.month not in mon:
        return False
    d1, d2 = t.day in dom, (t.isoweekday() % 7) in dow
    return (d1 or d2) if (dom_r and dow_r) else (d1 and d2)


def runs(spec, after, until=None, count=None):
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    out, limit = [], after + timedelta(days=366 * 5)
    while (until is None or t < until) and t < limit and (count is None or len(out) < count):
        if matches(t, spec):
            out.append(t)
        t += timedelta(minutes=1)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("next"); p.add_argument("expr"); p.add_argument("--after", required=True)
    p.add_argument("--count", type=int, default=1)
    p = sub.add_parser("audit"); p.add_argument("file"); p.add_argument("--after", required=True)
    p.add_argument("--hours", type=float, default=24)
    a = ap.parse_args()
    after = datetime.fromisoformat(a.after)
    if a.cmd == "next":
        print(json.dumps([t.isoformat(timespec="minutes") for t in runs(parse(a.expr), after, count=a.count)]))
        return
    jobs = []
    with open(a.file, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            s = line.strip()
            if not s or s.startswith("#") or ("=" in s.split()[0] and not s.startswith("@")):
                continue
            if s.startswith("@"):
                sched, _, cmd = s.partition(" ")
            else:
                bits = s.split(None, 5)
                sched, cmd = " ".join(bits[:5]), (bits[5] if len(bits) > 5 else "")
            job = {"line": n, "schedule": sched, "command": cmd.strip()}
            try:
                r = runs(parse(sched), after, until=after + timedelta(hours=a.hours))
                job.update(valid=True, runs=len(r), first=r[0].isoformat(timespec="minutes") if r else None)
            except ValueError as exc:
                job.update(valid=False, error=str(exc))
            jobs.append(job)
    print(json.dumps(jobs, indent=2))


if __name__ == "__main__":
    main()
