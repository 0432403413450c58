"""The checks of the family `release_announcement`: its check.py is the head, `_common.py`, this text
and the tail (`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import frac, text
from clawgym.synth.families.scripts._common import c_nothing_else_touched, has_date, intact, mentions

# --- the script's text starts below; the lines above are for linters only ---
def doc(ws, e):
    return text(ws, e["out"])


def gate(ws, e):
    t = doc(ws, e)
    got = sum(mentions(t, f) for f in e["features"] + e["fixes"])
    return intact(ws, e, e["inputs"]) and 2 * got >= len(e["features"] + e["fixes"])


def c_features(ws, e):
    return frac(mentions(doc(ws, e), f) for f in e["features"])


def c_fixes(ws, e):
    return frac(mentions(doc(ws, e), f) for f in e["fixes"])


def c_version_and_date(ws, e):
    t = doc(ws, e)
    return frac([e["version"] in t, has_date(t, e["date"])])


def c_upgrade_link(ws, e):
    return e["guide"] in doc(ws, e)


def c_no_internal_or_older(ws, e):
    t = doc(ws, e)
    return not any(mentions(t, k) for k in e["internal"] + e["older"])


def c_length(ws, e):
    return len(doc(ws, e).split()) <= e["words"]


CHECKS = {"new_features": c_features, "fixes": c_fixes, "version_and_date": c_version_and_date,
          "upgrade_guide_linked": c_upgrade_link, "nothing_internal_or_from_older_releases": c_no_internal_or_older,
          "under_word_limit": c_length, "nothing_else_touched": c_nothing_else_touched}
