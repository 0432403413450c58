"""The checks of the family `contract_renewals`: its check.py is the head, `_common.py`, this text and
the tail (`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import frac, text
from clawgym.synth.families.scripts._common import c_nothing_else_touched, dates_in, has_date, has_number, intact, mentions, table_rows

# --- the script's text starts below; the lines above are for linters only ---
def rows(ws, e):
    out = {}
    for r in table_rows(ws, e["table"]):
        vendor = next((v for v in [d[0] for d in e["due"]] + e["others"] if mentions(r.get("vendor", ""), v)), None)
        if vendor:
            out[vendor] = r
    return out


def deadline_ok(r, d):
    return d[2] in [x.isoformat() for x in dates_in(r.get("notice_deadline", ""))]


def gate(ws, e):
    got = rows(ws, e)
    return intact(ws, e, e["inputs"]) and 2 * sum(d[0] in got and deadline_ok(got[d[0]], d) for d in e["due"]) >= len(e["due"])


def c_right_contracts(ws, e):
    got = set(rows(ws, e))
    want = {d[0] for d in e["due"]}
    return len(got & want) / len(got | want)


def c_renewal_dates(ws, e):
    got = rows(ws, e)
    return frac(d[0] in got and d[1] in [x.isoformat() for x in dates_in(got[d[0]].get("renewal_date", ""))]
                for d in e["due"])


def c_deadlines(ws, e):
    got = rows(ws, e)
    return frac(d[0] in got and deadline_ok(got[d[0]], d) for d in e["due"])


def c_fees(ws, e):
    got = rows(ws, e)
    return frac(d[0] in got and has_number(got[d[0]].get("annual_fee", ""), d[3]) for d in e["due"])


def c_sorted(ws, e):
    order = [v for v in (next((d[0] for d in e["due"] if mentions(r.get("vendor", ""), d[0])), None)
                         for r in table_rows(ws, e["table"])) if v]
    return order == [d[0] for d in e["due"]]


def c_memo(ws, e):
    m = text(ws, e["memo"])
    return frac([mentions(m, d[0]) and has_date(m, d[2]) for d in e["due"]] + [has_number(m, e["total"])]
                + [not any(mentions(m, o) for o in e["others"])])


CHECKS = {"right_contracts": c_right_contracts, "renewal_dates": c_renewal_dates, "notice_deadlines": c_deadlines,
          "annual_fees": c_fees, "soonest_deadline_first": c_sorted, "memo_facts": c_memo,
          "nothing_else_touched": c_nothing_else_touched}
CORE = ["right_contracts", "renewal_dates", "notice_deadlines", "memo_facts"]
