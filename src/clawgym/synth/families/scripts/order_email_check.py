"""The checks of the family `order_email`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

import re

from clawgym.synth.families.scripts._check_head import frac, text

# --- the script's text starts below; the lines above are for linters only ---
def body(ws, e):
    return text(ws, e["out"])


def gate(ws, e):
    t = body(ws, e)
    return e["order_id"] in t and e["first_name"] in t


def c_subject(ws, e):
    first = body(ws, e).strip().splitlines()[0]
    return first.startswith("Subject:") and e["order_id"] in first


def c_greeting(ws, e):
    lines = [ln for ln in body(ws, e).splitlines()[1:] if ln.strip()]
    return bool(lines) and e["first_name"] in lines[0]


def c_items(ws, e):
    lines = body(ws, e).splitlines()
    return frac(any(p in ln and re.search(r"(?<![\d.])%d(?![\d.])" % q, ln) for ln in lines) for p, q in e["items"])


def c_total(ws, e):
    return e["total"] in body(ws, e)


def c_date(ws, e):
    return e["date"] in body(ws, e)


def c_no_other_orders(ws, e):
    t = body(ws, e)
    return not any(re.search(r"\b%s\b" % re.escape(o), t) for o in e["others"])


def c_signoff(ws, e):
    lines = [ln.strip() for ln in body(ws, e).splitlines() if ln.strip()]
    return lines[-1] == e["sender"]


CHECKS = {"subject_with_order_id": c_subject, "greets_by_first_name": c_greeting, "items_listed": c_items,
          "exact_total": c_total, "delivery_date": c_date, "no_other_customers": c_no_other_orders,
          "signed": c_signoff}
CORE = ("items_listed", "exact_total", "delivery_date", "no_other_customers")
