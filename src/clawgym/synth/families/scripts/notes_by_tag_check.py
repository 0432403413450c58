"""The checks of the family `notes_by_tag`: its check.py is the head, `_common.py`, this text and the
tail (`_check_head.py`, `_check_tail.py`)."""

import re

from clawgym.synth.families.scripts._check_head import files_under, frac, text
from clawgym.synth.families.scripts._common import c_nothing_else_touched, intact, mentions

# --- the script's text starts below; the lines above are for linters only ---
import posixpath as _pp

_LINK = re.compile(r"\]\(([^)\s]*)\)")


def moved_ok(ws, e, m):
    src, dest = m[0], m[1]
    if (ws / src).exists() or not (ws / dest).is_file():
        return False
    def norm(t):  # trailing blanks and a final newline carry no meaning
        return [ln.rstrip() for ln in _LINK.sub("]()", t).strip().splitlines()]

    return norm(text(ws, dest)) == norm(e["originals"][src])


def links_ok(ws, e, m):
    src, dest = m[0], m[1]
    if not (ws / dest).is_file():
        return False
    targets = _LINK.findall(text(ws, dest))
    resolved = {_pp.normpath(t.lstrip("/") if t.startswith("/") else _pp.join(_pp.dirname(dest), t)) for t in targets}
    return all(a in resolved or a.split("/", 1)[1] in resolved for a in e["attachments"][src])


def gate(ws, e):
    return intact(ws, e, e["inputs"]) and 2 * sum(moved_ok(ws, e, m) for m in e["moves"]) >= len(e["moves"])


def c_moved(ws, e):
    return frac(moved_ok(ws, e, m) for m in e["moves"])


def c_links(ws, e):
    return frac(links_ok(ws, e, m) for m in e["moves"] if e["attachments"][m[0]])


def c_index(ws, e):
    heading, under = None, set()
    for ln in text(ws, e["index"]).splitlines():
        if ln.lstrip().startswith("#"):
            heading = ln.strip("# ").strip().lower()
            continue
        for t in _LINK.findall(ln):
            t = _pp.normpath(t.lstrip("./")) if not t.startswith("../") else t
            t = t[len("notes/"):] if t.startswith("notes/") else t
            under.add((heading, t))
    return frac(any(h is not None and mentions(h, m[2]) and t == m[1][len("notes/"):] for h, t in under)
                for m in e["moves"])


def c_nothing_extra(ws, e):
    """The tag folders hold the notes filed there and nothing else."""
    want = {m[1] for m in e["moves"]}
    got = set().union(*(files_under(ws, "notes/" + m[2]) for m in e["moves"]))
    return got == want


CHECKS = {"notes_filed_by_first_tag": c_moved, "attachment_links_work": c_links, "index": c_index,
          "nothing_extra_in_tag_folders": c_nothing_extra, "nothing_else_touched": c_nothing_else_touched}
CORE = ["notes_filed_by_first_tag", "attachment_links_work", "index"]
