"""The checks of the family `log_error_triage`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import csv_rows, frac, text

# --- the script's text starts below; the lines above are for linters only ---
def table(ws, e):
    return csv_rows(ws, e["csv"])


def gate(ws, e):
    ok = False
    try:
        ok = any(w in table(ws, e)[1:] for w in e["table"])
    except Exception:
        pass
    try:
        ok = ok or text(ws, e["txt"]).strip() == e["top"]
    except Exception:
        pass
    return ok


def c_header(ws, e):
    return table(ws, e)[0] == ["service", "errors", "first_seen"]


def c_counts(ws, e):
    got = {r[0]: r for r in table(ws, e)[1:]}
    return frac(got.get(w[0], [None])[:2] == w[:2] for w in e["table"])


def c_first_seen(ws, e):
    got = {r[0]: r for r in table(ws, e)[1:]}
    return frac(got.get(w[0]) == w for w in e["table"])


def c_exact(ws, e):
    return table(ws, e)[1:] == e["table"]


def c_top(ws, e):
    return text(ws, e["txt"]).strip() == e["top"]


CHECKS = {"csv_header": c_header, "error_counts": c_counts, "first_seen_times": c_first_seen,
          "rows_exact_and_sorted": c_exact, "top_error_message": c_top}
CORE = ("error_counts", "first_seen_times", "top_error_message")
