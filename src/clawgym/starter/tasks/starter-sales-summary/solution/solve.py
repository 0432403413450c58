import csv
import json
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

with open("input/sales.csv", newline="", encoding="utf-8") as f:
    reader = csv.reader(f)
    next(reader)
    rows = [r for r in reader if r and any(c.strip() for c in r)]

seen, skipped, dups = set(), 0, 0
regions = defaultdict(lambda: {"orders": 0, "units": 0, "revenue": Decimal(0)})
products = defaultdict(Decimal)
for r in rows:
    if len(r) != 6:
        skipped += 1
        continue
    oid, _date, region, product, units, price = (c.strip() for c in r)
    try:
        if not units.isdigit() or int(units) <= 0:
            raise ValueError(units)
        u, p = int(units), Decimal(price)
    except (ValueError, InvalidOperation):
        skipped += 1
        continue
    if oid in seen:
        dups += 1
        continue
    seen.add(oid)
    agg = regions[region.title()]
    agg["orders"] += 1
    agg["units"] += u
    agg["revenue"] += u * p
    products[product] += u * p

Path("output").mkdir(exist_ok=True)
with open("output/region_summary.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["region", "orders", "units", "revenue"])
    for name, a in sorted(regions.items(), key=lambda kv: (-kv[1]["revenue"], kv[0])):
        w.writerow([name, a["orders"], a["units"], f"{a['revenue']:.2f}"])
total = sum(a["revenue"] for a in regions.values())
summary = {"total_revenue": float(round(total, 2)), "orders": len(seen),
           "top_product": max(products, key=products.get), "skipped_rows": skipped, "duplicate_rows": dups}
Path("output/summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
