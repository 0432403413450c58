"""The checks of the family `csv_group_summary`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import csv_rows, frac, load_json

# --- the script's text starts below; the lines above are for linters only ---
def table(ws, e):
    return csv_rows(ws, e["csv"])


def row_ok(got, want):
    try:
        return len(got) == 3 and got[0] == want[0] and int(got[1]) == int(want[1]) and got[2] == want[2]
    except ValueError:
        return False


def stats(ws, e):
    d = load_json(ws, e["json"])
    return d if isinstance(d, dict) else {}


def num(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(v)
    return v


def gate(ws, e):
    ok = False
    try:
        rows = {r[0]: r for r in table(ws, e)[1:]}
        ok = any(row_ok(rows.get(w[0], []), w) for w in e["table"])
    except Exception:
        pass
    try:
        ok = ok or abs(num(stats(ws, e)["grand_total"]) - float(e["grand_total"])) < 0.005
    except Exception:
        pass
    return ok


def c_header(ws, e):
    return table(ws, e)[0] == [e["col"], "count", "total"]


def c_rows(ws, e):
    rows = {r[0]: r for r in table(ws, e)[1:]}
    return frac(row_ok(rows.get(w[0], []), w) for w in e["table"])


def c_exact(ws, e):
    got = table(ws, e)[1:]
    return len(got) == len(e["table"]) and all(row_ok(g, w) for g, w in zip(got, e["table"]))


def c_counts(ws, e):
    s = stats(ws, e)
    return (0.5 * (s.get("rows_used") == e["rows_used"] and type(s.get("rows_used")) is int)
            + 0.5 * (s.get("rows_skipped") == e["rows_skipped"] and type(s.get("rows_skipped")) is int))


def c_grand(ws, e):
    return abs(num(stats(ws, e)["grand_total"]) - float(e["grand_total"])) < 0.005


CHECKS = {"csv_header": c_header, "group_rows": c_rows, "rows_exact_and_sorted": c_exact,
          "row_counts": c_counts, "grand_total": c_grand}
CORE = ("group_rows", "row_counts", "grand_total")
