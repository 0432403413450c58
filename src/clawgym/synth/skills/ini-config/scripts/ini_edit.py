#!/usr/bin/env python3
"""Get/set/delete keys of an INI file, keeping every untouched line as it was."""
import json
import re
import sys

SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
KEY = re.compile(r"^(\s*)([^=:#;\s][^=:]*?)(\s*[=:]\s*)(.*?)\s*$")


def scan(lines):
    sec, out = None, []
    for i, line in enumerate(lines):
        m = SECTION.match(line)
        if m:
            sec = m.group(1).strip()
            out.append((i, sec, None, None))
            continue
        if line.lstrip().startswith(("#", ";")) or not line.strip():
            continue
        k = KEY.match(line)
        if k:
            out.append((i, sec, k.group(2).strip().lower(), k))
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: ini_edit.py FILE (get S K | set S K V | delete S K | dump)")
    path, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    entries = scan(lines)
    if cmd == "dump":
        data = {}
        for _, sec, key, m in entries:
            if key is None:
                data.setdefault(sec, {})
            else:
                data.setdefault(sec, {})[key] = m.group(4)
        print(json.dumps(data, indent=2))
        return
    sec, key = args[0], args[1].lower()
    hit = next((e for e in entries if e[1] == sec and e[2] == key), None)
    if cmd == "get":
        if hit is None:
            sys.exit(1)
        print(hit[3].group(4))
        return
    if cmd == "delete":
        if hit is not None:
            del lines[hit[0]]
    elif cmd == "set":
        value = args[2]
        if hit is not None:
            m = hit[3]
            lines[hit[0]] = f"{m.group(1)}{m.group(2)}{m.group(3)}{value}"
        else:
            in_sec = [e[0] for e in entries if e[1] == sec]
            if in_sec:
                at = in_sec[-1] + 1
                lines.insert(at, f"{args[1]} = {value}")
            else:
                while lines and lines[-1] == "":
                    lines.pop()
                lines += ["", f"[{sec}]", f"{args[1]} = {value}", ""]
    else:
        sys.exit(f"unknown command {cmd}")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))


if __name__ == "__main__":
    main()
