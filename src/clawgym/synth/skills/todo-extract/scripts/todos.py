#!/usr/bin/env python3
"""Collect TODO/FIXME/HACK/XXX comments into Markdown or JSON."""
import argparse
import json
import os
import re

EXTS = {".py", ".js", ".ts", ".sh", ".md", ".txt", ".go", ".rs", ".java", ".c", ".h", ".yaml", ".yml", ".toml"}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder"); ap.add_argument("--format", choices=("md", "json"), default="md")
    ap.add_argument("--tags", default="TODO,FIXME,HACK,XXX"); ap.add_argument("--out")
    a = ap.parse_args()
    tags = "|".join(re.escape(t.strip()) for t in a.tags.split(",") if t.strip())
    pat = re.compile(r"(?:#|//|/\*|--|<!--|^\s*[-*])\s*(" + tags + r")(?:\(([^)]*)\))?:\s*(.*?)\s*(?:\*/|-->)?\s*$")
    items = []
    for root, dirs, files in os.walk(a.folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
        for f in sorted(files):
            if os.path.splitext(f)[1] not in EXTS:
                continue
            p = os.path.join(root, f)
            rel = os.path.relpath(p, a.folder)
            with open(p, encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    m = pat.search(line)
                    if m:
                        items.append({"path": rel, "line": n, "tag": m.group(1), "owner": m.group(2) or None,
                                      "text": m.group(3)})
    items.sort(key=lambda i: (i["path"], i["line"]))
    if a.format == "json":
        text = json.dumps(items, indent=2) + "\n"
    else:
        out, last = ["# TODO", ""], None
        for i in items:
            if i["path"] != last:
                if last is not None:
                    out.append("")
                out += [f"## {i['path']}", ""]
                last = i["path"]
            owner = f" (@{i['owner']})" if i["owner"] else ""
            out.append(f"- [ ] L{i['line']} **{i['tag']}**{owner} {i['text']}")
        text = "\n".join(out) + "\n"
    if a.out:
        open(a.out, "w", encoding="utf-8").write(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
