"""The checks of the family `json_filter_report`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import frac, load_json

# --- the script's text starts below; the lines above are for linters only ---
def report(ws, e):
    d = load_json(ws, e["out"])
    if not isinstance(d, dict):
        raise ValueError("not an object")
    return d


def item_ok(got, want):
    return isinstance(got, dict) and all(got.get(k) == v and type(got.get(k)) is type(v) for k, v in want.items())


def got_items(ws, e):
    items = report(ws, e).get("items")
    return {i.get("sku"): i for i in items if isinstance(i, dict)} if isinstance(items, list) else {}


def gate(ws, e):
    got = got_items(ws, e)
    return any(item_ok(got.get(w["sku"]), w) for w in e["items"])


def c_items(ws, e):
    got = got_items(ws, e)
    return frac(item_ok(got.get(w["sku"]), w) for w in e["items"])


def c_no_extra(ws, e):
    want = {w["sku"] for w in e["items"]}
    got = set(got_items(ws, e))
    return len(want & got) / len(want | got)


def c_sorted_exact(ws, e):
    items = report(ws, e)["items"]
    return len(items) == len(e["items"]) and all(item_ok(g, w) and set(g) == set(w) for g, w in zip(items, e["items"]))


def c_count(ws, e):
    v = report(ws, e)["count"]
    return type(v) is int and v == len(e["items"])


def c_cost(ws, e):
    v = report(ws, e)["total_cost"]
    return not isinstance(v, bool) and isinstance(v, (int, float)) and abs(v - float(e["total_cost"])) < 0.005


CHECKS = {"reorder_items": c_items, "no_wrong_items": c_no_extra, "items_exact_and_sorted": c_sorted_exact,
          "count": c_count, "total_cost": c_cost}
CORE = ("reorder_items", "no_wrong_items", "count", "total_cost")
