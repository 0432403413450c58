"""The checks of the family `dedupe_files`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import csv_rows, frac, has

# --- the script's text starts below; the lines above are for linters only ---
def report_rows(ws, e):
    rows = csv_rows(ws, e["report"])
    return rows[0], rows[1:]


def gate(ws, e):
    removed = any(not (ws / r).exists() and has(ws, k, dict(e["keep"])[k]) for r, k in e["removed"])
    try:
        rows = report_rows(ws, e)[1]
    except Exception:
        rows = []
    return removed or any(list(r) in rows for r in e["removed"])


def c_removed(ws, e):
    return frac(not (ws / r).exists() for r, k in e["removed"])


def c_kept(ws, e):
    return frac(has(ws, p, h) for p, h in e["keep"])


def c_rows(ws, e):
    rows = report_rows(ws, e)[1]
    return frac(list(r) in rows for r in e["removed"])


def c_exact(ws, e):
    header, rows = report_rows(ws, e)
    return header == ["removed", "kept"] and rows == [list(r) for r in e["removed"]]


CHECKS = {"duplicates_deleted": c_removed, "one_copy_of_each_kept": c_kept, "report_rows": c_rows,
          "report_exact_and_sorted": c_exact}
CORE = ("duplicates_deleted", "one_copy_of_each_kept", "report_rows")
