"""The reference solver of the family `batch_rename`: its solve.py is `_solve_head.py` followed by this
text."""

import csv
import os
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
folder = P["folder"]
with open(P["meta"], newline="", encoding="utf-8") as fh:
    rows = list(csv.DictReader(fh))
rows.sort(key=lambda r: r["taken"])
counters, log = {}, []
for r in rows:
    date = r["taken"][:10].replace(":", "-")
    slug = r["place"].strip().lower().replace(" ", "-")
    counters[(date, slug)] = counters.get((date, slug), 0) + 1
    new = f"{folder}/{date}_{slug}_{counters[(date, slug)]:02d}.jpg"
    os.rename(f"{folder}/{r['file']}", new)
    log.append([f"{folder}/{r['file']}", new])
out = Path(P["log"])
out.parent.mkdir(parents=True, exist_ok=True)
with out.open("w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["old", "new"])
    w.writerows(sorted(log))
