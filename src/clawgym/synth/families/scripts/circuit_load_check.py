"""The checks of the family `circuit_load`: its check.py is the head, `_common.py`, this text and the
tail (`_check_head.py`, `_check_tail.py`)."""

# ruff: noqa: E731

from clawgym.synth.families.scripts._check_head import frac
from clawgym.synth.families.scripts._common import c_nothing_else_touched, intact, numbers_in, table_rows

# --- the script's text starts below; the lines above are for linters only ---
def col(row, *keys):
    for h, v in row.items():
        if any(k in h for k in keys):
            return v
    return ""


def parsed(ws, e):
    """circuit id -> (amps, percent, over flag, kWh); columns found by the words in their headers."""
    out = {}
    for r in table_rows(ws, e["out"]):
        cid = col(r, "circuit", "id").strip().upper()
        nums = lambda s: numbers_in(s)[0] if numbers_in(s) else None
        flag = col(r, "over", "flag").strip().lower()
        out[cid] = (nums(col(r, "amp", "current")), nums(col(r, "percent", "pct", "%")),
                    flag in ("yes", "y", "true", "1", "x", "over") if flag else None, nums(col(r, "kwh", "energy")))
    return out


def close(a, b, tol):
    return a is not None and abs(a - b) <= tol


def gate(ws, e):
    got = parsed(ws, e)
    good = sum(close(got.get(r[0], (None,))[0], r[1], 0.011) for r in e["rows"])
    return intact(ws, e, e["inputs"]) and 2 * good >= len(e["rows"])


def c_amps(ws, e):
    got = parsed(ws, e)
    return frac(r[0] in got and close(got[r[0]][0], r[1], 0.011) for r in e["rows"])


def c_percent(ws, e):
    got = parsed(ws, e)
    return frac(r[0] in got and close(got[r[0]][1], r[2], 0.11) for r in e["rows"])


def c_over(ws, e):
    got = parsed(ws, e)
    return frac(r[0] in got and got[r[0]][2] is r[3] for r in e["rows"])


def c_kwh(ws, e):
    got = parsed(ws, e)
    return frac(r[0] in got and close(got[r[0]][3], r[4], 0.011) for r in e["rows"])


def c_circuits(ws, e):
    return set(parsed(ws, e)) == {r[0] for r in e["rows"]}


CHECKS = {"amps": c_amps, "percent_of_breaker": c_percent, "over_80_flags": c_over, "kwh_per_day": c_kwh,
          "every_circuit_once": c_circuits, "nothing_else_touched": c_nothing_else_touched}
CORE = ["amps", "percent_of_breaker", "over_80_flags", "kwh_per_day", "every_circuit_once"]
