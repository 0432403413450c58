"""The checks of the family `sprint_plan`: its check.py is the head, `_common.py`, this text and the
tail (`_check_head.py`, `_check_tail.py`)."""

import re

from clawgym.synth.families.scripts._check_head import frac
from clawgym.synth.families.scripts._common import c_nothing_else_touched, intact, table_rows

# --- the script's text starts below; the lines above are for linters only ---
def plan(ws, e):
    """id -> sprint number, from rows of id,sprint (a sprint written as 1, "Sprint 1" or "S1")."""
    out, dup = {}, False
    for r in table_rows(ws, e["out"]):
        i = (r.get("id") or r.get("item") or "").strip().upper()
        n = re.findall(r"\d+", r.get("sprint", ""))
        if i and n:
            dup = dup or i in out
            out[i] = int(n[0])
    return out, dup


def gate(ws, e):
    p, _ = plan(ws, e)
    musts = [i for i, v in e["items"].items() if v[1] == 0]
    return intact(ws, e, e["inputs"]) and 2 * sum(i in p for i in musts) >= len(musts)


def c_musts(ws, e):
    p, _ = plan(ws, e)
    return frac(i in p for i, v in e["items"].items() if v[1] == 0)


def c_capacity(ws, e):
    p, _ = plan(ws, e)
    return frac(sum(e["items"][i][0] for i, s in p.items() if s == n and i in e["items"]) <= e["velocity"]
                for n in range(1, e["sprints"] + 1))


def c_dependencies(ws, e):
    p, _ = plan(ws, e)
    return frac(all(d in p and p[d] <= s for d in e["items"][i][2]) for i, s in p.items() if i in e["items"])


def c_valid(ws, e):
    p, dup = plan(ws, e)
    return not dup and all(i in e["items"] and 1 <= s <= e["sprints"] for i, s in p.items())


def c_no_spare_room(ws, e):
    p, _ = plan(ws, e)
    load = {n: sum(e["items"][i][0] for i, s in p.items() if s == n and i in e["items"]) for n in range(1, e["sprints"] + 1)}
    for i, (pts, pr, deps) in e["items"].items():
        if i in p:
            continue
        for n in range(1, e["sprints"] + 1):
            if load[n] + pts <= e["velocity"] and all(d in p and p[d] <= n for d in deps):
                return False
    return True


CHECKS = {"must_haves_planned": c_musts, "capacity_respected": c_capacity, "dependencies_respected": c_dependencies,
          "valid_items_and_sprints": c_valid, "no_spare_room_left": c_no_spare_room,
          "nothing_else_touched": c_nothing_else_touched}
CORE = ["must_haves_planned", "capacity_respected", "dependencies_respected", "valid_items_and_sprints",
        "no_spare_room_left"]
