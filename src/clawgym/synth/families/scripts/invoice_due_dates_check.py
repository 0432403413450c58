"""The checks of the family `invoice_due_dates`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import csv_rows, frac, text

# --- the script's text starts below; the lines above are for linters only ---
def rows(ws, e):
    return csv_rows(ws, e["csv"])


def gate(ws, e):
    ok = False
    try:
        ok = any(r in rows(ws, e)[1:] for r in e["table"])
    except Exception:
        pass
    try:
        ok = ok or text(ws, e["txt"]).strip() == e["overdue"]
    except Exception:
        pass
    return ok


def c_header(ws, e):
    return rows(ws, e)[0] == ["invoice", "due_date", "status"]


def c_due(ws, e):
    got = {r[0]: r for r in rows(ws, e)[1:]}
    return frac(got.get(w[0], [None, None])[:2] == w[:2] for w in e["table"])


def c_status(ws, e):
    got = {r[0]: r for r in rows(ws, e)[1:]}
    return frac(got.get(w[0]) == w for w in e["table"])


def c_exact(ws, e):
    return rows(ws, e)[1:] == e["table"]


def c_total(ws, e):
    return text(ws, e["txt"]).strip() == e["overdue"]


CHECKS = {"csv_header": c_header, "due_dates": c_due, "statuses": c_status, "rows_exact_and_sorted": c_exact,
          "overdue_total": c_total}
CORE = ("due_dates", "statuses", "overdue_total")
