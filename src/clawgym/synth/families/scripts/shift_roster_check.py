"""The checks of the family `shift_roster`: its check.py is the head, `_common.py`, this text and the
tail (`_check_head.py`, `_check_tail.py`)."""

import re

from clawgym.synth.families.scripts._check_head import frac
from clawgym.synth.families.scripts._common import c_nothing_else_touched, intact, table_rows

# --- the script's text starts below; the lines above are for linters only ---
def assignments(ws, e):
    """(day, shift, name) triples: rows of day,shift,name, or one row per shift with the names in one cell."""
    days = {d.lower()[:3]: d for d in e["days"]}
    out = []
    for r in table_rows(ws, e["out"]):
        day = days.get(r.get("day", r.get("weekday", "")).strip().lower()[:3])
        shift = r.get("shift", "").strip().lower()
        cell = r.get("name", r.get("names", r.get("staff", r.get("people", r.get("person", "")))))
        for n in re.split(r"[;/,]| and ", cell):
            if day and n.strip():
                out.append((day, shift, n.strip().title()))
    return out


def per_shift(ws, e):
    got = {(d, s): [] for d in e["days"] for s in e["shifts"]}
    for d, s, n in assignments(ws, e):
        if (d, s) in got:
            got[(d, s)].append(n)
    return got


def staffed(people, e):
    return len(people) == e["need"] == len(set(people)) and all(p in e["staff"] for p in people)


def gate(ws, e):
    got = per_shift(ws, e)
    return intact(ws, e, e["inputs"]) and 2 * sum(staffed(v, e) for v in got.values()) >= len(got)


def c_coverage(ws, e):
    got = per_shift(ws, e)
    extra = [a for a in assignments(ws, e) if (a[0], a[1]) not in got]
    return frac(staffed(v, e) for v in got.values()) * (not extra)


def c_keyholder(ws, e):
    return frac(any(p in e["keyholders"] for p in v) for v in per_shift(ws, e).values())


def c_availability(ws, e):
    return all(d not in e["unavailable"].get(n, []) for d, s, n in assignments(ws, e))


def c_weekly_max(ws, e):
    a = assignments(ws, e)
    return frac(sum(1 for d, s, n in a if n == p) <= e["max"][p] for p in e["staff"])


def c_one_shift_a_day(ws, e):
    a = assignments(ws, e)
    return len({(d, n) for d, s, n in a}) == len(a)


CHECKS = {"every_shift_staffed": c_coverage, "keyholder_on_every_shift": c_keyholder,
          "availability_respected": c_availability, "weekly_maximum_respected": c_weekly_max,
          "one_shift_a_day": c_one_shift_a_day, "nothing_else_touched": c_nothing_else_touched}
CORE = ["every_shift_staffed", "keyholder_on_every_shift", "availability_respected", "weekly_maximum_respected",
        "one_shift_a_day"]
