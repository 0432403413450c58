"""The checks of the family `sort_by_extension`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import files_under, frac, has

# --- the script's text starts below; the lines above are for linters only ---
def gate(ws, e):
    return any(has(ws, d, h) for s, d, h in e["moves"])


def c_moved(ws, e):
    """Moved: in the right folder with its bytes, and gone from where it was (a copy is no move)."""
    return frac(has(ws, d, h) and not (ws / s).exists() for s, d, h in e["moves"])


def c_originals_gone(ws, e):
    return frac(not (ws / s).exists() for s, d, h in e["moves"])


def c_unlisted_left(ws, e):
    return frac(has(ws, p, h) for p, h in e["stay"])


def c_nothing_extra(ws, e):
    want = {d for s, d, h in e["moves"]}
    got = files_under(ws, e["dest"])
    return len(want & got) / len(want | got)


CHECKS = {"files_in_right_folders": c_moved, "originals_moved_not_copied": c_originals_gone,
          "unlisted_files_left_alone": c_unlisted_left, "nothing_extra_in_destination": c_nothing_extra}
CORE = ("files_in_right_folders", "nothing_extra_in_destination")
