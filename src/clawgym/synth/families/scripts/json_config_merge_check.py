"""The checks of the family `json_config_merge`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import frac, load_json

# --- the script's text starts below; the lines above are for linters only ---
MISSING = object()


def result(ws, e):
    d = load_json(ws, e["out"])
    if not isinstance(d, dict):
        raise ValueError("not an object")
    return d


def get(d, path):
    for part in path:
        if not isinstance(d, dict) or part not in d:
            return MISSING
        d = d[part]
    return d


def same(a, b):
    return type(a) is type(b) and a == b


def gate(ws, e):
    d = result(ws, e)
    return any(same(get(d, p), v) for p, v in e["over"])


def c_over(ws, e):
    d = result(ws, e)
    return frac(same(get(d, p), v) for p, v in e["over"])


def c_base(ws, e):
    d = result(ws, e)
    return frac(same(get(d, p), v) for p, v in e["base_kept"])


def c_nulls(ws, e):
    d = result(ws, e)
    return frac(get(d, p) is MISSING for p in e["nulls"])


def c_exact(ws, e):
    return result(ws, e) == e["merged"]


CHECKS = {"overrides_applied": c_over, "base_values_kept": c_base, "null_keys_removed": c_nulls,
          "result_exact": c_exact}
CORE = ("overrides_applied", "base_values_kept", "null_keys_removed")
