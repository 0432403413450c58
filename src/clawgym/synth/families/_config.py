"""Config and code editing families: edit an INI file in place, deep-merge JSON configs, fix
bugged functions so hidden tests pass."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from clawgym.synth.families._base import Built, Family, bullets, dumps, pick_phrase, script

# ---------------------------------------------------------------------------------------------
# ini_config_edit

SECTIONS = ["server", "database", "cache", "logging", "auth", "email", "storage", "metrics"]
KEYS = ["host", "port", "timeout", "enabled", "level", "path", "user", "retries", "max_size", "ttl", "url", "mode",
        "workers", "region"]


def _value(rng: random.Random, key: str) -> str:
    if key in ("port",):
        return str(rng.choice([5432, 6379, 8080, 8443, 9000, 3306, 25, 587]))
    if key in ("timeout", "retries", "max_size", "ttl", "workers"):
        return str(rng.randint(1, 500))
    if key == "enabled":
        return rng.choice(["true", "false"])
    if key == "level":
        return rng.choice(["debug", "info", "warning", "error"])
    if key in ("host", "url"):
        return rng.choice(["localhost", "db.internal", "10.0.0.12", "cache.example.org", "https://api.example.com"])
    return rng.choice(["alpha", "primary", "eu-west", "/var/lib/app", "service", "readonly", "fast"])


def _render_ini(header: list[str], secs: list[list[Any]]) -> str:
    out = [*header]
    for name, comment, keys in secs:
        out.append("")
        out.append(f"[{name}]")
        if comment:
            out.append(comment)
        out += [f"{k} = {v}" for k, v in keys]
    return "\n".join(out) + "\n"


def _build_ini(rng: random.Random, k: dict[str, Any]) -> Built:
    path = rng.choice(["config/app.ini", "etc/service.ini", "settings.ini"])
    header = [f"# {rng.choice(['Service configuration', 'App settings', 'Main config'])} (format v{rng.randint(1, 4)})",
              "; edit with care"]
    secs = []
    for name in rng.sample(SECTIONS, k["sections"]):
        keys = rng.sample(KEYS, k["keys"])
        comment = f"# {name} settings" if rng.random() < 0.5 else ""
        secs.append([name, comment, [[kk, _value(rng, kk)] for kk in keys]])
    original = _render_ini(header, secs)
    new = copy.deepcopy(secs)
    changes, described = [], []
    touched = set()
    kinds = ["set"] + [rng.choice(["set", "add", "delete", "rename"] + (["section"] if k["new_section"] else []))
                       for _ in range(k["changes"] - 1)]
    for kind in kinds:
        sec = rng.choice(new)
        free = [kv for kv in sec[2] if (sec[0], kv[0]) not in touched]
        if kind in ("set", "delete", "rename") and len(free) < 2:
            kind = "add"
        if kind == "set":
            kv = rng.choice(free)
            val = _value(rng, kv[0])
            while val == kv[1]:
                val = _value(rng, kv[0]) + "1"
            kv[1] = val
            touched.add((sec[0], kv[0]))
            changes.append({"kind": "set", "section": sec[0], "key": kv[0], "value": val})
            described.append(rng.choice([f"Set `{kv[0]}` in the `[{sec[0]}]` section to `{val}`.",
                                         f"`{sec[0]}.{kv[0]}` should be `{val}` now.",
                                         f"Change {sec[0]}'s `{kv[0]}` to `{val}`."]))
        elif kind == "add":
            unused = [x for x in KEYS + ["owner", "backup", "limit"] if x not in {kk for kk, _ in sec[2]}]
            key = rng.choice(unused)
            val = _value(rng, key)
            sec[2].append([key, val])
            touched.add((sec[0], key))
            changes.append({"kind": "set", "section": sec[0], "key": key, "value": val})
            described.append(rng.choice([f"Add `{key} = {val}` at the end of `[{sec[0]}]`.",
                                         f"`[{sec[0]}]` needs a new key `{key}` with value `{val}` (after its other keys)."]))
        elif kind == "delete":
            kv = rng.choice(free)
            sec[2].remove(kv)
            touched.add((sec[0], kv[0]))
            changes.append({"kind": "delete", "section": sec[0], "key": kv[0]})
            described.append(rng.choice([f"Remove `{kv[0]}` from `[{sec[0]}]`.",
                                         f"Delete the `{kv[0]}` line of the `{sec[0]}` section."]))
        elif kind == "rename":
            kv = rng.choice(free)
            newkey = kv[0] + rng.choice(["_s", "_ms", "_name", "2"])
            old = kv[0]
            kv[0] = newkey
            touched.add((sec[0], old))
            touched.add((sec[0], newkey))
            changes.append({"kind": "rename", "section": sec[0], "key": old, "new": newkey, "value": kv[1]})
            described.append(rng.choice([f"Rename `{old}` in `[{sec[0]}]` to `{newkey}` (same value, same place).",
                                         f"In `{sec[0]}`, the key `{old}` is now called `{newkey}`; keep its value and position."]))
        else:
            name = rng.choice([s for s in SECTIONS + ["features", "backup"] if s not in {x[0] for x in new}])
            key = rng.choice(KEYS)
            val = _value(rng, key)
            new.append([name, "", [[key, val]]])
            touched.add((name, key))
            changes.append({"kind": "set", "section": name, "key": key, "value": val})
            described.append(f"Add a new section `[{name}]` at the end of the file with `{key} = {val}`.")
    expected = [[name, [list(kv) for kv in keys]] for name, _, keys in new]
    comments = [c for c in header] + [c for _, c, _ in secs if c]
    t, intro = pick_phrase(rng, [
        f"Please update `{path}` in place with these changes:",
        f"A few edits to our config `{path}` (edit the file itself, no copy):",
        f"I need `{path}` changed. Here is what should be different:",
    ])
    tail = ("Leave everything else exactly as it is: every comment line, the order of sections and keys, and all "
            "the other values. Write keys as `key = value`. Careful: some key names appear in several sections; "
            "only change the one in the section named.")
    instruction = f"{intro}\n\n{bullets(rng, described)}\n\n{tail}\n"
    untouched = [[name, kk, v] for name, _, keys in secs for kk, v in keys if (name, kk) not in touched]
    exp = {"path": path, "sections": expected, "comments": comments, "changes": changes, "untouched": untouched}
    return Built(instruction, {path: original}, exp, {"path": path, "changes": changes}, t, mutable=(path,))


INI_CHECK = script("ini_config_edit_check")

INI_SOLVE = script("ini_config_edit_solve")


def _mutate_ini(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    p = e["path"]
    t = files[p].decode()
    out = {}
    c = next(c for c in e["changes"] if c["kind"] == "set")
    out["one_change_missing"] = {**files, p: t.replace(f"{c['key']} = {c['value']}\n", f"{c['key']} = old\n", 1).encode()}
    out["comment_dropped"] = {**files, p: "\n".join(ln for ln in t.splitlines() if not ln.startswith("; ")).encode() + b"\n"}
    s, key, v = e["untouched"][0]
    lines = t.splitlines()
    sec_i = lines.index(f"[{s}]")
    i = next(j for j in range(sec_i, len(lines)) if lines[j] == f"{key} = {v}")
    out["untouched_changed"] = {**files, p: "\n".join(lines[:i] + [f"{key} = {v}x"] + lines[i + 1:]).encode() + b"\n"}
    out["no_spaces"] = {**files, p: t.replace(" = ", "=").encode()}
    return out


INI_EDIT = Family(
    name="ini_config_edit", category="config or code editing", subcategory="config editing",
    title="Apply a list of edits to an INI config in place",
    description="Set, add, delete and rename keys (and add sections) in an INI file, keeping comments and order.",
    knobs={"sections": (2, 3, 5), "keys": (3, 5, 7), "changes": (2, 4, 7), "new_section": (False, False, True)},
    build=_build_ini, check_body=INI_CHECK, solver=INI_SOLVE, mutate=_mutate_ini, tags=("ini", "config"))


# ---------------------------------------------------------------------------------------------
# json_config_merge

CFG_KEYS = ["name", "debug", "port", "workers", "timeout", "region", "tags", "features", "database", "cache", "auth",
            "logging", "limits", "retry", "endpoints", "storage"]


def _scalar(rng: random.Random) -> Any:
    return rng.choice([rng.randint(1, 9000), rng.choice([True, False]), rng.choice(["eu-west-1", "us-east-2", "info",
                       "warn", "postgres", "redis", "s3", "local", "strict"]), [rng.choice(["a", "b", "c", "d"]) for _ in range(rng.randint(1, 3))]])


def _tree(rng: random.Random, depth: int, width: int) -> dict:
    keys = rng.sample(CFG_KEYS, width)
    out = {}
    for i, key in enumerate(keys):
        out[key] = _tree(rng, depth - 1, max(2, width - 2)) if depth > 1 and i % 2 == 1 else _scalar(rng)
    return out


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, v in over.items():
        if v is None:
            out.pop(key, None)
        elif isinstance(v, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], v)
        else:
            out[key] = copy.deepcopy(v)
    return out


def _leaves(d: dict, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    out = []
    for key, v in d.items():
        if isinstance(v, dict) and v:
            out += _leaves(v, prefix + (key,))
        else:
            out.append((prefix + (key,), v))
    return out


def _build_merge(rng: random.Random, k: dict[str, Any]) -> Built:
    base = _tree(rng, k["depth"], k["width"])
    over: dict = {}
    leaves = _leaves(base)
    for path, v in rng.sample(leaves, min(k["overrides"], len(leaves))):
        node = over
        for part in path[:-1]:
            node = node.setdefault(part, {})
        new = _scalar(rng)
        while new == v:
            new = _scalar(rng)
        node[path[-1]] = new
    node = over
    for _ in range(k["deletes"]):
        path, _v = rng.choice(leaves)
        node = over
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            if path[-1] not in node:
                node[path[-1]] = None
    extra = rng.choice([k for k in CFG_KEYS if k not in base] or ["extra"])
    over[extra] = _scalar(rng)
    merged = _merge(base, over)
    env = rng.choice(["production", "staging", "local"])
    bp, op = "config/base.json", f"config/{env}.json"
    out = rng.choice([f"config/merged.{env}.json", "build/config.json", f"output/{env}.json"])
    nulls = [list(p) for p, v in _leaves(over) if v is None]
    t, intro = pick_phrase(rng, [
        f"Merge `{op}` over `{bp}` and write the result to `{out}`.",
        f"Our app reads one config file. Build `{out}` from the defaults in `{bp}` and the {env} overrides in `{op}`.",
        f"Please produce the effective {env} config `{out}`: `{bp}` with `{op}` applied on top.",
    ])
    rules = [
        "Objects merge key by key, recursively: a key only in the base is kept, a key in the overrides wins.",
        "Anything that is not an object (numbers, strings, booleans, lists) is replaced whole; lists are not "
        "concatenated.",
        "An override value of `null` removes that key from the result.",
        "Leave both input files unchanged; the result is a JSON object.",
    ]
    instruction = f"{intro}\n\n{bullets(rng, rules)}\n"
    exp = {"out": out, "merged": merged, "over": [[list(p), v] for p, v in _leaves(over) if v is not None],
           "base_kept": [[list(p), v] for p, v in _leaves(merged) if p not in {q for q, _ in _leaves(over)}],
           "nulls": nulls}
    return Built(instruction, {bp: dumps(base), op: dumps(over)}, exp, {"base": bp, "over": op, "out": out}, t)


MERGE_CHECK = script("json_config_merge_check")

MERGE_SOLVE = script("json_config_merge_solve")


def _mutate_merge(files: dict[str, bytes], e: dict[str, Any]) -> dict[str, dict[str, bytes]]:
    out = {}
    base = json.loads(files[next(p for p in files if p == "config/base.json")])
    out["base_copied"] = {**files, e["out"]: dumps(base).encode()}
    over_path = next(p for p in files if p.startswith("config/") and p != "config/base.json" and p != e["out"])
    over = json.loads(files[over_path])
    shallow = {**base, **over}
    if shallow != e["merged"]:
        out["shallow_merge"] = {**files, e["out"]: dumps(shallow).encode()}
    m = copy.deepcopy(e["merged"])
    p, v = e["over"][0]
    node = m
    for part in p[:-1]:
        node = node[part]
    node[p[-1]] = "changed"
    out["one_override_wrong"] = {**files, e["out"]: dumps(m).encode()}
    if e["nulls"]:
        m = copy.deepcopy(e["merged"])
        node = m
        for part in e["nulls"][0][:-1]:
            node = node[part]
        node[e["nulls"][0][-1]] = None
        out["null_kept"] = {**files, e["out"]: dumps(m).encode()}
    return out


JSON_MERGE = Family(
    name="json_config_merge", category="config or code editing", subcategory="config editing",
    title="Deep-merge an environment's JSON overrides over a base config",
    description="Recursive merge of nested JSON with replace-whole lists and null-deletes.",
    knobs={"depth": (1, 2, 3), "width": (4, 6, 8), "overrides": (2, 4, 7), "deletes": (0, 1, 3)},
    build=_build_merge, check_body=MERGE_CHECK, solver=MERGE_SOLVE, mutate=_mutate_merge, tags=("json", "config"))

FAMILIES = [INI_EDIT, JSON_MERGE]
