"""The checks of the family `newsletter_fact_check`: its check.py is the head, `_common.py`, this text
and the tail (`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import frac, text
from clawgym.synth.families.scripts._common import c_nothing_else_touched, has_number, intact, numbers_in

# --- the script's text starts below; the lines above are for linters only ---
def claim_line(t, head, tail):
    """The line of the draft that still carries the claim's words around its figure."""
    for ln in t.splitlines():
        if ln.startswith(head.strip()[:12]) and ln.rstrip().endswith(tail.strip()[-6:] or ln.rstrip()[-1:]):
            return ln
    return None


def claim_ok(t, c):
    name, head, shown, tail, value = c
    ln = claim_line(t, head, tail)
    if ln is None:
        return False
    tol = 0.005 if name == "average" else 0.5
    if len(numbers_in(ln)) != len(numbers_in(head + tail)) + 1:  # one figure, not a list of guesses
        return False
    return has_number(ln, value, tol) and (abs(float(shown.replace(",", "")) - value) <= tol
                                            or not has_number(ln, float(shown.replace(",", "")), tol / 10))


def gate(ws, e):
    t = text(ws, e["draft"])
    fixed = [c for c in e["claims"] if c[0] in e["wrong"] and claim_ok(t, c)]
    return intact(ws, e, e["inputs"]) and bool(fixed)


def c_wrong_fixed(ws, e):
    t = text(ws, e["draft"])
    return frac(claim_ok(t, c) for c in e["claims"] if c[0] in e["wrong"])


def c_right_kept(ws, e):
    t = text(ws, e["draft"])
    return frac(claim_ok(t, c) for c in e["claims"] if c[0] not in e["wrong"])


def c_rest_unchanged(ws, e):
    lines = set(text(ws, e["draft"]).splitlines())
    return frac(f in lines for f in e["filler"])


CHECKS = {"wrong_figures_fixed": c_wrong_fixed, "right_figures_kept": c_right_kept,
          "rest_of_draft_unchanged": c_rest_unchanged, "nothing_else_touched": c_nothing_else_touched}
CORE = ["wrong_figures_fixed", "right_figures_kept"]
