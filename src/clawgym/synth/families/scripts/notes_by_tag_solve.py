"""The reference solver of the family `notes_by_tag`: its solve.py is `_solve_head.py` followed by this
text."""

import os
import re
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
by_tag = {}
for src, dest in P["moves"]:
    t = Path(src).read_text(encoding="utf-8")
    t = t.replace("](attachments/", "](../attachments/")
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    Path(dest).write_text(t, encoding="utf-8")
    os.remove(src)
    title = re.search(r"^title: (.*)$", t, re.M).group(1)
    tag = dest.split("/")[1]
    by_tag.setdefault(tag, []).append((title, dest[len("notes/"):]))
lines = ["# Notes index", ""]
for tag in sorted(by_tag):
    lines += [f"## {tag}", ""] + [f"- [{title}]({rel})" for title, rel in sorted(by_tag[tag])] + [""]
Path(P["index"]).write_text("\n".join(lines), encoding="utf-8")
