"""Checks for starter-config-update: the expected config is recomputed from input/app.ini and input/changes.txt."""
import configparser
import hashlib
import json
import re
import sys
from pathlib import Path


def parse_changes(ws):
    ops = []
    for line in (ws / "input" / "changes.txt").read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        verb, rest = s.split(None, 1)
        if verb == "set":
            target, value = (x.strip() for x in rest.split("=", 1))
            sec, key = target.split(".", 1)
            ops.append(("set", sec, key.lower(), value))
        elif verb == "delete":
            sec, key = rest.strip().split(".", 1)
            ops.append(("delete", sec, key.lower(), None))
        elif verb == "rename":
            target, new = (x.strip() for x in rest.split("->", 1))
            sec, key = target.split(".", 1)
            ops.append(("rename", sec, key.lower(), new.lower()))
        else:
            raise ValueError(f"unknown change {s!r}")
    return ops


def load(path):
    cp = configparser.RawConfigParser(comment_prefixes=("#", ";"), inline_comment_prefixes=None,
                                      interpolation=None, strict=False)
    cp.read_string(path.read_text(encoding="utf-8"))
    return {s: dict(cp.items(s)) for s in cp.sections()}


def expected(ws):
    want = load(ws / "input" / "app.ini")
    ops = parse_changes(ws)
    if not ops or not want:
        raise ValueError("bad input")
    touched = set()
    for op, sec, key, arg in ops:
        touched.add((sec, key))
        if op == "set":
            want.setdefault(sec, {})[key] = arg
        elif op == "delete":
            want[sec].pop(key, None)
        else:
            want[sec] = {(arg if k == key else k): v for k, v in want[sec].items()}
            touched.add((sec, arg))
    return want, ops, touched


def out_text(ws):
    text = (ws / "output" / "app.ini").read_text(encoding="utf-8")
    if not text.strip():
        raise ValueError("empty")
    return text


def c_sets(ws, want, ops, touched):
    got = load(ws / "output" / "app.ini")
    sets = [o for o in ops if o[0] == "set"]
    return sum(got.get(s, {}).get(k) == v for _, s, k, v in sets) / len(sets)


def c_deletes(ws, want, ops, touched):
    out_text(ws)
    got = load(ws / "output" / "app.ini")
    dels = [o for o in ops if o[0] == "delete"]
    return all(s in got and k not in got[s] for _, s, k, _ in dels)


def c_renames(ws, want, ops, touched):
    got = load(ws / "output" / "app.ini")
    rens = [o for o in ops if o[0] == "rename"]
    return all(k not in got.get(s, {}) and got.get(s, {}).get(new) == want[s][new] for _, s, k, new in rens)


def c_untouched(ws, want, ops, touched):
    got = load(ws / "output" / "app.ini")
    keep = [(s, k, v) for s, kv in want.items() for k, v in kv.items() if (s, k) not in touched]
    return sum(got.get(s, {}).get(k) == v for s, k, v in keep) / len(keep)


def c_no_extra(ws, want, ops, touched):
    return load(ws / "output" / "app.ini") == want


def c_comments(ws, want, ops, touched):
    src = [l.strip() for l in (ws / "input" / "app.ini").read_text(encoding="utf-8").splitlines()
           if l.strip().startswith(("#", ";"))]
    got = [l.strip() for l in out_text(ws).splitlines() if l.strip().startswith(("#", ";"))]
    # the comment about a deleted key may go with it; every other comment must stay, in order
    deleted = {k for o, _, k, _ in ops if o == "delete"}
    need = [c for c in src if not any(re.search(rf"\b{re.escape(k)}\b", c) for k in deleted)]
    it = iter(got)
    return all(c in it for c in need)


def c_order(ws, want, ops, touched):
    text = out_text(ws)
    sections = re.findall(r"^\s*\[([^\]]+)\]", text, re.M)
    src_sections = re.findall(r"^\s*\[([^\]]+)\]", (ws / "input" / "app.ini").read_text(encoding="utf-8"), re.M)
    if sections != list(want) or sections[:len(src_sections)] != src_sections:
        return False
    got = load(ws / "output" / "app.ini")
    return all(list(got[s]) == list(want[s]) for s in want)


CHECKS = {"values_set": c_sets, "keys_deleted": c_deletes, "keys_renamed": c_renames,
          "other_keys_unchanged": c_untouched, "no_extra_keys": c_no_extra,
          "comments_kept": c_comments, "order_kept": c_order}


# -- the inputs the user asked to keep --------------------------------------------------------------
#: SHA-256 of each input as the task ships it. The instruction asks for them to be left as they
#: were, so a right answer that deletes, empties or edits any of them keeps only TAMPER_FACTOR of
#: its score (a reward that ignores them teaches an agent that destroying the user's files is free).
KEPT = {
    "input/app.ini":
        "3240b994116129246542f7feca67135f5622ee13431e35120cf73790d2be7452",
    "input/changes.txt":
        "0811687e72f0bfd5c93f20f1517f80283e84ab6742dbfda5ab1c9b9f3ee9d43a",
}
TAMPER_FACTOR = 0.25


def inputs_kept(ws):
    """The share of KEPT inputs still byte-for-byte as shipped (read before any agent code runs)."""
    ok = 0
    for rel, digest in KEPT.items():
        try:
            ok += hashlib.sha256((ws / rel).read_bytes()).hexdigest() == digest
        except OSError:
            pass
    return ok / len(KEPT)


def gate_inputs(out, intact):
    """The checks as they are while every input is intact; otherwise each one times TAMPER_FACTOR,
    plus a failed `inputs_kept` check to say why. The score stays the plain mean of the
    checks (no separate `reward`), so ClawGym's reward.sh computes the same gated score."""
    if intact == 1:
        return out
    out = {k: round(float(v) * TAMPER_FACTOR, 6) for k, v in out.items()}
    out["inputs_kept"] = False
    return out


def grade(transcript, workspace_path):
    ws = Path(workspace_path)
    intact = inputs_kept(ws)
    try:
        want, ops, touched = expected(ws)
    except Exception:
        return {name: False for name in CHECKS}
    out = {}
    for name, fn in CHECKS.items():
        try:
            v = fn(ws, want, ops, touched)
            out[name] = v if isinstance(v, bool) else max(0.0, min(1.0, float(v)))
        except Exception:
            out[name] = False
    return gate_inputs(out, intact)


if __name__ == "__main__":
    print(json.dumps(grade([], sys.argv[1])))
