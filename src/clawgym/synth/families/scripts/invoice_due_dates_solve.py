"""The reference solver of the family `invoice_due_dates`: its solve.py is `_solve_head.py` followed by
this text."""

import csv
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
import datetime as dt
from decimal import Decimal
hol = set()
if Path("finance/holidays.txt").exists():
    hol = {ln.strip() for ln in Path("finance/holidays.txt").read_text().splitlines() if ln.strip() and not ln.startswith("#")}
today = P["today"]
out, total = [], Decimal(0)
with open("finance/invoices.csv", newline="", encoding="utf-8") as fh:
    for r in csv.DictReader(fh):
        days = 0 if r["terms"] == "Due on receipt" else int(r["terms"].split()[1])
        due = dt.date.fromisoformat(r["issued"]) + dt.timedelta(days=days)
        while due.weekday() >= 5 or due.isoformat() in hol:
            due += dt.timedelta(days=1)
        status = "paid" if r["paid"] == "yes" else "overdue" if due.isoformat() < today else "open"
        if status == "overdue":
            total += Decimal(r["amount"])
        out.append([r["invoice"], due.isoformat(), status])
Path(P["csv"]).parent.mkdir(parents=True, exist_ok=True)
with open(P["csv"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["invoice", "due_date", "status"])
    w.writerows(sorted(out, key=lambda r: (r[1], r[0])))
Path(P["txt"]).write_text(f"{total:.2f}\n", encoding="utf-8")
