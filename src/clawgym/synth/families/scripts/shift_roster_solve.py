"""The reference solver of the family `shift_roster`: its solve.py is `_solve_head.py`, the source of
`roster_search` (which the family's builder uses too) and this text."""

import csv
import json
from pathlib import Path

from clawgym.synth.families._reasoning import roster_search
from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
rows = list(csv.DictReader(open("roster/staff.csv", encoding="utf-8")))
staff = sorted(r["name"] for r in rows)
maxs = {r["name"]: int(r["max_shifts_per_week"]) for r in rows}
keys = {r["name"] for r in rows if r["keyholder"] == "yes"}
avail = {p: v["cannot_work"] for p, v in json.loads(Path("roster/availability.json").read_text(encoding="utf-8")).items()}
shifts = [(d, s) for d in P["days"] for s in P["shifts"]]
plan = roster_search(shifts, P["need"], staff, maxs, avail, keys, limit=10 ** 7)
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
with open(P["out"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["day", "shift", "name"])
    for d, s in shifts:
        for p in plan[(d, s)]:
            w.writerow([d, s, p])
