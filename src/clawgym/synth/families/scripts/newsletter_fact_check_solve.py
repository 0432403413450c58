"""The reference solver of the family `newsletter_fact_check`: its solve.py is `_solve_head.py`
followed by this text."""

import csv
import json
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
orders = [r for r in csv.DictReader(open("data/orders.csv", encoding="utf-8")) if P["q_start"] <= r["date"] <= P["q_end"]]
hires = [h for h in json.loads(Path("data/hires.json").read_text(encoding="utf-8"))
         if P["q_start"] <= h["start_date"] <= P["q_end"]]
counts = {}
for r in orders:
    counts[r["store"]] = counts.get(r["store"], 0) + 1
total = sum(int(r["amount_eur"]) for r in orders)
truth = {"revenue": f"{total:,}", "orders": str(max(counts.values())), "hires": str(len(hires)),
         "average": "%.2f" % (total / len(orders))}
t = Path(P["draft"]).read_text(encoding="utf-8")
for name, head, shown, tail in P["claims"]:
    t = t.replace(head + shown + tail, head + truth[name] + tail)
Path(P["draft"]).write_text(t, encoding="utf-8")
