"""The checks of the family `meeting_slots`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import csv_rows, frac, load_json

# --- the script's text starts below; the lines above are for linters only ---
def rows(ws, e):
    return csv_rows(ws, e["csv"])


def invite(ws, e):
    d = load_json(ws, e["json"])
    if not isinstance(d, dict):
        raise ValueError("not an object")
    return d


def gate(ws, e):
    ok = False
    try:
        ok = any(s in rows(ws, e)[1:] for s in e["slots"])
    except Exception:
        pass
    try:
        d = invite(ws, e)
        ok = ok or (d.get("date") == e["invite"]["date"] and d.get("start") == e["invite"]["start"])
    except Exception:
        pass
    return ok


def c_header(ws, e):
    return rows(ws, e)[0] == ["date", "start", "end"]


def c_slots(ws, e):
    got = rows(ws, e)[1:]
    return frac(s in got for s in e["slots"])


def c_exact(ws, e):
    return rows(ws, e)[1:] == e["slots"]


def c_invite_time(ws, e):
    d = invite(ws, e)
    return frac(d.get(k) == e["invite"][k] for k in ("date", "start", "end"))


def c_attendees(ws, e):
    return invite(ws, e).get("attendees") == e["invite"]["attendees"]


CHECKS = {"csv_header": c_header, "free_windows": c_slots, "windows_exact_and_sorted": c_exact,
          "invite_time": c_invite_time, "invite_attendees": c_attendees}
CORE = ("free_windows", "windows_exact_and_sorted", "invite_time", "invite_attendees")
