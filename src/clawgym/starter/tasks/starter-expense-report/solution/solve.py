import csv
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

rates = {k.upper(): Decimal(str(v)) for k, v in json.loads(Path("input/rates.json").read_text())["rates"].items()}
txs = json.loads(Path("input/expenses.json").read_text())["transactions"]
totals = defaultdict(Decimal)
cancelled = refunds = 0
for t in txs:
    if str(t.get("status", "")).lower() == "cancelled":
        cancelled += 1
        continue
    amount = Decimal(str(t["amount"]))
    refunds += amount < 0
    totals[(t["date"][:7], t["category"].strip().lower())] += amount * rates[t["currency"].upper()]


def money(d):
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


Path("output").mkdir(exist_ok=True)
with open("output/monthly.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["month", "category", "total_usd"])
    for (month, cat), v in sorted(totals.items()):
        w.writerow([month, cat, f"{money(v)}"])

by_cat, by_month = defaultdict(Decimal), defaultdict(Decimal)
for (month, cat), v in totals.items():
    by_cat[cat] += v
    by_month[month] += v
grand = sum(totals.values())
top = max(by_cat, key=by_cat.get)
top_month = max(by_month, key=by_month.get)
lines = [
    "# Q1 expenses",
    "",
    f"You spent **${money(grand):,} USD** in total this quarter.",
    "",
    f"- Biggest category: **{top}** at ${money(by_cat[top]):,}"
    f" ({money(by_cat[top] / grand * 100)}% of the total).",
    f"- Most expensive month: **{top_month}** at ${money(by_month[top_month]):,}.",
    f"- {cancelled} cancelled transaction(s) were left out and {refunds} refund(s) were subtracted.",
    "",
    "Monthly totals by category are in `output/monthly.csv`. All amounts were converted to US dollars"
    " with the rates in `input/rates.json`.",
]
Path("output/summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
