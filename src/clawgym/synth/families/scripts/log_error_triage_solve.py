"""The reference solver of the family `log_error_triage`: its solve.py is `_solve_head.py` followed by
this text."""

import csv
import re
from pathlib import Path

from clawgym.synth.families.scripts._solve_head import P

# --- the script's text starts below; the lines above are for linters only ---
pat = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ERROR \[([^\]]+)\] (.*)$")
counts, msgs = {}, {}
for line in Path(P["log"]).read_text(encoding="utf-8").splitlines():
    m = pat.match(line)
    if not m or m.group(1) != P["day"] or m.group(2) < P["start"]:
        continue
    c = counts.setdefault(m.group(3), [0, m.group(2)])
    c[0] += 1
    msgs[m.group(4)] = msgs.get(m.group(4), 0) + 1
Path(P["csv"]).parent.mkdir(parents=True, exist_ok=True)
with open(P["csv"], "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["service", "errors", "first_seen"])
    for svc, (n, first) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0])):
        w.writerow([svc, n, first])
Path(P["txt"]).write_text(max(msgs, key=msgs.get) + "\n", encoding="utf-8")
