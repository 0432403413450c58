"""The checks of the family `ticket_replies`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

import re

from clawgym.synth.families.scripts._check_head import csv_rows, files_under, frac, text

# --- the script's text starts below; the lines above are for linters only ---
def reply(ws, e, tid):
    return text(ws, e["folder"] + "/" + tid + ".txt")


def facts(ws, e, r):
    tid, name, order, amount = r
    try:
        t = reply(ws, e, tid)
    except Exception:
        return 0.0
    last = [ln for ln in re.split(r"(?<=[.!])\s+|\n", t) if ln.strip()][-1]
    return frac([name in t, order in t, e["currency"] + amount in t,
                 re.search(r"(?<!\d)%d(?!\d)" % e["days"], last) is not None and "business day" in last])


def index_rows(ws, e):
    return csv_rows(ws, e["index"])


def gate(ws, e):
    return any(facts(ws, e, r) > 0.5 for r in e["replies"])


def c_written(ws, e):
    return frac((ws / e["folder"] / (r[0] + ".txt")).is_file() for r in e["replies"])


def c_facts(ws, e):
    return sum(facts(ws, e, r) for r in e["replies"]) / len(e["replies"])


def c_no_extra(ws, e):
    want = {e["folder"] + "/" + r[0] + ".txt" for r in e["replies"]} | {e["index"]}
    got = files_under(ws, e["folder"])
    return len(want & got) / len(want | got)


def c_index(ws, e):
    rows = index_rows(ws, e)[1:]
    return frac([r[0], r[1], r[3]] in rows for r in e["replies"])


def c_index_exact(ws, e):
    rows = index_rows(ws, e)
    return rows[0] == ["ticket", "customer", "amount"] and rows[1:] == [[r[0], r[1], r[3]] for r in e["replies"]]


CHECKS = {"replies_written": c_written, "reply_facts": c_facts, "no_replies_to_other_tickets": c_no_extra,
          "index_rows": c_index, "index_exact_and_sorted": c_index_exact}
CORE = ("reply_facts", "no_replies_to_other_tickets", "index_rows")
