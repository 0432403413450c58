"""The checks of the family `handbook_answers`: its check.py is the head, `_common.py`, this text and
the tail (`_check_head.py`, `_check_tail.py`)."""

# ruff: noqa: E731

import re

from clawgym.synth.families.scripts._check_head import frac, load_json
from clawgym.synth.families.scripts._common import c_nothing_else_touched, has_number, intact, mentions, numbers_in

# --- the script's text starts below; the lines above are for linters only ---
def entries(ws, e):
    """question number -> (answer text, sources) from a list of objects or an object keyed by number."""
    data = load_json(ws, e["out"])
    if isinstance(data, dict):
        data = data.get("answers", data)
    if isinstance(data, dict):
        data = [dict(v, question=k) if isinstance(v, dict) else {"question": k, "answer": v} for k, v in data.items()]
    out = {}
    for item in data:
        if not isinstance(item, dict):
            continue
        q = re.findall(r"\d+", str(item.get("question", item.get("id", ""))))
        src = item.get("source", item.get("sources", []))
        srcs = [str(s) for s in (src if isinstance(src, list) else [src])]
        if q:
            out[int(q[0])] = (str(item.get("answer", "")), srcs)
    return out


def right(ans, kind, value):
    """The value, in an answer short enough to be one (a list of every number or name is not)."""
    if len(ans) > 300:
        return False
    if kind == "num":
        return has_number(ans, value) and len(set(numbers_in(ans))) <= 2
    return mentions(ans, value.split()[0]) and mentions(ans, value.split()[-1]) and len(re.findall(r"\b[A-Z][a-z]+", ans)) <= 6


def n_right(ws, e):
    got = entries(ws, e)
    return sum(q in got and right(got[q][0], kind, v) for q, kind, v, src in e["questions"])


def gate(ws, e):
    return intact(ws, e, e["inputs"]) and 2 * n_right(ws, e) >= len(e["questions"])


def c_answers(ws, e):
    return n_right(ws, e) / len(e["questions"])


def c_sources(ws, e):
    got = entries(ws, e)
    norm = lambda s: s.strip().lstrip("./").split("#")[0]
    return frac(q in got and any(norm(s) == src or norm(s) == src.split("/", 1)[1] for s in got[q][1])
                and not any("archive" in s for s in got[q][1]) for q, kind, v, src in e["questions"])


CHECKS = {"answers_right": c_answers, "sources_cited": c_sources, "nothing_else_touched": c_nothing_else_touched}
CORE = ["answers_right"]
