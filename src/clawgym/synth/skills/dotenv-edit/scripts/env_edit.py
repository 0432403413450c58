#!/usr/bin/env python3
"""List, set, unset and diff .env files."""
import json
import re
import sys

LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")
SECRET = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def value_of(raw):
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        inner = raw[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\") if raw[0] == '"' else inner
    return raw.split(" #", 1)[0].strip()


def parse(path):
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
    except FileNotFoundError:
        lines = []
    return lines, {m.group(1): (i, value_of(m.group(2))) for i, l in enumerate(lines) if (m := LINE.match(l))}


def quote(v):
    if v == "" or re.search(r"[\s#\"'\\]", v):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return v


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("list", "set", "unset", "diff"):
        sys.exit("usage: env_edit.py list FILE [--mask] | set FILE KEY VALUE | unset FILE KEY | diff FILE TEMPLATE")
    cmd, path, *args = sys.argv[1:]
    lines, env = parse(path)
    if cmd == "list":
        mask = "--mask" in args
        print(json.dumps({k: (v[:2] + "****" if mask and k.upper().endswith(SECRET) and v else v)
                          for k, (_, v) in env.items()}, indent=2))
    elif cmd == "diff":
        _, tmpl = parse(args[0])
        print(json.dumps({"missing": sorted(set(tmpl) - set(env)), "extra": sorted(set(env) - set(tmpl))}))
    elif cmd in ("set", "unset"):
        key = args[0]
        if cmd == "set":
            new = f"{key}={quote(args[1])}"
            if key in env:
                lines[env[key][0]] = new
            else:
                if lines and lines[-1] == "":
                    lines.insert(len(lines) - 1, new)
                else:
                    lines.append(new)
                    lines.append("")
        elif key in env:
            del lines[env[key][0]]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))


if __name__ == "__main__":
    main()
