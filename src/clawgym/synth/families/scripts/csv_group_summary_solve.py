"""The reference solver of the family `csv_group_summary`: its solve.py is `_solve_head.py` followed by
this text."""

import csv
import json
import re
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
from decimal import Decimal, InvalidOperation
lines = [ln for ln in Path(P["src"]).read_text(encoding="utf-8").splitlines() if ln.strip()]
rows = list(csv.DictReader(lines))
totals, used, skipped = {}, 0, 0
for r in rows:
    raw = (r["amount"] or "").strip()
    try:
        if not re.fullmatch(r"-?\d+(\.\d+)?", raw):
            raise InvalidOperation(raw)
        amount = Decimal(raw)
    except InvalidOperation:
        skipped += 1
        continue
    name = " ".join(r[P["col"]].split()).title()
    t = totals.setdefault(name, [0, Decimal(0)])
    t[0] += 1
    t[1] += amount
    used += 1
Path(P["csv"]).parent.mkdir(parents=True, exist_ok=True)
with open(P["csv"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow([P["col"], "count", "total"])
    for name, (n, total) in sorted(totals.items(), key=lambda kv: (-kv[1][1], kv[0])):
        w.writerow([name, n, f"{total:.2f}"])
grand = sum(t[1] for t in totals.values())
Path(P["json"]).write_text(json.dumps({"rows_used": used, "rows_skipped": skipped,
                                       "grand_total": float(round(grand, 2))}, indent=2) + "\n")
