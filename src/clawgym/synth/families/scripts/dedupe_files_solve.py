"""The reference solver of the family `dedupe_files`: its solve.py is `_solve_head.py` followed by this
text."""

import csv
import hashlib
import os
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
root = Path(P["folder"])
groups = {}
for f in sorted(root.rglob("*")):
    if f.is_file():
        groups.setdefault(hashlib.sha256(f.read_bytes()).hexdigest(), []).append(f.as_posix())
rows = []
for paths in groups.values():
    paths.sort(key=lambda p: (len(p), p))
    for p in paths[1:]:
        os.remove(p)
        rows.append([p, paths[0]])
out = Path(P["report"])
out.parent.mkdir(parents=True, exist_ok=True)
with out.open("w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["removed", "kept"])
    w.writerows(sorted(rows))
