"""The checks of the family `access_log_report`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

from clawgym.synth.families.scripts._check_head import frac, load_json

# --- the script's text starts below; the lines above are for linters only ---
def rep(ws, e):
    d = load_json(ws, e["out"])
    if not isinstance(d, dict):
        raise ValueError("not an object")
    return d


def gate(ws, e):
    d = rep(ws, e)
    return d.get("total_requests") == e["total_requests"] or d.get("top_error_paths") == e["top_error_paths"]


def c_total(ws, e):
    v = rep(ws, e)["total_requests"]
    return type(v) is int and v == e["total_requests"]


def c_clients(ws, e):
    v = rep(ws, e)["unique_clients"]
    return type(v) is int and v == e["unique_clients"]


def c_status(ws, e):
    got = rep(ws, e)["status_counts"]
    keys = set(got) | set(e["status_counts"])
    return frac(got.get(k) == e["status_counts"].get(k) for k in keys)


def c_rate(ws, e):
    v = rep(ws, e)["server_error_rate"]
    return not isinstance(v, bool) and abs(v - e["server_error_rate"]) < 0.006


def c_top(ws, e):
    return rep(ws, e)["top_error_paths"] == e["top_error_paths"]


CHECKS = {"total_requests": c_total, "unique_clients": c_clients, "status_counts": c_status,
          "server_error_rate": c_rate, "top_error_paths": c_top}
