"""The checks of the family `access_review`: its check.py is the head, `_common.py`, this text and the
tail (`_check_head.py`, `_check_tail.py`)."""

import re

from clawgym.synth.families.scripts._common import c_nothing_else_touched, intact, table_rows

# --- the script's text starts below; the lines above are for linters only ---
def pairs(ws, e):
    """(subject, code) pairs; a cell may hold several codes separated by ; or |."""
    out = set()
    for r in table_rows(ws, e["out"]):
        subj = (r.get("subject") or r.get("username") or r.get("user") or r.get("key_id") or "").strip().lower()
        for code in re.split(r"[;|]", r.get("finding") or r.get("findings") or r.get("code") or ""):
            if code.strip():
                out.add((subj, code.strip().upper()))
    return out


def want(e):
    return {(s.lower(), c) for s, c in e["findings"]}


def gate(ws, e):
    return intact(ws, e, e["inputs"]) and 2 * len(pairs(ws, e) & want(e)) >= len(want(e))


def c_found(ws, e):
    return len(pairs(ws, e) & want(e)) / len(want(e))


def c_no_false_alarms(ws, e):
    got = pairs(ws, e)
    return len(got & want(e)) / len(got) if got else 0.0


CHECKS = {"breaches_found": c_found, "no_false_alarms": c_no_false_alarms, "nothing_else_touched": c_nothing_else_touched}
CORE = ["breaches_found", "no_false_alarms"]
