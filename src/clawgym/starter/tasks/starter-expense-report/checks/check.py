"""Checks for starter-expense-report: expected totals are recomputed from input/."""
import csv
import io
import json
import re
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

CENT = Decimal("0.01")


def expected(ws):
    rates = json.loads((ws / "input" / "rates.json").read_text(encoding="utf-8"))["rates"]
    rates = {k.upper(): Decimal(str(v)) for k, v in rates.items()}
    txs = json.loads((ws / "input" / "expenses.json").read_text(encoding="utf-8"))["transactions"]
    totals = defaultdict(Decimal)
    for t in txs:
        if str(t.get("status", "")).lower() == "cancelled":
            continue
        usd = Decimal(str(t["amount"])) * rates[t["currency"].upper()]
        totals[(t["date"][:7], t["category"].strip().lower())] += usd
    if not totals:
        raise ValueError("no transactions")
    rows = [[m, c, v] for (m, c), v in sorted(totals.items())]
    by_cat = defaultdict(Decimal)
    for (m, c), v in totals.items():
        by_cat[c] += v
    grand = sum(totals.values())
    return rows, grand, max(by_cat, key=lambda c: by_cat[c])


def read_csv(ws):
    text = (ws / "output" / "monthly.csv").read_text(encoding="utf-8")
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(text)) if r]


def row_ok(got, want):
    try:
        return (len(got) == 3 and got[0] == want[0] and got[1] == want[1]
                and re.fullmatch(r"-?\d+\.\d{2}", got[2]) is not None
                and abs(Decimal(got[2]) - want[2]) <= Decimal("0.006"))
    except Exception:
        return False


def summary_text(ws):
    return (ws / "output" / "summary.md").read_text(encoding="utf-8")


def c_header(ws, rows, grand, top):
    got = read_csv(ws)
    return bool(got) and got[0] == ["month", "category", "total_usd"]


def c_rows(ws, rows, grand, top):
    got = {(r[0], r[1]): r for r in read_csv(ws)[1:] if len(r) >= 2}
    return sum(row_ok(got.get((w[0], w[1]), []), w) for w in rows) / len(rows)


def c_exact(ws, rows, grand, top):
    got = read_csv(ws)[1:]
    return len(got) == len(rows) and all(row_ok(g, w) for g, w in zip(got, rows))


def c_summary_total(ws, rows, grand, top):
    text = summary_text(ws)
    for m in re.finditer(r"\d[\d,]*\.\d{2}\b", text):
        if abs(Decimal(m.group(0).replace(",", "")) - grand) <= Decimal("0.006"):
            return True
    return False


def c_summary_top(ws, rows, grand, top):
    return re.search(r"\b" + re.escape(top) + r"\b", summary_text(ws), re.IGNORECASE) is not None


def c_summary_length(ws, rows, grand, top):
    """The length counts only for a note that says something true (the total or the top
    category): filler text of the right length is the shell of a summary, not one."""
    if not (c_summary_total(ws, rows, grand, top) or c_summary_top(ws, rows, grand, top)):
        return False
    n = len(re.findall(r"\S+", summary_text(ws)))
    return 40 <= n <= 200


CHECKS = {"monthly_header": c_header, "monthly_rows": c_rows, "monthly_exact_and_sorted": c_exact,
          "summary_states_total": c_summary_total, "summary_names_top_category": c_summary_top,
          "summary_length": c_summary_length}


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    try:
        rows, grand, top = expected(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, rows, grand, top)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return out


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
