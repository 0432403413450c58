#!/usr/bin/env python3
"""Totals, tax and reimbursement of expense line items (Decimal, half-up)."""
import argparse
import csv
import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def r2(d):
    return str(d.quantize(CENT, rounding=ROUND_HALF_UP))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("items"); ap.add_argument("--tax-rate", default="0"); ap.add_argument("--out")
    a = ap.parse_args()
    rate = Decimal(a.tax_rate)
    by_cat, by_month, net, reimb, rejected = {}, {}, {}, {}, []
    with open(a.items, newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                amount = Decimal((row.get("amount") or "").strip())
            except InvalidOperation:
                rejected.append(line)
                continue
            cur = (row.get("currency") or "EUR").strip() or "EUR"
            for table, key in ((by_cat, row["category"].strip()), (by_month, (row.get("date") or "").strip()[:7] or "undated")):
                table.setdefault(cur, {}).setdefault(key, Decimal(0))
                table[cur][key] += amount
            net[cur] = net.get(cur, Decimal(0)) + amount
            if (row.get("reimbursable") or "yes").strip().lower() in ("yes", "y", "true", "1"):
                reimb[cur] = reimb.get(cur, Decimal(0)) + amount
    out = {"by_category": {c: {k: r2(v) for k, v in sorted(t.items())} for c, t in sorted(by_cat.items())},
           "by_month": {c: {k: r2(v) for k, v in sorted(t.items())} for c, t in sorted(by_month.items())},
           "net": {c: r2(v) for c, v in sorted(net.items())},
           "tax": {c: r2(v * rate) for c, v in sorted(net.items())},
           "gross": {c: r2(v * (1 + rate)) for c, v in sorted(net.items())},
           "reimbursable_gross": {c: r2(v * (1 + rate)) for c, v in sorted(reimb.items())},
           "rejected_rows": rejected}
    text = json.dumps(out, indent=2)
    if a.out:
        open(a.out, "w", encoding="utf-8").write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
