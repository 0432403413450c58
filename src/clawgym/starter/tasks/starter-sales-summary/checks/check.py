"""Checks for starter-sales-summary: the expected summary is recomputed from input/sales.csv."""
import csv
import io
import json
import sys
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path


def expected(ws):
    lines = [l for l in (ws / "input" / "sales.csv").read_text(encoding="utf-8").splitlines() if l.strip()]
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    seen, skipped, dups = set(), 0, 0
    regions = defaultdict(lambda: [0, 0, Decimal(0)])
    products = defaultdict(Decimal)
    for r in rows:
        if len(r) != 6:
            skipped += 1
            continue
        oid, _, region, product, units, price = (x.strip() for x in r)
        try:
            u = int(units)
            p = Decimal(price)
            if u <= 0 or not units.isdigit() or not p.is_finite():
                raise ValueError
        except (ValueError, InvalidOperation):
            skipped += 1
            continue
        if oid in seen:
            dups += 1
            continue
        seen.add(oid)
        agg = regions[region.title()]
        agg[0] += 1
        agg[1] += u
        agg[2] += u * p
        products[product] += u * p
    if not seen:
        raise ValueError("no valid rows")
    table = sorted(([k, v[0], v[1], v[2]] for k, v in regions.items()), key=lambda x: (-x[3], x[0]))
    summary = {"total_revenue": sum(v[2] for v in regions.values()), "orders": len(seen),
               "top_product": max(products, key=lambda k: products[k]), "skipped_rows": skipped,
               "duplicate_rows": dups}
    return table, summary


def read_table(ws):
    text = (ws / "output" / "region_summary.csv").read_text(encoding="utf-8")
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(text)) if r]


def row_ok(got, want):
    try:
        return (len(got) == 4 and got[0] == want[0] and int(got[1]) == want[1] and int(got[2]) == want[2]
                and abs(Decimal(got[3]) - want[3]) <= Decimal("0.005") and len(got[3].split(".")[-1]) == 2)
    except Exception:
        return False


def read_summary(ws):
    data = json.loads((ws / "output" / "summary.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return data


def number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError("not a number")
    return Decimal(str(v))


def c_header(ws, table, summary):
    t = read_table(ws)
    return bool(t) and t[0] == ["region", "orders", "units", "revenue"]


def c_rows(ws, table, summary):
    got = {r[0]: r for r in read_table(ws)[1:] if r}
    return sum(row_ok(got.get(w[0], []), w) for w in table) / len(table)


def c_order(ws, table, summary):
    got = read_table(ws)[1:]
    return len(got) == len(table) and all(row_ok(g, w) for g, w in zip(got, table))


def c_total(ws, table, summary):
    return abs(number(read_summary(ws)["total_revenue"]) - summary["total_revenue"]) <= Decimal("0.005")


def c_orders(ws, table, summary):
    v = read_summary(ws)["orders"]
    return isinstance(v, int) and not isinstance(v, bool) and v == summary["orders"]


def c_top(ws, table, summary):
    return str(read_summary(ws)["top_product"]).strip() == summary["top_product"]


def c_skips(ws, table, summary):
    s = read_summary(ws)
    return s["skipped_rows"] == summary["skipped_rows"] and s["duplicate_rows"] == summary["duplicate_rows"]


CHECKS = {"region_csv_header": c_header, "region_rows": c_rows, "region_rows_exact_and_sorted": c_order,
          "total_revenue": c_total, "order_count": c_orders, "top_product": c_top,
          "skipped_and_duplicate_counts": c_skips}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        table, summary = expected(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, table, summary)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
