"""The reference solver of the family `sprint_plan`: its solve.py is `_solve_head.py`, the source of
`greedy_plan` (which the family's builder uses too) and this text."""

import csv
from pathlib import Path

from clawgym.synth.families._organising import greedy_plan
from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
RANK = {"must": 0, "should": 1, "could": 2}
items = {r["id"]: (int(r["points"]), RANK[r["priority"]], [d for d in r["depends_on"].split(";") if d])
         for r in csv.DictReader(open("backlog/backlog.csv", encoding="utf-8"))}
plan = greedy_plan(items, P["sprints"], P["velocity"])
Path(P["out"]).parent.mkdir(parents=True, exist_ok=True)
with open(P["out"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["id", "sprint"])
    for i, s in sorted(plan.items(), key=lambda x: (x[1], x[0])):
        w.writerow([i, s])
