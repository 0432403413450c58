"""The checks of the family `ini_config_edit`: its check.py is the head, this text and the tail
(`_check_head.py`, `_check_tail.py`)."""

import re

from clawgym.synth.families.scripts._check_head import frac, text

# --- the script's text starts below; the lines above are for linters only ---
def parse(ws, e):
    secs, comments, cur = [], [], None
    for ln in text(ws, e["path"]).splitlines():
        s = ln.strip()
        if not s:
            continue
        if s[0] in "#;":
            comments.append(s)
        elif s.startswith("[") and s.endswith("]"):
            cur = [s[1:-1].strip(), []]
            secs.append(cur)
        elif "=" in s and cur is not None:
            k, v = s.split("=", 1)
            cur[1].append([k.strip(), v.strip()])
        else:
            raise ValueError("not an INI line: " + ln)
    return secs, comments


def lookup(secs, section, key):
    for name, keys in secs:
        if name == section:
            for k, v in keys:
                if k == key:
                    return v
    return None


def change_ok(secs, c):
    if c["kind"] == "set":
        return lookup(secs, c["section"], c["key"]) == c["value"]
    if c["kind"] == "delete":
        return lookup(secs, c["section"], c["key"]) is None and any(n == c["section"] for n, _ in secs)
    return lookup(secs, c["section"], c["key"]) is None and lookup(secs, c["section"], c["new"]) == c["value"]


def gate(ws, e):
    secs = parse(ws, e)[0]
    return any(change_ok(secs, c) for c in e["changes"] if c["kind"] != "delete")


def c_changes(ws, e):
    secs = parse(ws, e)[0]
    return frac(change_ok(secs, c) for c in e["changes"])


def c_untouched(ws, e):
    secs = parse(ws, e)[0]
    return frac(lookup(secs, s, k) == v for s, k, v in e["untouched"])


def c_comments(ws, e):
    return parse(ws, e)[1] == e["comments"]


def c_order(ws, e):
    secs = parse(ws, e)[0]
    return [[n, [k for k, _ in keys]] for n, keys in secs] == [[n, [k for k, _ in keys]] for n, keys in e["sections"]]


def c_exact(ws, e):
    lines = [ln for ln in text(ws, e["path"]).splitlines() if "=" in ln and not ln.lstrip().startswith(("#", ";"))]
    return parse(ws, e)[0] == e["sections"] and all(re.fullmatch(r"[^=\s]+ = \S.*", ln) for ln in lines)


CHECKS = {"changes_applied": c_changes, "other_keys_unchanged": c_untouched, "comments_kept": c_comments,
          "order_kept": c_order, "file_exact": c_exact}
CORE = ("changes_applied", "other_keys_unchanged", "comments_kept")
