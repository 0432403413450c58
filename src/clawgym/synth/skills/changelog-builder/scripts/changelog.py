#!/usr/bin/env python3
"""Markdown release notes from Conventional Commits subjects."""
import argparse
import re
import sys

SECTIONS = [("feat", "Features"), ("fix", "Bug Fixes"), ("perf", "Performance"), ("docs", "Documentation")]
LINE = re.compile(r"^(\w+)(?:\(([^)]+)\))?(!)?:\s*(.+)$")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("commits"); ap.add_argument("--version", required=True); ap.add_argument("--date")
    ap.add_argument("--previous"); ap.add_argument("--out")
    a = ap.parse_args()
    groups, breaking = {k: [] for k, _ in SECTIONS}, []
    for raw in open(a.commits, encoding="utf-8"):
        s = raw.strip()
        if not s:
            continue
        if s.startswith("BREAKING CHANGE:"):
            breaking.append(s.split(":", 1)[1].strip())
            continue
        m = LINE.match(s)
        if not m:
            continue
        typ, scope, bang, text = m.groups()
        item = f"**{scope}:** {text}" if scope else text
        if bang:
            breaking.append(item)
        if typ in groups:
            groups[typ].append(item)
    head = f"## {a.version}" + (f" ({a.date})" if a.date else "")
    out = [head, ""]
    if breaking:
        out += ["### BREAKING CHANGES", ""] + [f"- {b}" for b in breaking] + [""]
    for k, title in SECTIONS:
        if groups[k]:
            out += [f"### {title}", ""] + [f"- {i}" for i in groups[k]] + [""]
    text = "\n".join(out)
    if a.out:
        open(a.out, "w", encoding="utf-8").write(text)
    else:
        print(text, end="")
    if a.previous:
        major, minor, patch = (int(x) for x in a.previous.split("."))
        bump = "major" if breaking else "minor" if groups["feat"] else "patch"
        want = {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[bump]
        print(f"bump: {bump} -> {want}", file=sys.stderr)
        if want != a.version:
            print(f"warning: --version {a.version} but the commits imply {want}", file=sys.stderr)


if __name__ == "__main__":
    main()
