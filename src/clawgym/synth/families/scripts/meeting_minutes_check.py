"""The checks of the family `meeting_minutes`: its check.py is the head, `_common.py`, this text and
the tail (`_check_head.py`, `_check_tail.py`)."""

import re

from clawgym.synth.families.scripts._check_head import frac, text
from clawgym.synth.families.scripts._common import c_nothing_else_touched, dates_in, has_date, intact, mentions

# --- the script's text starts below; the lines above are for linters only ---
def doc(ws, e):
    return text(ws, e["out"])


def action_ok(lines, a, e):
    """A line with this action's owner, its words and its due date, and no other action's or
    person's (a line stuffed with every name, task and date is not an action item)."""
    owner, key, due = a
    keys = [x[1] for x in e["actions"]]
    return any(mentions(ln, owner) and mentions(ln, key) and has_date(ln, due) and len(dates_in(ln)) == 1
               and sum(mentions(ln, k) for k in keys) == 1 and sum(mentions(ln, p) for p in e["attendees"]) == 1
               for ln in lines)


def gate(ws, e):
    lines = doc(ws, e).splitlines()
    return intact(ws, e, [e["notes"]]) and 2 * sum(action_ok(lines, a, e) for a in e["actions"]) >= len(e["actions"])


def c_actions(ws, e):
    lines = doc(ws, e).splitlines()
    return frac(action_ok(lines, a, e) for a in e["actions"])


def c_decisions(ws, e):
    return frac(mentions(doc(ws, e), d) for d in e["decisions"])


def c_attendees(ws, e):
    return frac(mentions(doc(ws, e), a) for a in e["attendees"])


def c_next_meeting(ws, e):
    """The next meeting's date, on a line that says it is the next one (an action may fall due that day)."""
    return any(has_date(ln, e["next"]) and re.search(r"next|again|following|upcoming", ln, re.I)
               for ln in doc(ws, e).splitlines())


def c_nothing_stale(ws, e):
    return not any(mentions(doc(ws, e), s) for s in e["stale"])


CHECKS = {"action_items_with_owner_and_date": c_actions, "decisions": c_decisions, "attendees": c_attendees,
          "next_meeting": c_next_meeting, "nothing_from_older_meetings": c_nothing_stale,
          "nothing_else_touched": c_nothing_else_touched}
